/**
 * Exploring images built by the real Docker engine: each RUN step is replayed in a container of
 * the image below it, and `docker diff` of that container is what `undocker diff --layer` must
 * print for the step's layer (as sets of lines: docker diff's order follows Go's map
 * iteration); `find` and `layers` must name the layers, entry counts and sizes the saved layer
 * tars themselves show. (The engine here stores with vfs, whose layers carry whiteouts but no
 * opaque markers; opaque folders are checked on tars built in code.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { buildImage, type DockerEngine, importBaseImage, startDockerEngine } from '../helpers/docker-engine.js';

const skip = spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0 ? 'needs dockerd' : false;

/** STEPS are the RUN steps, each its own layer: add, chmod, chown, content, delete, a hardlink, a folder replaced. */
const STEPS = [
  'mkdir -p /srv/sub && echo one > /srv/a && echo two > /srv/sub/b && echo keep > /srv/keep',
  "printf '%0100000d' 0 > /big",
  'chmod 600 /srv/a',
  'chown 1000:1000 /srv/keep',
  'echo changed > /srv/sub/b',
  'rm /srv/keep /big',
  'ln /srv/a /srv/a-link',
  'rm -rf /srv/sub && mkdir /srv/sub && echo new > /srv/sub/c',
];

const DOCKERFILE = ['FROM undocker-base:latest', ...STEPS.map((step) => `RUN ${step}`)].join('\n');

interface LayerRow {
  id: string;
  entries: number;
  uncompressedSize: number;
  wastedBytes: number;
}

describe('undocker diff, find and layers against the Docker engine', { skip }, () => {
  const work = tempDir('undocker-explore-');
  const archive = join(work, 'steps.tar');
  /** dockerDiffs holds docker diff of each step replayed on the image below it. */
  const dockerDiffs: string[] = [];
  /** layerTars are the saved layer tars, bottom first, by the archive's manifest. */
  let layerTars: string[] = [];
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    const engine: DockerEngine = await startDockerEngine();
    try {
      importBaseImage(engine);
      buildImage(engine, 'steps:1', DOCKERFILE);
      engine.docker(['save', '-o', archive, 'steps:1']);
      // docker history lists the images of each step, newest first: the parent of step i is STEPS.length - i down.
      const history = engine.docker(['history', '-q', '--no-trunc', 'steps:1']).trim().split('\n');
      for (const [index, step] of STEPS.entries()) {
        const parent = history[STEPS.length - index] as string;
        const name = `step${index}`;
        engine.docker(['create', '--name', name, '--network', 'none', parent, 'sh', '-c', step]);
        engine.docker(['start', '-a', name]);
        dockerDiffs.push(engine.docker(['diff', name]));
      }
    } finally {
      await engine.stop();
    }
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' })) as [
      { Layers: string[] },
    ];
    layerTars = manifest[0].Layers;
  });

  const layers = (): LayerRow[] => JSON.parse(undocker(['layers', archive, '--json']).stdout.toString()) as LayerRow[];
  const members = (layerTar: string): string[] =>
    execFileSync('sh', ['-c', `tar -xOf "$0" "$1" | tar -t`, archive, layerTar], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);

  test('diff --layer of each step equals docker diff of the step replayed in a container', () => {
    const rows = layers();
    assert.equal(rows.length, STEPS.length + 1, 'the base and one layer per RUN');
    for (const [index, step] of STEPS.entries()) {
      const result = undocker(['diff', archive, '--layer', (rows[index + 1] as LayerRow).id]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(dockerDiffs[index] !== '', `docker diff saw the change of ${step}`);
      // docker diff prints in the order Go's map iteration gives, which varies: both are compared sorted.
      const sorted = (text: string): string[] => text.split('\n').filter(Boolean).sort();
      assert.deepEqual(sorted(result.stdout.toString()), sorted(dockerDiffs[index] as string), step);
    }
  });

  test('find names the layers whose tars hold the path, and which one the rootfs shows', () => {
    const result = undocker(['find', archive, '/srv/a', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const found = JSON.parse(result.stdout.toString()) as Array<{ layer: number; fate: { kind: string } }>;
    const holding = layerTars.flatMap((layerTar, index) => (members(layerTar).includes('srv/a') ? [index + 1] : []));
    assert.deepEqual(
      found.map((row) => row.layer),
      holding,
    );
    assert.deepEqual(
      found.map((row) => row.fate.kind),
      [...holding.slice(0, -1).map(() => 'replaced'), 'survives'],
    );
    const deleted = JSON.parse(undocker(['find', archive, 'keep', '--json']).stdout.toString()) as Array<{
      type: string;
      fate: { kind: string };
    }>;
    assert.deepEqual(
      deleted.map((row) => `${row.type} ${row.fate.kind}`),
      ['file deleted', 'file deleted', 'whiteout whiteout'],
    );
  });

  test("layers counts each layer tar's entries and size, and the bytes later layers deleted or replaced", () => {
    const rows = layers();
    for (const [index, layerTar] of layerTars.entries()) {
      const row = rows[index] as LayerRow;
      assert.equal(row.entries, members(layerTar).length, `layer ${index + 1} entries`);
      const size = Number(
        execFileSync('sh', ['-c', `tar -xOf "$0" "$1" | wc -c`, archive, layerTar], { encoding: 'utf8' }),
      );
      assert.equal(row.uncompressedSize, size, `layer ${index + 1} size`);
    }
    assert.equal(rows[2]?.wastedBytes, 100000, 'the step that wrote /big wasted it all: a later step deleted it');
    assert.equal(rows[rows.length - 1]?.wastedBytes, 0, 'nothing the top layer wrote is hidden');
    assert.ok(statSync(archive).size > 100000);
  });

  test('layer writes one layer tar as stored; -C extracts it with its whiteouts as files', () => {
    const rows = layers();
    const deleting = rows[6] as LayerRow;
    const out = join(work, 'layer6.tar');
    const written = undocker(['layer', archive, deleting.id, out]);
    assert.equal(written.status, 0, written.stderr);
    const stored = execFileSync('tar', ['-xOf', archive, layerTars[6] as string]);
    assert.ok(readFileSync(out).equals(stored), 'byte for byte the saved layer');
    const dir = join(work, 'layer6');
    const extracted = undocker(['layer', archive, deleting.id, '-C', dir]);
    assert.equal(extracted.status, 0, extracted.stderr);
    assert.ok(statSync(join(dir, '.wh.big')).isFile(), 'the whiteout is a plain file');
    assert.ok(statSync(join(dir, 'srv', '.wh.keep')).isFile());
  });
});
