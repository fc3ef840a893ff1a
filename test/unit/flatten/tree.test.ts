/**
 * The compact tree's parts against plain Maps: the (parent, name) index through growth and
 * deletions, interned metadata, and the tree's own bookkeeping (detached names, order, sizes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaTable, type MetaFields } from '../../../src/flatten/meta-table.js';
import { ChildIndex, NameArena } from '../../../src/flatten/name-index.js';
import { NodeColumns, SLOT_MASK } from '../../../src/flatten/node-columns.js';
import { splitEntryPath } from '../../../src/flatten/paths.js';
import { applyEntry } from '../../../src/flatten/apply-entry.js';
import { PLANNING_SINK } from '../../../src/flatten/sink.js';
import { defaultDirMeta, FsTree, type InodeFields } from '../../../src/flatten/tree.js';
import { newEntry } from '../../../src/tar/entry.js';

/** random is a small seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 4_294_967_296;
  };
}

function fileFields(size: number, overrides: Partial<InodeFields> = {}): InodeFields {
  return { ...defaultDirMeta(1_700_000_000), mode: 0o644, size, ...overrides };
}

/** indexAgreesWithMap inserts, removes and finds 60,000 times in an index of `maxDepth`, against a Map. */
function indexAgreesWithMap(maxDepth?: number): void {
  const columns = new NodeColumns();
  const names = new NameArena();
  const index = new ChildIndex(columns, names, maxDepth);
  const reference = new Map<string, number>();
  columns.add(); // node 0 is the root, never indexed
  const next = random(7);
  for (let step = 0; step < 60_000; step++) {
    const parent = Math.floor(next() * 50) + 1;
    const name = `n${Math.floor(next() * 2_000)}\u00e9`;
    const key = `${parent}/${name}`;
    const had = reference.get(key);
    if (had !== undefined && next() < 0.6) {
      index.remove(had);
      reference.delete(key);
    } else if (had === undefined) {
      const node = columns.add();
      const page = columns.page(node);
      page.parent[node & SLOT_MASK] = parent;
      page.nameOffset[node & SLOT_MASK] = names.store(name);
      page.nameLength[node & SLOT_MASK] = name.length;
      index.insert(node);
      reference.set(key, node);
    }
  }
  assert.ok(reference.size > 10_000, 'the index split or grew several times');
  for (let parent = 1; parent <= 50; parent++)
    for (let n = 0; n < 2_000; n += 7) {
      const name = `n${n}\u00e9`;
      assert.equal(index.find(parent, name), reference.get(`${parent}/${name}`), `${parent}/${name}`);
    }
}

test('the child index agrees with a Map through splits, removals and reinsertions', () => {
  indexAgreesWithMap();
});

// Names whose hashes agree would split a segment forever: past its depth limit a segment doubles instead.
test('the child index agrees with a Map when its segments may no longer split, and double', () => {
  indexAgreesWithMap(2);
});

test('metadata tuples are interned: the same tuple one number, any field different another', () => {
  const table = new MetaTable();
  const base: MetaFields = { ...defaultDirMeta(1_700_000_000), uname: 'root', gname: 'root' };
  const id = table.intern(base);
  assert.equal(table.intern({ ...base }), id);
  const variants: Array<Partial<MetaFields>> = [
    { mode: 0o700 },
    { uid: 2 ** 40 }, // past 32 bits, kept exact
    { gid: 1000 },
    { mtime: 1_700_000_001 },
    { paxMtime: '1700000000.5' },
    { devmajor: 1 },
    { devminor: 3 },
    { uname: 'app' },
    { gname: '' },
  ];
  const ids = variants.map((change) => table.intern({ ...base, ...change }));
  assert.equal(new Set([id, ...ids]).size, variants.length + 1);
  for (const [i, change] of variants.entries()) {
    const back = table.get(ids[i] as number, '', new Map());
    for (const [field, value] of Object.entries(change)) assert.equal(back[field as keyof MetaFields], value, field);
  }
  for (let i = 0; i < 20_000; i++) table.intern({ ...base, mtime: i }); // past several pages and splits
  assert.equal(table.intern({ ...base, mode: 0o700 }), ids[0]);
  assert.equal(table.get(table.intern({ ...base, mtime: 4_321 }), '', new Map()).mtime, 4_321);
  const late = table.intern({ ...base, mtime: 19_999 });
  assert.equal(table.intern({ ...base, mtime: 19_999 }), late);
  assert.equal(table.get(late, '', new Map()).mtime, 19_999);
});

