/**
 * Removal from the cache while runs read it (src/cache/set-aside.ts): what a run claims between
 * the remover's look and its deletion stays, and what a dead remover left is a leftover. The
 * claims are callbacks here, so each interleaving is played in a fixed order.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { listLayers, layersDir, removeLayers } from '../../../src/cache/layer-store.js';
import { asideOf, removeUnlessClaimed, SET_ASIDE_PREFIX } from '../../../src/cache/set-aside.js';
import { tempDir } from '../../helpers/archives.js';

function folder(parent: string, name: string, content: string): void {
  mkdirSync(join(parent, name), { recursive: true });
  writeFileSync(join(parent, name, 'record'), content);
}

test('a folder nobody claims once it is set aside is deleted; a claimed one goes back', () => {
  const parent = tempDir();
  folder(parent, 'a', 'old');
  assert.deepEqual(
    removeUnlessClaimed(parent, 'a', () => []),
    [],
  );
  assert.deepEqual(readdirSync(parent), []);
  folder(parent, 'b', 'old');
  // A run claimed it after the remover's first look: it is there again, as it was.
  assert.deepEqual(
    removeUnlessClaimed(parent, 'b', () => ['run']),
    ['run'],
  );
  assert.deepEqual(readdirSync(parent), ['b']);
  assert.equal(readFileSync(join(parent, 'b', 'record'), 'utf8'), 'old');
  assert.deepEqual(
    removeUnlessClaimed(parent, 'gone', () => ['run']),
    [],
    'what is gone already needs nothing',
  );
});

test('a folder a run made again while it was set aside is the one that stays', () => {
  const parent = tempDir();
  folder(parent, 'a', 'old');
  const claims = (): string[] => {
    folder(parent, 'a', 'remade'); // the run found it gone and made it again
    return ['run'];
  };
  assert.deepEqual(removeUnlessClaimed(parent, 'a', claims), ['run']);
  assert.deepEqual(readdirSync(parent), ['a']);
  assert.equal(readFileSync(join(parent, 'a', 'record'), 'utf8'), 'remade');
  // Made again but still empty: the folder set aside takes its place, whole.
  folder(parent, 'b', 'old');
  const empty = (): string[] => {
    mkdirSync(join(parent, 'b'));
    return ['run'];
  };
  assert.deepEqual(removeUnlessClaimed(parent, 'b', empty), ['run']);
  assert.equal(readFileSync(join(parent, 'b', 'record'), 'utf8'), 'old');
});

test('layers an image names by the time they are set aside go back; the rest go', () => {
  const root = tempDir();
  const kept = 'a'.repeat(64);
  const dropped = 'b'.repeat(64);
  for (const hex of [kept, dropped]) folder(layersDir(root), hex, '{}');
  let asked = 0;
  // First look: nothing names them. By the second, a run has recorded an image naming one.
  const used = (): Set<string> => (asked++ === 0 ? new Set() : new Set([`sha256:${kept}`]));
  assert.deepEqual(removeLayers(root, used), [`layer ${dropped.slice(0, 12)}`]);
  assert.equal(asked, 2);
  assert.deepEqual(readdirSync(layersDir(root)), [kept]);
});

test('what a dead remover set aside is a leftover: never listed, and cleared', () => {
  const root = tempDir();
  const hex = 'c'.repeat(64);
  const dead = spawnSync('true').pid ?? 999_999_999;
  const aside = `${SET_ASIDE_PREFIX}${dead}-${hex}`;
  mkdirSync(join(layersDir(root), aside, 'diff'), { recursive: true });
  writeFileSync(join(layersDir(root), aside, 'layer.json'), JSON.stringify({ chainId: `sha256:${hex}`, bytes: 1 }));
  assert.deepEqual(asideOf(aside), { living: false, name: hex });
  assert.deepEqual(asideOf(`${SET_ASIDE_PREFIX}${process.pid}-${hex}`), { living: true, name: hex });
  assert.deepEqual(listLayers(root), []);
  assert.deepEqual(
    removeLayers(root, () => new Set()),
    [`layer ${hex.slice(0, 12)}`],
  );
  assert.equal(existsSync(join(layersDir(root), aside)), false);
});
