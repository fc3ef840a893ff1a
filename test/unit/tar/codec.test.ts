import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readTar } from '../../../src/tar/reader.js';
import { encodeEntry, END_OF_ARCHIVE } from '../../../src/tar/writer.js';
import { decodeHeader } from '../../../src/tar/header.js';
import { newEntry } from '../../../src/tar/entry.js';
import { makeTar, rawHeader, type EntrySpec } from '../../helpers/tar-builder.js';
import { UndockerError } from '../../../src/errors.js';

async function roundTrip(specs: EntrySpec[]) {
  const out = [];
  for await (const { entry, body } of readTar(Readable.from([makeTar(specs)]), { where: 'test' })) {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(chunk);
    out.push({ entry, data: Buffer.concat(parts) });
  }
  return out;
}

// cap_net_bind_service+ep, binary with NULs
const CAPABILITY = Buffer.from('0100000200200000000000000000000000000000', 'hex');

test('tar codec round trips', async (t) => {
  const cases: Array<{
    name: string;
    spec: EntrySpec;
    check: (e: Awaited<ReturnType<typeof roundTrip>>[number]) => void;
  }> = [
    {
      name: 'a plain file keeps data, mode, owner and mtime',
      spec: { path: 'etc/motd', content: 'hi\n', mode: 0o640, uid: 7, gid: 8, mtime: 1234567890 },
      check: ({ entry, data }) => {
        assert.equal(data.toString(), 'hi\n');
        assert.equal(entry.mode, 0o640);
        assert.equal(entry.uid, 7);
        assert.equal(entry.gid, 8);
        assert.equal(entry.mtime, 1234567890);
      },
    },
    {
      name: 'setuid, setgid and sticky bits survive',
      spec: { path: 'bin/su', content: 'x', mode: 0o7755 },
      check: ({ entry }) => assert.equal(entry.mode, 0o7755),
    },
    {
      name: 'a binary security.capability xattr survives byte for byte',
      spec: { path: 'bin/ping', content: 'x', xattrs: { 'security.capability': CAPABILITY, 'user.note': 'é' } },
      check: ({ entry }) => {
        assert.deepEqual(entry.xattrs.get('security.capability'), CAPABILITY);
        assert.equal(entry.xattrs.get('user.note')?.toString(), 'é');
      },
    },
    {
      name: 'a 300-byte name goes through PAX',
      spec: { path: `${'d'.repeat(120)}/${'n'.repeat(179)}`, content: 'x' },
      check: ({ entry }) => assert.equal(entry.path, `${'d'.repeat(120)}/${'n'.repeat(179)}`),
    },
    {
      name: 'a name of 150 bytes uses the ustar prefix',
      spec: { path: `${'p'.repeat(90)}/${'q'.repeat(59)}`, content: 'x' },
      check: ({ entry }) => assert.equal(entry.path, `${'p'.repeat(90)}/${'q'.repeat(59)}`),
    },
    {
      name: 'a long symlink target goes through PAX',
      spec: { path: 'l', type: 'symlink', linkname: `/${'t'.repeat(200)}` },
      check: ({ entry }) => assert.equal(entry.linkname, `/${'t'.repeat(200)}`),
    },
    {
      name: 'UTF-8 names stay as their bytes',
      spec: { path: 'usr/share/naïve-日本.txt', content: 'x' },
      check: ({ entry }) =>
        assert.equal(Buffer.from(entry.path, 'latin1').toString('utf8'), 'usr/share/naïve-日本.txt'),
    },
    {
      name: 'a name that is not UTF-8 passes unchanged',
      spec: { path: 'caf\xe9', rawPath: true, content: 'x' },
      check: ({ entry }) => assert.deepEqual(Buffer.from(entry.path, 'latin1'), Buffer.from([0x63, 0x61, 0x66, 0xe9])),
    },
    {
      name: 'a character device keeps its numbers',
      spec: { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      check: ({ entry }) => {
        assert.equal(entry.type, 'char');
        assert.equal(entry.devmajor, 1);
        assert.equal(entry.devminor, 3);
      },
    },
    {
      name: 'a fifo is a fifo',
      spec: { path: 'run/pipe', type: 'fifo' },
      check: ({ entry }) => assert.equal(entry.type, 'fifo'),
    },
    {
      name: 'a uid over 2097151 goes through PAX',
      spec: { path: 'f', content: 'x', uid: 100_000_000, gid: 3_000_000 },
      check: ({ entry }) => {
        assert.equal(entry.uid, 100_000_000);
        assert.equal(entry.gid, 3_000_000);
      },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const [item] = await roundTrip([c.spec]);
      assert.ok(item);
      c.check(item);
    });
  }
});

