/**
 * The writer thread's operations survive encoding exactly, whatever the batch boundaries: every
 * operation decodes to what was encoded and uses exactly the bytes it reserved, an operation never
 * straddles two batches, file data is split across them in order, and one operation larger than a
 * batch gets a buffer of its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AnyOp,
  type FieldType,
  OPS,
  OpDecoder,
  OpEncoder,
  type OpInput,
  type OpMeta,
  type OpName,
} from '../../../src/flatten/write-ops.js';

const ROOT = Buffer.from('/target/', 'utf8');

/**
 * encodeInto runs `write` on an encoder whose batches are `size` bytes (or what one operation needs), and returns them.
 */
function encodeInto(
  size: number,
  write: (encoder: OpEncoder) => void,
): Array<{ buffer: Buffer; length: number; needed: number }> {
  const batches: Array<{ buffer: Buffer; length: number; needed: number }> = [];
  let needed = 0;
  const encoder = new OpEncoder(ROOT, (full, length, nextNeeded) => {
    if (length > 0) batches.push({ buffer: full, length, needed });
    needed = nextNeeded;
    return Buffer.alloc(Math.max(size, nextNeeded));
  });
  write(encoder);
  encoder.flush();
  return batches;
}

function decodeAll(batches: Array<{ buffer: Buffer; length: number }>): AnyOp[] {
  const ops: AnyOp[] = [];
  for (const { buffer, length } of batches) {
    const decoder = new OpDecoder(buffer, length);
    while (!decoder.done) ops.push(decoder.next());
  }
  return ops;
}

const meta = (xattrs: Array<[string, Buffer]> = []): OpMeta => ({
  uid: 4_000_000_000,
  gid: 50,
  mode: 0o104755,
  time: 1_700_000_000.25,
  xattrs: new Map(xattrs),
});
const CAPABILITY = Buffer.from('0100000200200000000000000000000000000000', 'hex');

/** SAMPLES holds one input per operation: the compiler makes a new operation add its own. */
const SAMPLES: { [K in OpName]: OpInput<K> } = {
  layer: { where: 'layer sha256:abc of image.tar, naïve' },
  mkdir: { path: 'etc', meta: meta() },
  updateDir: { path: 'etc', meta: meta([['user.dir', Buffer.from('d')]]) },
  remove: { path: 'old', directory: true },
  open: { path: 'etc/caf\xc3\xa9', mode: 0o644 },
  data: { bytes: Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251)) },
  hole: { length: 2 ** 40 + 3 },
  close: {
    meta: meta([
      ['security.capability', CAPABILITY],
      ['user.note', Buffer.from('é')],
    ]),
  },
  symlink: { path: 'etc/link', target: '../x\xff', meta: meta() },
  link: { target: 'etc/caf\xc3\xa9', path: 'etc/hard', meta: meta(), chmod: false },
  special: { path: 'dev/null', kind: 'fifo', major: 1, minor: 3, meta: meta() },
  finishDir: { path: '', meta: meta() },
};

/** expected is what decoding `input` must give: paths gain the root, byte strings come back as bytes. */
function expected(name: OpName, input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { op: name };
  for (const [field, type] of OPS[name] as ReadonlyArray<readonly [string, FieldType]>) {
    const value = input[field];
    if (type === 'path') out[field] = Buffer.concat([ROOT, Buffer.from(value as string, 'latin1')]);
    else if (type === 'name') out[field] = Buffer.from(value as string, 'latin1');
    else if (type === 'bytes') out[field] = Buffer.from(value as Uint8Array);
    else out[field] = value;
  }
  return out;
}

/** plain turns views and maps into values deepEqual compares by content. */
function plain(op: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(op).map(([key, value]) => {
      if (value instanceof Uint8Array) return [key, Buffer.from(value).toString('hex')];
      if (key === 'meta')
        return [
          key,
          {
            ...(value as OpMeta),
            xattrs: [...(value as OpMeta).xattrs].map(([k, v]) => [k, Buffer.from(v).toString('hex')]),
          },
        ];
      return [key, value];
    }),
  );
}

const NAMES = Object.keys(OPS) as OpName[];

test('the samples cover every operation and every field type', () => {
  const types = new Set(
    NAMES.flatMap((name) => (OPS[name] as ReadonlyArray<readonly [string, FieldType]>).map(([, type]) => type)),
  );
  assert.deepEqual([...types].sort(), ['bytes', 'flag', 'meta', 'name', 'number', 'path', 'special', 'text']);
  for (const kind of ['char', 'block', 'fifo'] as const) {
    const [op] = decodeAll(encodeInto(64, (encoder) => encoder.encode('special', { ...SAMPLES.special, kind })));
    assert.equal((op as { kind: string }).kind, kind);
  }
});

for (const name of NAMES) {
  test(`${name}: decodes to what was encoded, in exactly the bytes it reserved`, () => {
    // A batch of one byte: each operation gets a buffer of exactly the size it asked for.
    const batches = encodeInto(1, (encoder) => encoder.encode(name, SAMPLES[name] as never));
    assert.equal(batches.length, 1);
    const [batch] = batches as [{ buffer: Buffer; length: number; needed: number }];
    assert.equal(batch.length, batch.needed, 'bytes written are the bytes reserved');
    const decoder = new OpDecoder(batch.buffer, batch.length);
    const op = decoder.next();
    assert.ok(decoder.done, 'the decoder read exactly the bytes the encoder wrote');
    assert.deepEqual(plain(op), plain(expected(name, SAMPLES[name] as Record<string, unknown>)));
  });
}

test('every operation comes back as written, in order, across batch boundaries', () => {
  const batches = encodeInto(128, (encoder) => {
    for (const name of NAMES) {
      if (name === 'data') encoder.data(SAMPLES.data.bytes);
      else encoder.encode(name, SAMPLES[name] as never);
    }
  });
  assert.ok(batches.length > 3, `${batches.length} batches: the test must cross boundaries`);
  const ops = decodeAll(batches);
  const data = Buffer.concat(ops.flatMap((op) => (op.op === 'data' ? [Buffer.from(op.bytes)] : [])));
  assert.deepEqual(data, SAMPLES.data.bytes, 'file data split across batches, in order');
  assert.deepEqual(
    ops.filter((op) => op.op !== 'data').map(plain),
    NAMES.filter((name) => name !== 'data').map((name) =>
      plain(expected(name, SAMPLES[name] as Record<string, unknown>)),
    ),
  );
});

test('an operation larger than a batch travels alone in a buffer of its size', () => {
  const big = Buffer.alloc(1000, 7);
  const batches = encodeInto(64, (encoder) => {
    encoder.encode('mkdir', { path: 'a', meta: meta() });
    encoder.encode('close', { meta: meta([['user.big', big]]) });
  });
  const last = batches[batches.length - 1] as { buffer: Buffer; length: number };
  const decoder = new OpDecoder(last.buffer, last.length);
  const op = decoder.next();
  assert.equal(op.op, 'close');
  assert.deepEqual(Buffer.from(op.op === 'close' ? (op.meta.xattrs.get('user.big') as Uint8Array) : []), big);
  assert.ok(decoder.done);
});

test('an unknown opcode is refused, not read as something else', () => {
  assert.throws(() => new OpDecoder(Buffer.from([99]), 1).next(), /unknown operation/);
});
