/** randomHex gives as many random bytes as asked, in hex, a new draw each call. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex } from '../../../src/host/random-hex.js';

test('randomHex returns the bytes asked for as lowercase hex, different each call', () => {
  for (const bytes of [1, 3, 32, 4096]) assert.match(randomHex(bytes), new RegExp(`^[0-9a-f]{${2 * bytes}}$`));
  const ids = new Set(Array.from({ length: 100 }, () => randomHex(32)));
  assert.equal(ids.size, 100);
  assert.equal(randomHex(0), '');
});
