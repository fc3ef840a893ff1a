/** directoryBytes counts the bytes of regular files below a folder, a hardlinked file once. */
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { directoryBytes } from '../../../src/cache/directory-bytes.js';
import { tempDir } from '../../helpers/archives.js';

test('directoryBytes adds every regular file below, a hardlinked one once, and no symlink', () => {
  const root = tempDir();
  mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(join(root, 'top'), Buffer.alloc(100));
  writeFileSync(join(root, 'a', 'b', 'c', 'deep'), Buffer.alloc(1000));
  writeFileSync(join(root, 'a', 'linked'), Buffer.alloc(10_000));
  linkSync(join(root, 'a', 'linked'), join(root, 'a', 'b', 'again'));
  linkSync(join(root, 'a', 'linked'), join(root, 'third'));
  symlinkSync('top', join(root, 'a', 'symlink'));
  for (let i = 0; i < 300; i++) writeFileSync(join(root, 'a', 'b', `many-${i}`), 'x');
  assert.equal(directoryBytes(root), 100 + 1000 + 10_000 + 300);
  assert.equal(directoryBytes(join(root, 'a', 'b')), 1000 + 10_000 + 300);
});
