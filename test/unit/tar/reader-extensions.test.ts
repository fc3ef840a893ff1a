import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { UndockerError } from '../../../src/errors.js';
import { BLOCK, encodePax, padding, type RawHeader } from '../../../src/tar/header.js';
import { readTar } from '../../../src/tar/reader.js';
import { expandSparse, sparsePieces } from '../../../src/tar/sparse.js';
import { END_OF_ARCHIVE } from '../../../src/tar/writer.js';
import { rawHeader } from '../../helpers/tar-builder.js';

const padded = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc(padding(data.length))]);

/** paxEntry is a PAX header with `records`, then the entry's own header and data. */
function paxEntry(records: Record<string, string>, fields: Partial<RawHeader>, data: Buffer = Buffer.alloc(0)): Buffer {
  const pax = encodePax(new Map(Object.entries(records).map(([k, v]) => [k, Buffer.from(v, 'latin1')])));
  return Buffer.concat([
    rawHeader({ name: 'PaxHeaders/x', typeflag: 'x', size: pax.length }),
    padded(pax),
    rawHeader({ size: data.length, ...fields }),
    padded(data),
  ]);
}

async function readAll(tar: Buffer) {
  const out = [];
  for await (const item of readTar(Readable.from([tar]), { where: 'x.tar' })) {
    const parts: Buffer[] = [];
    for await (const chunk of item.body) parts.push(chunk);
    out.push({ entry: item.entry, data: Buffer.concat(parts), sparse: item.sparse });
  }
  return out;
}

test('PAX path over a ustar name that ends in / is a file, not a directory (Python tarfile headers)', async () => {
  // Python's tarfile cuts the ustar name at 100 bytes; here the cut lands just after a slash.
  const path = `${'d'.repeat(99)}/${'f'.repeat(30)}`;
  const tar = Buffer.concat([
    paxEntry({ path }, { name: path.slice(0, 100), typeflag: '0' }, Buffer.from('content\n')),
    rawHeader({ name: 'next', size: 2 }),
    padded(Buffer.from('ok')),
    END_OF_ARCHIVE,
  ]);
  const [first, second] = await readAll(tar);
  assert.equal(first?.entry.path, path);
  assert.equal(first?.entry.type, 'file');
  assert.equal(first?.data.toString(), 'content\n');
  assert.equal(second?.entry.path, 'next');
  assert.equal(second?.data.toString(), 'ok');
});

test('the V7 rule still makes a directory of a typeflag 0 or NUL entry whose final name ends in /', async (t) => {
  for (const typeflag of ['0', '\0']) {
    await t.test(`typeflag ${JSON.stringify(typeflag)}`, async () => {
      const [item] = await readAll(Buffer.concat([rawHeader({ name: 'old/', typeflag }), END_OF_ARCHIVE]));
      assert.equal(item?.entry.type, 'directory');
    });
  }
  await t.test('a GNU long name ending in / over a plain ustar name', async () => {
    const long = `${'l'.repeat(120)}/`;
    const data = Buffer.from(`${long}\0`);
    const tar = Buffer.concat([
      rawHeader({ name: '././@LongLink', typeflag: 'L', size: data.length }),
      padded(data),
      rawHeader({ name: 'short' }),
      END_OF_ARCHIVE,
    ]);
    const [item] = await readAll(tar);
    assert.equal(item?.entry.type, 'directory');
  });
});

/** The file a sparse map describes: 'A' x 10 at 0, a hole, 'B' x 5 at 100, a hole to 300. */
const SPARSE_REAL = Buffer.concat([Buffer.alloc(10, 'A'), Buffer.alloc(90), Buffer.alloc(5, 'B'), Buffer.alloc(195)]);
const SPARSE_STORED = Buffer.from('AAAAAAAAAABBBBB');

