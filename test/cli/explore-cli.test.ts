import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';

const LAYERS = [
  [{ path: 'etc/' }, { path: 'etc/motd', content: 'hello\n' }, { path: 'srv/' }, { path: 'srv/a', content: 'a' }],
  [{ path: 'srv/' }, { path: 'srv/.wh.a' }, { path: 'etc/' }, { path: 'etc/motd', content: 'bye\n' }],
];
const IMAGE = writeDockerSave([{ layers: LAYERS, tags: ['explore:1'] }]);

function layerIds(): string[] {
  return (JSON.parse(undocker(['layers', IMAGE, '--json']).stdout.toString()) as Array<{ id: string }>).map(
    (l) => l.id,
  );
}

test('diff prints each layer under a heading, or one layer as docker diff does; --json', () => {
  const all = undocker(['diff', IMAGE]);
  assert.equal(all.status, 0, all.stderr);
  assert.match(
    all.stdout.toString(),
    /^# layer 1 [0-9a-f]{12}: layer 1\nA \/etc\nA \/etc\/motd\nA \/srv\nA \/srv\/a\n# layer 2 /,
  );
  const top = layerIds()[1] as string;
  assert.equal(undocker(['diff', IMAGE, '--layer', top]).stdout.toString(), 'C /etc\nC /etc/motd\nC /srv\nD /srv/a\n');
  const json = JSON.parse(undocker(['diff', IMAGE, '--json']).stdout.toString()) as Array<{
    layer: number;
    changes: unknown[];
  }>;
  assert.deepEqual(
    json.map((layer) => [layer.layer, layer.changes.length]),
    [
      [1, 4],
      [2, 4],
    ],
  );
});

test('find shows the deleting whiteout beside what it deleted; layers sums the wasted bytes', () => {
  const found = undocker(['find', IMAGE, '/srv/a']);
  assert.equal(found.status, 0, found.stderr);
  const rows = found.stdout
    .toString()
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/));
  assert.deepEqual(
    rows.map((row) => [row[0], row[1], row[2], row[6]]),
    [
      ['1', '/srv/a', 'file', 'deleted'],
      ['2', '/srv/.wh.a', 'whiteout', 'whiteout'],
    ],
  );
  const layers = undocker(['layers', IMAGE]).stdout.toString();
  assert.match(layers, /^wasted: 7B \(/m, "etc/motd's 6 bytes replaced, srv/a's 1 deleted");
});

test('layer writes the layer tar byte for byte, or extracts it with whiteouts as files', () => {
  const out = join(tempDir(), 'top.tar');
  const top = layerIds()[1] as string;
  assert.equal(undocker(['layer', IMAGE, top, out]).status, 0);
  assert.deepEqual(execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n'), [
    'srv/',
    'srv/.wh.a',
    'etc/',
    'etc/motd',
  ]);
  const dir = join(tempDir(), 'top');
  assert.equal(undocker(['layer', IMAGE, top, '-C', dir]).status, 0);
  assert.equal(readFileSync(join(dir, 'srv', '.wh.a'), 'utf8'), '');
  assert.equal(readFileSync(join(dir, 'etc', 'motd'), 'utf8'), 'bye\n');
});

test('bad input: one line, a non-zero status, and no file left behind', () => {
  // The corrupted copy has the same layers, so the same ids.
  // File data changed, headers intact: only the digests can tell.
  const broken = writeDockerSave([{ layers: LAYERS, tags: ['broken:1'] }], {
    corrupt: (files) => {
      for (const name of Object.keys(files)) {
        const data = files[name] as Buffer;
        if (name.endsWith('layer.tar') && data.includes('hello')) data.write('jello', data.indexOf('hello'));
      }
    },
  });
  const parent = tempDir();
  for (const [args, message] of [
    [['layer', IMAGE, 'nope', join(parent, 'x.tar')], /^undocker: layer nope: no layer of this image matches/],
    [['diff', IMAGE, '--layer', 'nope'], /^undocker: --layer nope: no layer/],
    [['find', IMAGE, 'nothing-here'], /^undocker: find: no entry of any layer matches nothing-here/],
    [['find', IMAGE, '(', '--regex'], /^undocker: find: \(: not a regular expression/],
    [['layer', IMAGE], /^undocker: layer: give the layer ID and an OUTPUT/],
    [['layer', broken, layerIds()[0] as string, join(parent, 'bad.tar')], /digest|sha256/],
    [['diff', broken], /digest|sha256/],
    [['find', broken, 'motd'], /digest|sha256/],
    [['layers', broken], /digest|sha256/],
  ] as Array<[string[], RegExp]>) {
    const result = undocker(args);
    assert.notEqual(result.status, 0, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  assert.deepEqual(readdirSync(parent), [], 'no output, not even a temporary one');
  assert.equal(existsSync(join(parent, 'bad.tar')), false);
});
