import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Change, fateOf, walkLayers, type WalkedEntry } from '../../../src/explore/layer-walk.js';
import { layerUsage } from '../../../src/explore/layer-usage.js';
import { toPathMatcher } from '../../../src/explore/path-match.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import type { Image } from '../../../src/image/types.js';
import { writeDockerSave } from '../../helpers/archives.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

const BASE: EntrySpec[] = [
  { path: 'etc/' },
  { path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
  { path: 'etc/motd', content: 'hello\n' },
  { path: 'bin/' },
  { path: 'bin/tool', content: 'v1', mode: 0o755 },
  { path: 'bin/alias', linkname: 'tool' },
  { path: 'srv/' },
  { path: 'srv/a', content: 'a' },
  { path: 'srv/sub/' },
  { path: 'srv/sub/b', content: 'bb' },
  { path: 'data/' },
  { path: 'data/big', content: Buffer.alloc(5000, 1) },
];

async function withImage<T>(layers: EntrySpec[][], use: (image: Image) => Promise<T>): Promise<T> {
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: ['walk:1'] }]));
  try {
    return await use(selectImage(archive));
  } finally {
    await archive.close();
  }
}

const lines = (changes: Change[]): string[] => changes.map((change) => `${change.kind} ${change.path}`);

test('diff: a base layer adds all; later ones add, change (content, mode, owner, type) and delete', async () => {
  const second: EntrySpec[] = [
    { path: 'etc/' },
    { path: 'etc/motd', content: 'changed\n' },
    { path: 'etc/new', content: 'n' },
    { path: 'etc/.wh.passwd' },
    { path: 'bin/' },
    { path: 'bin/tool', content: 'v1', mode: 0o700 },
    { path: 'bin/alias', content: 'now a file' },
    { path: 'srv/' },
    { path: 'srv/a', content: 'a', uid: 1000 },
    { path: 'srv/.wh.nothing-there' },
  ];
  const changes = await withImage([BASE, second], async (image) => (await walkLayers(image.layers)).changes);
  assert.deepEqual(lines(changes[0] ?? []).slice(0, 3), ['A /bin', 'A /bin/alias', 'A /bin/tool']);
  assert.equal(changes[0]?.length, BASE.length);
  assert.deepEqual(lines(changes[1] ?? []), [
    'C /bin',
    'C /bin/alias',
    'C /bin/tool',
    'C /etc',
    'C /etc/motd',
    'A /etc/new',
    'D /etc/passwd',
    'C /srv',
    'C /srv/a',
  ]);
});

test('diff: an opaque folder deletes what it hides below; deleted then written again is changed', async () => {
  const second: EntrySpec[] = [
    { path: 'srv/' },
    { path: 'srv/.wh..wh..opq' },
    { path: 'srv/fresh', content: 'f' },
    { path: 'data/' },
    { path: 'data/.wh.big' },
    { path: 'data/big', content: 'small now' },
  ];
  const changes = await withImage([BASE, second], async (image) => (await walkLayers(image.layers)).changes);
  assert.deepEqual(lines(changes[1] ?? []), [
    'C /data',
    'C /data/big',
    'C /srv',
    'D /srv/a',
    'A /srv/fresh',
    'D /srv/sub',
  ]);
});

test('diff: a hardlink to a lower file is a change of its own path only; an unchanged copy is no change', async () => {
  const second: EntrySpec[] = [
    { path: 'bin/' },
    { path: 'bin/tool2', type: 'hardlink', linkname: 'bin/tool' },
    { path: 'etc/' },
    { path: 'etc/motd', content: 'hello\n' },
  ];
  const changes = await withImage([BASE, second], async (image) => (await walkLayers(image.layers)).changes);
  assert.deepEqual(lines(changes[1] ?? []), ['C /bin', 'A /bin/tool2', 'C /etc']);
});

test('find: every entry with its fate; layers: entries and wasted bytes, hardlinked data not wasted', async () => {
  const second: EntrySpec[] = [
    { path: 'data/' },
    { path: 'data/.wh.big' },
    { path: 'srv/' },
    { path: 'srv/a', content: 'AAAA' },
    { path: 'bin/' },
    { path: 'bin/keep', type: 'hardlink', linkname: 'bin/tool' },
  ];
  const third: EntrySpec[] = [{ path: 'bin/' }, { path: 'bin/.wh.tool' }];
  await withImage([BASE, second, third], async (image) => {
    const seen: WalkedEntry[] = [];
    const { tree } = await walkLayers(image.layers, (walked) => seen.push(walked));
    const fate = (layer: number, path: string): string => {
      const walked = seen.find((w) => w.layer === layer && w.path === path);
      assert.ok(walked, `${path} in layer ${layer}`);
      const result = fateOf(tree, walked);
      return result.kind === 'replaced' ? `replaced by ${result.layer}` : result.kind;
    };
    assert.equal(fate(0, '/data/big'), 'deleted');
    assert.equal(fate(0, '/srv/a'), 'replaced by 1');
    assert.equal(fate(1, '/srv/a'), 'survives');
    assert.equal(fate(0, '/srv'), 'replaced by 1', "a folder's metadata, set again above");
    assert.equal(fate(1, '/data/.wh.big'), 'whiteout');
    assert.equal(fate(0, '/bin/tool'), 'deleted');
    const usage = await layerUsage(image.layers);
    assert.deepEqual(
      usage.map((u) => u.entries),
      [BASE.length, 6, 2],
    );
    // data/big (5000) is gone and srv/a (1) replaced; bin/tool's bytes live on as bin/keep.
    assert.deepEqual(
      usage.map((u) => u.wastedBytes),
      [5001, 0, 0],
    );
  });
});

test('find patterns: globs stay within a name unless **, match at any depth unless anchored; regexes search', () => {
  const glob = (pattern: string, path: string): boolean => toPathMatcher(pattern, false, 'find')(path);
  assert.ok(glob('passwd', '/etc/passwd'));
  assert.ok(glob('*.conf', '/etc/nginx/nginx.conf'));
  assert.ok(!glob('/*.conf', '/etc/nginx.conf'));
  assert.ok(glob('/etc/*.conf', '/etc/nginx.conf'));
  assert.ok(!glob('/etc/*.conf', '/etc/nginx/x.conf'));
  assert.ok(glob('/etc/**/x.conf', '/etc/nginx/x.conf'));
  assert.ok(glob('/etc/**', '/etc/a/b'));
  assert.ok(glob('lib?.so', '/usr/lib/lib1.so'));
  assert.ok(!glob('lib?.so', '/usr/lib/lib12.so'));
  assert.ok(glob('a+b(c)', '/x/a+b(c)'), 'regex characters are literal in a glob');
  assert.ok(toPathMatcher('^/usr/.*\\.so$', true, 'find')('/usr/lib/x.so'));
  assert.throws(() => toPathMatcher('(', true, 'find'), { code: 'UNDOCKER_USAGE' });
});
