/**
 * removeTree and removeFile remove what rmSync with force (and recursive) would, and nothing
 * through a symlink.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeFile, removeTree } from '../../../src/output/remove.js';
import { tempDir } from '../../helpers/archives.js';

/** keeper is a folder outside the trees, with one file, that no removal may touch. */
function keeper(dir: string): string {
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'kept'), 'kept');
  return outside;
}

test('removeTree removes a tree of folders, files and symlinks, and nothing a symlink points to', () => {
  const dir = tempDir();
  const outside = keeper(dir);
  const tree = join(dir, 'container');
  mkdirSync(join(tree, 'upper', '.undocker'), { recursive: true });
  mkdirSync(join(tree, 'work', 'work'), { recursive: true, mode: 0 });
  writeFileSync(join(tree, 'upper', '.undocker', 'busybox'), '');
  writeFileSync(join(tree, 'config.json'), '{}');
  symlinkSync(outside, join(tree, 'upper', 'to-folder'));
  symlinkSync(join(outside, 'kept'), join(tree, 'to-file'));
  symlinkSync('nowhere', join(tree, 'dangling'));
  removeTree(tree);
  assert.equal(existsSync(tree), false);
  assert.deepEqual(readdirSync(outside), ['kept']);
});

test('removeTree given a symlink to a folder removes the symlink alone; a path already gone is no error', () => {
  const dir = tempDir();
  const outside = keeper(dir);
  const link = join(dir, 'link');
  symlinkSync(outside, link);
  removeTree(link);
  assert.equal(existsSync(link), false);
  assert.deepEqual(readdirSync(outside), ['kept']);
  removeTree(link);
  removeTree(join(dir, 'never', 'there'));
  writeFileSync(join(dir, 'file'), '');
  removeTree(join(dir, 'file'));
  assert.deepEqual(readdirSync(dir), ['outside']);
});

test('removeFile removes a file or a symlink, not its target; one already gone is no error, a folder is', () => {
  const dir = tempDir();
  const outside = keeper(dir);
  symlinkSync(join(outside, 'kept'), join(dir, 'link'));
  removeFile(join(dir, 'link'));
  removeFile(join(dir, 'link'));
  assert.deepEqual(readdirSync(dir), ['outside']);
  assert.deepEqual(readdirSync(outside), ['kept']);
  assert.throws(() => removeFile(outside), { code: 'EISDIR' });
});
