/**
 * The writer thread's operations survive encoding exactly, whatever the batch boundaries: an
 * operation never straddles two batches, file data is split across them in order, and one
 * operation larger than a batch gets a buffer of its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OP, OpDecoder, OpEncoder, type OpMeta } from '../../../src/flatten/write-ops.js';

const ROOT = Buffer.from('/target/', 'utf8');

/** encodeInto runs `write` on an encoder whose batches are `size` bytes (or what one operation needs), and returns them. */
function encodeInto(size: number, write: (encoder: OpEncoder) => void): OpDecoder[] {
  const batches: OpDecoder[] = [];
  const encoder = new OpEncoder(ROOT, (full, length, needed) => {
    if (length > 0) batches.push(new OpDecoder(full, length));
    return Buffer.alloc(Math.max(size, needed));
  });
  write(encoder);
  encoder.flush();
  return batches;
}

const meta = (xattrs: Array<[string, Buffer]> = []): OpMeta => ({ uid: 4_000_000_000, gid: 50, mode: 0o104755, time: 1_700_000_000.25, xattrs: new Map(xattrs) });

test('every operation and field comes back as written, across batch boundaries', () => {
  const capability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
  const batches = encodeInto(128, (encoder) => {
    encoder.layer('layer sha256:abc of image.tar');
    encoder.mkdir('etc', meta());
    encoder.open('etc/caf\xc3\xa9', 0o644);
    encoder.data(data);
    encoder.close(meta([['security.capability', capability], ['user.note', Buffer.from('é')]]));
    encoder.symlink('etc/link', '../x\xff', meta());
    encoder.link('etc/caf\xc3\xa9', 'etc/hard', meta(), true);
    encoder.special('dev/null', 'char', 1, 3, meta());
    encoder.remove('old', true);
    encoder.finishDir('', meta());
  });
  assert.ok(batches.length > 3, `${batches.length} batches: the test must cross boundaries`);
  const ops: unknown[] = [];
  const bytes: Buffer[] = [];
  for (const op of batches) {
    while (!op.done) {
      const code = op.u8();
      const path = (): string => op.bytes().toString('latin1');
      const m = (): unknown => { const { xattrs, ...rest } = op.meta(); return { ...rest, xattrs: [...xattrs].map(([k, v]) => [k, Buffer.from(v).toString('hex')]) }; };
      switch (code) {
        case OP.layer: ops.push(['layer', op.text()]); break;
        case OP.mkdir: ops.push(['mkdir', path(), m()]); break;
        case OP.open: ops.push(['open', path(), op.f64()]); break;
        case OP.data: bytes.push(Buffer.from(op.bytes())); break;
        case OP.close: ops.push(['close', m()]); break;
        case OP.symlink: ops.push(['symlink', path(), path(), m()]); break;
        case OP.link: ops.push(['link', path(), path(), m(), op.u8()]); break;
        case OP.special: ops.push(['special', path(), op.specialKind(), op.f64(), op.f64(), m()]); break;
        case OP.remove: ops.push(['remove', path(), op.u8()]); break;
        case OP.finishDir: ops.push(['finish', path(), m()]); break;
        default: assert.fail(`unknown operation ${code}`);
      }
    }
  }
  const plain = { uid: 4_000_000_000, gid: 50, time: 1_700_000_000.25, mode: 0o104755, xattrs: [] };
  assert.deepEqual(ops, [
    ['layer', 'layer sha256:abc of image.tar'],
    ['mkdir', '/target/etc', plain],
    ['open', '/target/etc/caf\xc3\xa9', 0o644],
    ['close', { ...plain, xattrs: [['security.capability', capability.toString('hex')], ['user.note', Buffer.from('é').toString('hex')]] }],
    ['symlink', '/target/etc/link', '../x\xff', plain],
    ['link', '/target/etc/caf\xc3\xa9', '/target/etc/hard', plain, 1],
    ['special', '/target/dev/null', 'char', 1, 3, plain],
    ['remove', '/target/old', 1],
    ['finish', '/target/', plain],
  ]);
  assert.deepEqual(Buffer.concat(bytes), data, 'file data split across batches, in order');
});

test('an operation larger than a batch travels alone in a buffer of its size', () => {
  const big = Buffer.alloc(1000, 7);
  const batches = encodeInto(64, (encoder) => {
    encoder.mkdir('a', meta());
    encoder.close(meta([['user.big', big]]));
  });
  const last = batches[batches.length - 1] as OpDecoder;
  assert.equal(last.u8(), OP.close);
  assert.deepEqual(Buffer.from(last.meta().xattrs.get('user.big') as Uint8Array), big);
  assert.ok(last.done);
});