test('a size over 8 GiB is written so readers see it (base-256 field and PAX record)', () => {
  const size = 9 * 1024 ** 3 + 7;
  const blocks = encodeEntry(newEntry({ path: 'big', type: 'file', size }));
  const ustar = blocks.subarray(blocks.length - 512);
  assert.equal(decodeHeader(ustar)?.size, size);
  assert.match(blocks.toString('latin1'), new RegExp(`size=${size}\\n`));
});

test('base-256 numbers decode as GNU tar writes them', () => {
  const header = rawHeader({ size: 2 ** 40 });
  assert.equal(header[124], 0x80);
  assert.equal(decodeHeader(header)?.size, 2 ** 40);
});

test('the reader refuses bad input with one clear message', async (t) => {
  const read = async (data: Buffer) => {
    for await (const item of readTar(Readable.from([data]), { where: 'x.tar' }))
      for await (const c of item.body) void c;
  };
  await t.test('not a tar', async () => {
    await assert.rejects(
      read(Buffer.alloc(1024, 'a')),
      (e: UndockerError) => e.code === 'UNDOCKER_BAD_ARCHIVE' && /x\.tar: not a tar archive/.test(e.message),
    );
  });
  await t.test('truncated in the middle of a file', async () => {
    const tar = makeTar([{ path: 'f', content: Buffer.alloc(5000, 1) }]);
    await assert.rejects(
      read(tar.subarray(0, 2048)),
      (e: UndockerError) => e.code === 'UNDOCKER_BAD_ARCHIVE' && /truncated/.test(e.message),
    );
  });
  await t.test('a huge extended header is refused, not buffered', async () => {
    const header = rawHeader({ name: 'PaxHeaders/x', size: 1 << 30, typeflag: 'x' });
    await assert.rejects(
      read(Buffer.concat([header, Buffer.alloc(512)])),
      /extended header of 1073741824 bytes is larger than the 1048576-byte limit/,
    );
  });
  await t.test('a GNU multi-volume continuation is refused as unsupported', async () => {
    const header = rawHeader({ name: 'part', typeflag: 'M' });
    await assert.rejects(
      read(Buffer.concat([header, END_OF_ARCHIVE])),
      (e: UndockerError) => e.code === 'UNDOCKER_UNSUPPORTED' && /part: unsupported type flag 'M'/.test(e.message),
    );
  });
});

test('the reader drains bytes after the end-of-archive marker', async () => {
  let consumed = 0;
  const tar = Buffer.concat([makeTar([{ path: 'f', content: 'x' }]), Buffer.alloc(8192)]);
  async function* source() {
    for (let i = 0; i < tar.length; i += 1000) {
      const c = tar.subarray(i, i + 1000);
      consumed += c.length;
      yield c;
    }
  }
  for await (const item of readTar(source(), { where: 'x' })) void item;
  assert.equal(consumed, tar.length);
});

test('GNU tar reads what the writer writes, xattrs included', async () => {
  const { execFileSync } = await import('node:child_process');
  const tar = makeTar([
    { path: 'a', content: 'x', xattrs: { 'user.k': 'v' } },
    { path: `${'n'.repeat(150)}/${'m'.repeat(150)}`, content: 'y' },
  ]);
  const listing = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvv', '-f', '-'], {
    input: tar,
    encoding: 'utf8',
  });
  assert.match(listing, new RegExp(`${'m'.repeat(150)}`));
});

test('numeric fields right-aligned with spaces decode (old tars write them so)', () => {
  const header = rawHeader();
  header.write('   1750 ', 108, 8, 'latin1'); // uid, space padded
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  assert.equal(decodeHeader(header)?.uid, 0o1750);
});

test('a header checksum is checked the same at any alignment, each byte counted once', () => {
  // High bytes in every word of the header (a latin1 name, an owner), so a carry between byte lanes would show.
  const header = encodeEntry(
    newEntry({ path: `d\u00ff/${'\u00fe'.repeat(90)}`, type: 'file', uname: '\u00ff'.repeat(31) }),
  );
  for (const offset of [0, 1, 2, 3, 4, 512]) {
    const memory = Buffer.alloc(offset + 512 + 8);
    header.copy(memory, offset, 0, 512);
    const block = memory.subarray(offset, offset + 512);
    assert.equal(decodeHeader(block)?.name, `d\u00ff/${'\u00fe'.repeat(90)}`, `at offset ${offset}`);
    for (const at of [0, 147, 156, 300, 511]) {
      block[at] = (block[at] as number) ^ 1; // one bit off anywhere but the checksum field
      assert.equal(decodeHeader(block), undefined, `a changed byte ${at} at offset ${offset}`);
      block[at] = (block[at] as number) ^ 1;
    }
  }
});