test('GNU sparse files are read whole, with zeros in their holes', async (t) => {
  await t.test('PAX 0.1 (GNU.sparse.map)', async () => {
    const tar = Buffer.concat([
      paxEntry(
        {
          'GNU.sparse.size': '300',
          'GNU.sparse.numblocks': '2',
          'GNU.sparse.name': 'real/name',
          'GNU.sparse.map': '0,10,100,5',
        },
        { name: 'GNUSparseFile.1/name' },
        SPARSE_STORED,
      ),
      END_OF_ARCHIVE,
    ]);
    const [item] = await readAll(tar);
    assert.equal(item?.entry.path, 'real/name');
    assert.equal(item?.entry.size, 300);
    assert.deepEqual(item?.data, SPARSE_REAL);
    assert.deepEqual(item?.sparse?.layout.regions, [
      { offset: 0, length: 10 },
      { offset: 100, length: 5 },
    ]);
  });
  await t.test('PAX 0.0 (repeated GNU.sparse.offset and numbytes records)', async () => {
    const record = (key: string, value: string): Buffer => encodePax(new Map([[key, Buffer.from(value)]]));
    const records = Buffer.concat([
      record('GNU.sparse.size', '300'),
      record('GNU.sparse.offset', '0'),
      record('GNU.sparse.numbytes', '10'),
      record('GNU.sparse.offset', '100'),
      record('GNU.sparse.numbytes', '5'),
    ]);
    const tar = Buffer.concat([
      rawHeader({ name: 'PaxHeaders/x', typeflag: 'x', size: records.length }),
      padded(records),
      rawHeader({ name: 'zero', size: SPARSE_STORED.length }),
      padded(SPARSE_STORED),
      END_OF_ARCHIVE,
    ]);
    const [item] = await readAll(tar);
    assert.equal(item?.entry.path, 'zero');
    assert.deepEqual(item?.data, SPARSE_REAL);
  });
  await t.test('PAX 1.0 (the map opens the data)', async () => {
    const map = padded(Buffer.from('2\n0\n10\n100\n5\n'));
    const tar = Buffer.concat([
      paxEntry(
        { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'one', 'GNU.sparse.realsize': '300' },
        { name: 'GNUSparseFile.1/one' },
        Buffer.concat([map, SPARSE_STORED]),
      ),
      END_OF_ARCHIVE,
    ]);
    const [item] = await readAll(tar);
    assert.equal(item?.entry.path, 'one');
    assert.deepEqual(item?.data, SPARSE_REAL);
  });
  await t.test('old GNU typeflag S with an extension block', async () => {
    const block = rawHeader({ name: 'old', typeflag: 'S', size: SPARSE_STORED.length });
    block.write('ustar  \0', 257, 8, 'latin1');
    // Four regions fit the header; the fifth goes to an extension block. Regions of 2 bytes at 0, 20, 40, 60, 80.
    const regions = [0, 20, 40, 60, 80];
    regions.slice(0, 4).forEach((offset, i) => {
      block.write(offset.toString(8).padStart(11, '0'), 386 + i * 24, 'latin1');
      block.write('2'.padStart(11, '0'), 386 + i * 24 + 12, 'latin1');
    });
    block[482] = 1;
    block.write((100).toString(8).padStart(11, '0'), 483, 'latin1');
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    const extension = Buffer.alloc(BLOCK);
    extension.write((80).toString(8).padStart(11, '0'), 0, 'latin1');
    extension.write('2'.padStart(11, '0'), 12, 'latin1');
    const stored = Buffer.from('aabbccddee');
    block.write(stored.length.toString(8).padStart(11, '0'), 124, 'latin1');
    block.fill(0x20, 148, 156);
    sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    const [item] = await readAll(Buffer.concat([block, extension, padded(stored), END_OF_ARCHIVE]));
    const expected = Buffer.alloc(100);
    regions.forEach((offset, i) => stored.copy(expected, offset, i * 2, i * 2 + 2));
    assert.equal(item?.entry.type, 'file');
    assert.deepEqual(item?.data, expected);
  });
});

test('hostile sparse maps are refused with one line', async (t) => {
  const cases: Array<{ name: string; map: string; size: string; stored: Buffer<ArrayBuffer>; message: RegExp }> = [
    {
      name: 'regions that overlap',
      map: '0,10,5,5',
      size: '300',
      stored: SPARSE_STORED,
      message: /overlap or run past/,
    },
    {
      name: 'a region past the real size',
      map: '0,10,296,5',
      size: '300',
      stored: SPARSE_STORED,
      message: /overlap or run past/,
    },
    {
      name: 'a map that holds more than the entry stores',
      map: '0,10,100,50',
      size: '300',
      stored: SPARSE_STORED,
      message: /sparse map holds 60 bytes but the entry stores 15/,
    },
    {
      name: 'a map that is not numbers',
      map: '0,x',
      size: '300',
      stored: SPARSE_STORED,
      message: /not a tar|sparse|map/,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const tar = Buffer.concat([
        paxEntry({ 'GNU.sparse.size': c.size, 'GNU.sparse.map': c.map }, { name: 'evil' }, c.stored),
        END_OF_ARCHIVE,
      ]);
      await assert.rejects(
        readAll(tar),
        (e: UndockerError) =>
          e.code === 'UNDOCKER_BAD_ARCHIVE' && /x\.tar: entry evil: /.test(e.message) && c.message.test(e.message),
      );
    });
  }
});

test('sparsePieces tells holes apart from data, and expandSparse fills them', async () => {
  const layout = {
    regions: [
      { offset: 4, length: 3 },
      { offset: 7, length: 0 },
      { offset: 10, length: 2 },
    ],
    realSize: 16,
  };
  const pieces: Array<string | number> = [];
  for await (const piece of sparsePieces(Readable.from([Buffer.from('xy'), Buffer.from('zuv')]), layout))
    pieces.push(typeof piece === 'number' ? piece : piece.toString());
  assert.deepEqual(pieces, [4, 'xy', 'z', 3, 'uv', 4]);
  const parts: Buffer[] = [];
  for await (const chunk of expandSparse(Readable.from([Buffer.from('xyzuv')]), layout)) parts.push(chunk);
  assert.equal(Buffer.concat(parts).toString('latin1'), '\0\0\0\0xyz\0\0\0uv\0\0\0\0');
});
