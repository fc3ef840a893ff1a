/**
 * `undocker import` with real consumers: a private Docker engine loads the archive, lists its
 * tag, shows the config that was asked for, runs it, and exports a container whose files equal
 * the imported directory; skopeo reads the docker and OCI forms alike; a rootfs imported on a
 * base image that Docker saved runs on Docker with both layers; and docker load takes an image
 * undocker pulled from a registry.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { type DockerEngine, importBaseImage, startDockerEngine, DOCKER_INJECTED } from '../helpers/docker-engine.js';
import { startRegistry } from '../helpers/registry.js';
import { diffSummaries, summarizeDirectory, summarizeTar } from '../helpers/summary.js';

const SKIP = process.getuid?.() !== 0 ? 'needs root to start a Docker engine' : false;
const APPLETS = ['sh', 'echo', 'id', 'pwd', 'cat', 'true'];

let engine: DockerEngine;
let work: string;
let stage: string;

/** makeStage is a small root file system: busybox, and files of every kind. */
function makeStage(): string {
  const root = join(work, 'stage');
  for (const dir of ['bin', 'etc', 'work', 'data', 'special']) mkdirSync(join(root, dir), { recursive: true });
  cpSync('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:1234:app:/work:/bin/sh\n');
  chmodSync(join(root, 'work'), 0o777);
  writeFileSync(join(root, 'special/owned'), 'owned');
  execFileSync('chown', ['1234:5678', join(root, 'special/owned')]);
  writeFileSync(join(root, 'special/setuid'), 'setuid', { mode: 0o4755 });
  chmodSync(join(root, 'special/setuid'), 0o4755);
  linkSync(join(root, 'special/owned'), join(root, 'special/owned-link'));
  execFileSync('mkfifo', [join(root, 'special/fifo')]);
  execFileSync('mknod', [join(root, 'special/null'), 'c', '1', '3']);
  cpSync('/bin/busybox', join(root, 'special/capped'));
  execFileSync('setcap', ['cap_net_bind_service+ep', join(root, 'special/capped')]);
  return root;
}

before(
  async () => {
    if (SKIP) return;
    work = tempDir('undocker-import-int-');
    stage = makeStage();
    engine = await startDockerEngine();
  },
  { timeout: 600_000 },
);

after(async () => {
  if (SKIP) return;
  await engine.stop();
  execFileSync('rm', ['-rf', work]);
});

const CONFIG_ARGS = [
  '--entrypoint',
  '["/bin/sh", "-c"]',
  '--cmd',
  '["echo \\"$GREETING\\" from $(pwd) as $(id -u)"]',
  '-e',
  'GREETING=hello there',
  '-w',
  '/work',
  '-u',
  '1234',
  '--expose',
  '8080/tcp',
  '--volume',
  '/data',
  '--label',
  'org.test=yes',
  '--stop-signal',
  'SIGINT',
];