test('PAX times are interned as bytes: each its own number, found again, given back whole, however long', () => {
  const table = new MetaTable();
  const base: MetaFields = { ...defaultDirMeta(1_700_000_000), uname: 'root', gname: 'root' };
  const pax = (i: number): string => `1700000000.${String(i).padStart(6, '0')}`;
  const ids = Array.from({ length: 20_000 }, (_, i) => table.intern({ ...base, paxMtime: pax(i) }));
  assert.equal(new Set(ids).size, ids.length);
  for (const i of [0, 4_095, 4_096, 19_999]) {
    assert.equal(table.intern({ ...base, paxMtime: pax(i) }), ids[i]);
    assert.equal(table.get(ids[i] as number, '', new Map()).paxMtime, pax(i));
  }
  // Longer than a page of the byte arena: it gets a page of its own, and what follows a page after it.
  const long = `1${'0'.repeat(1_100_000)}.5`;
  const longId = table.intern({ ...base, paxMtime: long });
  const after = table.intern({ ...base, paxMtime: pax(20_000) });
  assert.equal(table.get(longId, '', new Map()).paxMtime, long);
  assert.equal(table.get(after, '', new Map()).paxMtime, pax(20_000));
  assert.equal(table.get(table.intern({ ...base }), '', new Map()).paxMtime, undefined);
});

test('the tree lists names in byte order and forgets detached ones, however deep', async () => {
  const tree = new FsTree();
  const dir = tree.create(tree.root, 'd', 0, 'directory', defaultDirMeta(0), -1);
  for (const name of ['b', '\u00e9', 'a', 'B', 'a.b']) tree.create(dir, name, 0, 'file', fileFields(1), 0);
  tree.detach(tree.childOf(dir, 'a') as number);
  tree.create(dir, 'a', 1, 'file', fileFields(2), 0);
  assert.deepEqual(
    [...tree.nodes(dir)].map((node) => tree.nameOf(node)),
    ['B', 'a', 'a.b', 'b', '\u00e9'],
  );
  assert.equal(tree.layerOf(tree.childOf(dir, 'a') as number), 1);
  const inner = tree.create(dir, 'inner', 0, 'directory', defaultDirMeta(0), -1);
  const innermost = tree.create(inner, 'z', 0, 'directory', defaultDirMeta(0), -1);
  assert.deepEqual([...tree.directories()], [dir, inner, innermost], 'directories, parents first');
  tree.detach(inner);
  // A folder 20,000 deep goes without a stack overflow, its names out of the index.
  let deep = dir;
  for (let i = 0; i < 20_000; i++) deep = tree.create(deep, 'x', 0, 'directory', defaultDirMeta(0), -1);
  assert.equal(tree.pathOf(deep), `d${'/x'.repeat(20_000)}`, 'its path, built without a stack of calls');
  assert.equal([...tree.nodes(dir)].length, 5 + 20_000, 'listed without a stack of calls');
  // A whiteout of the top, applied as a layer's entry: the walk down for what that layer wrote, then the removal.
  const body = (async function* (): AsyncGenerator<Buffer> {})();
  const whiteout = { entry: newEntry({ path: 'd/.wh.x', type: 'file' }), ordinal: 0, offset: 0, header: 0, body };
  await applyEntry({ tree, sink: PLANNING_SINK, layer: 1, where: 'layer 2' }, whiteout);
  assert.equal(tree.childOf(dir, 'x'), undefined);
  assert.equal(tree.isAttached(deep), false);
  assert.equal(tree.childrenOf(dir).length, 5);
});

test('sizes past 4 GiB, link targets, xattrs and hardlinks are kept per inode', () => {
  const tree = new FsTree();
  const big = tree.create(tree.root, 'big', 0, 'file', fileFields(9 * 2 ** 30), 3);
  const edge = tree.create(tree.root, 'edge', 0, 'file', fileFields(2 ** 32 - 1), 4);
  const link = tree.create(tree.root, 'l', 0, 'symlink', fileFields(0, { linkname: '/etc/\u00e9' }), 5);
  assert.equal(tree.sizeOf(big), 9 * 2 ** 30);
  assert.equal(tree.sizeOf(edge), 2 ** 32 - 1);
  assert.equal(tree.dataBlockOf(big), 3);
  assert.deepEqual(tree.childrenOf(big), [], 'a file has no children, whatever its data block');
  assert.equal(tree.dataBlockOf(big), 3);
  assert.equal(tree.symlinkTarget(link), '/etc/\u00e9');
  const second = tree.addName(tree.root, 'big2', big, 1);
  assert.equal(tree.inodeOf(second), big);
  assert.equal(tree.kindOf(second), 'file');
  assert.ok(tree.isLinked(big) && !tree.isLinked(edge));
  tree.addXattrs(big, new Map([['user.a', Buffer.from('1')]]));
  tree.updateMeta(big, { uid: 7, mode: 0o600 });
  const meta = tree.metaOf(tree.inodeOf(second));
  assert.equal(meta.uid, 7);
  assert.equal(meta.mode, 0o600);
  assert.equal(meta.xattrs.get('user.a')?.toString(), '1');
  assert.equal(tree.metaOf(edge).xattrs.size, 0);
  assert.equal(tree.pathOf(second), 'big2');
});

test('a name longer than the tree keeps is refused with its entry', () => {
  assert.throws(
    () => splitEntryPath(`a/${'n'.repeat(70_000)}`, 'layer 2'),
    /layer 2: entry a\/n+… has a name of 70000 bytes/,
  );
});
