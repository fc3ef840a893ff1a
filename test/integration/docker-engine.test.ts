/**
 * The reference test: images built by a real Docker engine with RUN steps that delete,
 * replace, hardlink, chmod, chown, mknod and setcap; `undocker rootfs` of every archive form
 * (docker save, legacy save, skopeo oci:, oci-archive:, zstd, compressed, stdin, directory
 * output, and the run cache's stacked diffs) must equal `docker export` of a container of the
 * image, entry by entry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheImage } from '../../src/cache/image-cache.js';
import { openImageView } from '../../src/cache/image-view.js';
import { openLocalArchive } from '../../src/image/open-archive.js';
import { selectImage } from '../../src/image/select.js';
import { tarDirectory, tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import {
  buildImage,
  importBaseImage,
  startDockerEngine,
  type DockerEngine,
  DOCKER_INJECTED,
} from '../helpers/docker-engine.js';
import { diffSummaries, summarizeDirectory, summarizeTar, type Summary } from '../helpers/summary.js';

const DOCKERFILE = `FROM undocker-base:latest
RUN mkdir -p /data/keep /data/gone /opq /dir-to-file && echo a > /data/keep/a && echo b > /data/gone/b \\
 && echo x > /opq/lower && ln /data/keep/a /data/keep/a-link && ln /data/keep/a /data/keep/a-link2 \\
 && echo f > /replace-me && echo y > /dir-to-file/inner && ln -s /data /sym-to-dir \\
 && echo 1 > /chmod-me && echo 2 > /chown-me \\
 && echo lower > /lower-target
RUN rm -rf /data/gone && rm -r /opq && mkdir /opq && echo y > /opq/upper && rm /replace-me && mkdir /replace-me \\
 && rm -r /dir-to-file && echo file > /dir-to-file && rm /sym-to-dir && mkdir /sym-to-dir && chmod 4751 /chmod-me \\
 && chown 1234:5678 /chown-me && ln /lower-target /upper-link && cp /bin/busybox /bin/capped \\
 && /sbin/setcap cap_net_bind_service+ep /bin/capped
RUN rm /data/keep/a && mknod /null-copy c 1 3 && mknod /loop-copy b 7 0 && mkfifo /fifo && chmod 1777 /data \\
 && touch "/file with spaces" "/ünïcödé" && mkdir -p /l/$(printf 'd%.0s' $(seq 1 120)) \\
 && touch /l/$(printf 'd%.0s' $(seq 1 120))/$(printf 'f%.0s' $(seq 1 150)) \\
 && ln -s /$(printf 't%.0s' $(seq 1 200)) /long-link
ENV GREETING="hello world"
ENTRYPOINT ["/bin/echo"]
CMD ["hi"]
EXPOSE 80/tcp
`;

const injected = (path: string): boolean => DOCKER_INJECTED.has(path);

/** Starting dockerd needs root; CI runs as root, so there these tests always run. */
const SKIP = process.getuid?.() !== 0 ? 'needs root to start a Docker engine' : false;

let engine: DockerEngine;
let work: string;
let save: string;
let reference: Summary;

before(
  async () => {
    if (SKIP) return;
    engine = await startDockerEngine();
    importBaseImage(engine);
    buildImage(engine, 'undocker-test:latest', DOCKERFILE);
    work = tempDir('undocker-int-');
    save = join(work, 'save.tar');
    engine.docker(['save', 'undocker-test:latest', '-o', save]);
    const container = engine.docker(['create', 'undocker-test:latest']).trim();
    const exported = join(work, 'export.tar');
    engine.docker(['export', container, '-o', exported]);
    reference = await summarizeTar(exported);
  },
  { timeout: 600_000 },
);