test(
  'docker load takes the imported archive; docker inspect shows the config; docker run runs it',
  { skip: SKIP },
  async () => {
    const archive = join(work, 'imported.tar');
    const made = undocker([
      'import',
      stage,
      '-t',
      'imported:1',
      '-t',
      'imported:latest',
      ...CONFIG_ARGS,
      '-o',
      archive,
    ]);
    assert.equal(made.status, 0, made.stderr);
    assert.match(engine.docker(['load', '-i', archive]), /Loaded image: imported:1/);
    assert.match(engine.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^imported:1$/m);
    const [inspect] = JSON.parse(engine.docker(['inspect', 'imported:1'])) as Array<{
      Id: string;
      Architecture: string;
      Os: string;
      Config: Record<string, unknown>;
    }>;
    assert.equal(inspect?.Id, made.stdout.toString().trim(), 'the id undocker printed is the one Docker computes');
    assert.equal(inspect?.Os, 'linux');
    assert.deepEqual(inspect?.Config.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(inspect?.Config.Env, ['GREETING=hello there']);
    assert.equal(inspect?.Config.WorkingDir, '/work');
    assert.equal(inspect?.Config.User, '1234');
    assert.deepEqual(inspect?.Config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(inspect?.Config.Volumes, { '/data': {} });
    assert.deepEqual(inspect?.Config.Labels, { 'org.test': 'yes' });
    assert.equal(inspect?.Config.StopSignal, 'SIGINT');
    assert.equal(engine.docker(['run', '--rm', '--network', 'none', 'imported:1']), 'hello there from /work as 1234\n');

    const container = engine.docker(['create', 'imported:1']).trim();
    const exported = join(work, 'export.tar');
    engine.docker(['export', container, '-o', exported]);
    const problems = diffSummaries(summarizeDirectory(stage, { xattrs: true }), await summarizeTar(exported), (path) =>
      DOCKER_INJECTED.has(path),
    );
    assert.deepEqual(problems, [], 'owners, modes, hardlinks, devices, fifos and capabilities as in the directory');
  },
);

test('skopeo reads the docker and OCI forms as the same image', { skip: SKIP }, () => {
  const docker = join(work, 'skopeo-docker.tar');
  const oci = join(work, 'skopeo-oci.tar');
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  assert.equal(undocker(['import', stage, '-t', 'same:1', ...CONFIG_ARGS, '-o', docker], { env }).status, 0);
  assert.equal(
    undocker(['import', stage, '-t', 'same:1', ...CONFIG_ARGS, '--format', 'oci', '-o', oci], { env }).status,
    0,
  );
  const inspect = (ref: string): { Layers: string[]; Created: string } =>
    JSON.parse(execFileSync('skopeo', ['inspect', ref], { encoding: 'utf8' })) as { Layers: string[]; Created: string };
  const config = (ref: string): string => execFileSync('skopeo', ['inspect', '--config', ref], { encoding: 'utf8' });
  assert.deepEqual(inspect(`oci-archive:${oci}`).Layers, inspect(`docker-archive:${docker}`).Layers);
  assert.equal(inspect(`oci-archive:${oci}`).Created, '2023-11-14T22:13:20Z');
  assert.deepEqual(JSON.parse(config(`oci-archive:${oci}`)), JSON.parse(config(`docker-archive:${docker}`)));
});

test("a rootfs imported on a base image Docker saved runs on Docker with the base's layers", { skip: SKIP }, () => {
  importBaseImage(engine);
  const base = join(work, 'base.tar');
  engine.docker(['save', 'undocker-base:latest', '-o', base]);
  const addition = join(work, 'addition');
  mkdirSync(join(addition, 'app'), { recursive: true });
  writeFileSync(join(addition, 'app/hello'), 'added on top\n');
  const layered = join(work, 'layered.tar');
  const made = undocker([
    'import',
    addition,
    '--base',
    base,
    '-t',
    'layered:1',
    '--cmd',
    'cat /app/hello && ls /bin/busybox',
    '-o',
    layered,
  ]);
  assert.equal(made.status, 0, made.stderr);
  engine.docker(['load', '-i', layered]);
  assert.equal(engine.docker(['run', '--rm', '--network', 'none', 'layered:1']), 'added on top\n/bin/busybox\n');
  const layers = (ref: string): string[] =>
    (JSON.parse(engine.docker(['inspect', ref])) as Array<{ RootFS: { Layers: string[] } }>)[0]?.RootFS.Layers ?? [];
  const baseLayers = layers('undocker-base:latest');
  assert.deepEqual(
    layers('layered:1').slice(0, baseLayers.length),
    baseLayers,
    'the base layers are shared, not copied anew',
  );
  assert.equal(layers('layered:1').length, baseLayers.length + 1);
});

test(
  "docker load takes an image undocker pulled from a registry, with the registry's image id",
  {
    skip:
      SKIP || spawnSync('sh', ['-c', 'command -v docker-registry']).status !== 0
        ? 'needs root and docker-registry'
        : false,
  },
  async () => {
    const registry = await startRegistry();
    try {
      engine.docker(
        ['build', '-q', '--network', 'none', '-t', 'pulled-source:1', '-'],
        Buffer.from('FROM imported:1\nRUN echo pulled > /work/marker\n'),
      );
      const saved = join(work, 'pulled-source.tar');
      engine.docker(['save', 'pulled-source:1', '-o', saved]);
      execFileSync('skopeo', [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        `docker-archive:${saved}`,
        `docker://${registry.host}/pulled:1`,
      ]);
      const archive = join(work, 'pulled.tar');
      const pulled = undocker(['pull', '--insecure', `${registry.host}/pulled:1`, '-o', archive], {
        env: { UNDOCKER_CACHE: join(work, 'pull-cache') },
      });
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.match(engine.docker(['load', '-i', archive]), new RegExp(`Loaded image: ${registry.host}/pulled:1`));
      const configDigest = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/pulled:1`], {
          encoding: 'utf8',
        }),
      ) as { config: { digest: string } };
      assert.equal(
        engine.docker(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/pulled:1`]).trim(),
        configDigest.config.digest,
      );
      assert.equal(
        engine.docker([
          'run',
          '--rm',
          '--network',
          'none',
          '--entrypoint',
          '/bin/cat',
          `${registry.host}/pulled:1`,
          '/work/marker',
        ]),
        'pulled\n',
      );
    } finally {
      await registry.stop();
    }
  },
);
