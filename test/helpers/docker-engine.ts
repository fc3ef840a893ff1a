/**
 * A private Docker engine for integration tests: Debian's dockerd with the vfs driver, no
 * bridge and no iptables, on its own socket, data root and exec root, stopped and removed
 * afterwards. Its base image is built from busybox-static and setcap with GNU tar and
 * `docker import`, so nothing is downloaded.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './archives.js';

/** DOCKER_INJECTED are the paths Docker itself adds to a container (its init layer), not part of the image. */
export const DOCKER_INJECTED: ReadonlySet<string> = new Set([
  '.dockerenv',
  'etc/hosts',
  'etc/hostname',
  'etc/resolv.conf',
  'etc/mtab',
  'dev/console',
  'dev/pts',
  'dev/shm',
  'proc',
  'sys',
  'dev',
]);

/** DockerEngine is a running private dockerd. */
export interface DockerEngine {
  docker(args: string[], input?: Buffer): string;
  /**
   * run is `docker run ARGS`, whatever its exit status: the status and standard output. A run still
   * going after two minutes is tried once more: Docker 20.10 on vfs now and then loses a container's exit.
   */
  run(args: string[]): { status: number; stdout: string };
  stop(): Promise<void>;
}

const BASE_APPLETS = [
  'sh',
  'mkdir',
  'echo',
  'ln',
  'rm',
  'chmod',
  'chown',
  'cat',
  'mknod',
  'mkfifo',
  'touch',
  'cp',
  'mv',
  'true',
  'ls',
  'printf',
  'env',
  'id',
  'sleep',
];

/** startDockerEngine starts dockerd and waits until it answers. */
export async function startDockerEngine(): Promise<DockerEngine> {
  const root = tempDir('undocker-dockerd-');
  const socket = join(root, 'd.sock');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'pid'),
      '-H',
      `unix://${socket}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' };
  const docker = (args: string[], input?: Buffer): string =>
    execFileSync('docker', args, { env, input, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  for (let i = 0; ; i++) {
    try {
      docker(['version']);
      break;
    } catch (error) {
      if (i > 120 || child.exitCode !== null) throw new Error(`dockerd did not start: ${log}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const run = (args: string[], attempt = 1): { status: number; stdout: string } => {
    const result = spawnSync('docker', ['run', ...args], {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 120_000,
    });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
      if (attempt < 2) return run(args, attempt + 1);
      throw new Error(`docker run ${args.join(' ')}: no exit after two minutes, twice`);
    }
    return { status: result.status ?? 128, stdout: result.stdout };
  };
  return {
    docker,
    run,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      // GNU rm: an image may hold paths longer than PATH_MAX, which Node's rmSync cannot remove.
      execFileSync('rm', ['-rf', root]);
    },
  };
}

/** importBaseImage makes `undocker-base:latest` from busybox-static and setcap with its libraries. */
export function importBaseImage(engine: DockerEngine): void {
  const stage = tempDir('undocker-base-');
  // The stage is made 0700; an image's root is 0755, or no user but root could enter it.
  chmodSync(stage, 0o755);
  for (const dir of ['bin', 'sbin', 'tmp', 'etc']) mkdirSync(join(stage, dir), { recursive: true });
  cpSync('/bin/busybox', join(stage, 'bin/busybox'));
  for (const applet of BASE_APPLETS) symlinkSync('busybox', join(stage, 'bin', applet));
  cpSync('/usr/sbin/setcap', join(stage, 'sbin/setcap'));
  const libraries = execFileSync('ldd', ['/usr/sbin/setcap'], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
  for (const library of libraries) {
    mkdirSync(dirname(join(stage, library)), { recursive: true });
    cpSync(library, join(stage, library), { dereference: true });
  }
  writeFileSync(join(stage, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tar = execFileSync('tar', ['-C', stage, '-c', '.'], { maxBuffer: 1 << 30 });
  engine.docker(['import', '-', 'undocker-base:latest'], tar);
  rmSync(stage, { recursive: true, force: true });
}

/** buildImage builds a Dockerfile (text) in an empty context and tags it. */
export function buildImage(engine: DockerEngine, tag: string, dockerfile: string): void {
  const context = tempDir('undocker-ctx-');
  writeFileSync(join(context, 'Dockerfile'), dockerfile);
  engine.docker(['build', '-q', '--network', 'none', '-t', tag, context]);
  rmSync(context, { recursive: true, force: true });
}