after(async () => {
  if (SKIP) return;
  await engine.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function assertSameAsDocker(actual: Summary, label: string): void {
  const problems = diffSummaries(reference, actual, injected);
  assert.deepEqual(problems, [], `${label} differs from docker export`);
}

async function rootfsTar(input: string, extra: string[] = [], stdin?: Buffer): Promise<Summary> {
  const out = join(work, `out-${Math.random().toString(36).slice(2)}.tar`);
  const result = undocker(['rootfs', input, ...extra, out], stdin ? { input: stdin } : {});
  assert.equal(result.status, 0, result.stderr);
  return summarizeTar(out);
}

test('the reference image exercises every rule', { skip: SKIP }, () => {
  assert.equal(reference.get('data/keep/a'), undefined, 'removed name');
  assert.equal(reference.get('data/keep/a-link')?.group, 'data/keep/a-link', 'hardlink group survives removal');
  // The engine itself breaks a link made in a later layer: its naive diff sees no change to the
  // lower name (nlink and ctime are not compared), so the new name is stored as a copy.
  assert.equal(reference.get('upper-link')?.sha256, reference.get('lower-target')?.sha256);
  assert.equal(reference.get('upper-link')?.group, undefined);
  assert.equal(reference.get('chmod-me')?.mode, '4751');
  assert.equal(reference.get('chown-me')?.uid, 1234);
  assert.ok(reference.get('bin/capped')?.xattrs?.['security.capability'], 'setcap left a capability');
  assert.equal(reference.get('null-copy')?.dev, '1,3');
  assert.equal(reference.get('dir-to-file')?.type, 'file');
  assert.equal(reference.get('replace-me')?.type, 'directory');
  assert.equal(reference.get('sym-to-dir')?.type, 'directory');
});

test('docker save (Docker 1.10-24 format) flattens to what docker export shows', { skip: SKIP }, async () => {
  assertSameAsDocker(await rootfsTar(save), 'docker save');
});

test(
  'legacy docker save (repositories + <id>/json chain, no manifest.json) flattens the same',
  { skip: SKIP },
  async () => {
    const dir = join(work, 'legacy');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-C', dir, '-xf', save]);
    rmSync(join(dir, 'manifest.json'));
    assertSameAsDocker(await rootfsTar(tarDirectory(dir, join(work, 'legacy.tar'))), 'legacy save');
  },
);

test('skopeo oci: layout, oci-archive: and a zstd OCI copy flatten the same', { skip: SKIP }, async (t) => {
  const copies: Array<[string, string, string[]]> = [
    ['oci layout directory', `oci:${join(work, 'oci')}:latest`, []],
    ['oci-archive', `oci-archive:${join(work, 'oci-archive.tar')}:latest`, []],
    ['zstd layers', `oci:${join(work, 'oci-zstd')}:latest`, ['--dest-compress', '--dest-compress-format', 'zstd']],
  ];
  for (const [name, destination, flags] of copies) {
    await t.test(name, async () => {
      execFileSync('skopeo', ['copy', '-q', ...flags, `docker-archive:${save}`, destination]);
      const input = destination.split(':')[1] as string;
      assertSameAsDocker(await rootfsTar(input), name);
    });
  }
  await t.test('the zstd copy really has zstd layers', () => {
    const listing = undocker(['layers', join(work, 'oci-zstd'), '--json']);
    assert.equal(listing.status, 0, listing.stderr);
    const rows = JSON.parse(listing.stdout.toString()) as Array<{ compression: string }>;
    assert.ok(rows.every((row) => row.compression === 'zstd'));
  });
});

test('a gzip-compressed docker save read from standard input flattens the same', { skip: SKIP }, async () => {
  const gz = execFileSync('gzip', ['-c', save], { maxBuffer: 1 << 30 });
  assertSameAsDocker(await rootfsTar('-', [], gz), 'stdin gzip');
});

test('rootfs -C extracts a directory equal to docker export, xattrs and devices included', { skip: SKIP }, () => {
  const target = join(work, 'rootfs-dir');
  const result = undocker(['rootfs', save, '-C', target]);
  assert.equal(result.status, 0, result.stderr);
  const problems = diffSummaries(reference, summarizeDirectory(target, { xattrs: true }), injected);
  assert.deepEqual(problems, []);
});

test('the run cache stacks the image as diffs whose overlay equals docker export', { skip: SKIP }, async () => {
  const root = join(work, 'layer-cache');
  const archive = await openLocalArchive(save);
  try {
    const { record } = await cacheImage(root, selectImage(archive));
    assert.equal(record.layers?.length, archive.images[0]?.layers.length, `stacked: ${record.flattened ?? ''}`);
    const view = await openImageView(root, record, 'undocker-test');
    try {
      assert.deepEqual(diffSummaries(reference, summarizeDirectory(view.dir, { xattrs: true }), injected), []);
    } finally {
      await view.close();
    }
  } finally {
    await archive.close();
  }
});

test('GNU tar extracts the flattened tar without error (link targets come first)', { skip: SKIP }, () => {
  const target = tempDir();
  const tar = undocker(['rootfs', save, '-']);
  assert.equal(tar.status, 0, tar.stderr);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', target, '-xpf', '-'], { input: tar.stdout });
  assert.deepEqual(diffSummaries(reference, summarizeDirectory(target, { xattrs: true }), injected), []);
  rmSync(target, { recursive: true, force: true });
});

test('config, list and layers read what docker built', { skip: SKIP }, () => {
  const config = JSON.parse(undocker(['config', save, '--json']).stdout.toString());
  assert.deepEqual(config.Entrypoint, ['/bin/echo']);
  assert.deepEqual(config.Cmd, ['hi']);
  assert.ok((config.Env as string[]).includes('GREETING=hello world'));
  assert.deepEqual(config.ExposedPorts, ['80/tcp']);
  assert.equal(undocker(['list', save]).stdout.toString(), 'undocker-test: latest\n');
  const layers = JSON.parse(undocker(['layers', save, '--json']).stdout.toString()) as Array<{
    createdBy: string | null;
    diffId: string;
  }>;
  assert.equal(layers.length, 4);
  assert.match(layers[1]?.createdBy ?? '', /mkdir -p \/data\/keep/);
  const inspect = JSON.parse(engine.docker(['image', 'inspect', 'undocker-test:latest'])) as Array<{
    RootFS: { Layers: string[] };
  }>;
  assert.deepEqual(
    layers.map((l) => l.diffId),
    inspect[0]?.RootFS.Layers,
  );
});

test('a tampered layer in a real docker save fails naming the layer, and leaves no output', { skip: SKIP }, () => {
  const dir = join(work, 'tampered');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('tar', ['-C', dir, '-xf', save]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  const layerPath = join(dir, manifest[0]?.Layers[2] as string);
  const bytes = readFileSync(layerPath);
  // inside a header: the digest, not the parse error, is the cause to report
  bytes[700] = (bytes[700] as number) ^ 0x20;
  writeFileSync(layerPath, bytes);
  const out = join(work, 'tampered-out.tar');
  const result = undocker(['rootfs', tarDirectory(dir, join(work, 'tampered.tar')), out]);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^undocker: layer 3 \([0-9a-f]{12}\) of tampered\.tar: uncompressed content: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\n$/,
  );
  assert.ok(
    !execFileSync('ls', ['-a', work], { encoding: 'utf8' }).includes('tampered-out'),
    'no output and no temporary left',
  );
});
