/**
 * `npm run bench`, part two: how long `undocker run` takes.
 * - warm: `undocker run IMAGE true` on a cached image, beside `systemd-nspawn -D ROOTFS true` on
 *   the same cached rootfs, taken in turn; target overhead under 150 ms; and warm on five layers;
 * - cold: the first run of a ~1 GiB image (unpacking its layers included), beside `undocker rootfs -C`;
 * - a new tag: the first run of an image that shares all but its top layer with a cached one, beside
 *   `undocker rootfs --layer TOP -C` of that layer alone; target at most 1.2 times it.
 * Needs root, systemd-nspawn and an overlay-capable $TMPDIR; says so and stops otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFile, best, gibLayers, makeImage, run, smallFiles } from './flatten.bench.js';
import { AS_THE_BIN_STARTS_NODE } from './node-start.js';

const UNDOCKER = fileURLToPath(new URL('../../bin/undocker.cjs', import.meta.url));

/** busyboxLayer is a layer with busybox as /bin/busybox and /bin/true, and an empty /usr. */
function busyboxLayer(): BenchFile[] {
  return [
    { path: 'bin/busybox', size: 0, content: readFileSync('/bin/busybox'), mode: 0o755 },
    { path: 'bin/true', size: 0, type: 'symlink', linkname: 'busybox' },
    { path: 'usr/', size: 0, type: 'directory', mode: 0o755 },
  ];
}

/** WARM_ROUNDS is how many times each warm command runs. */
const WARM_ROUNDS = 21;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Timed is a command to time: program, arguments and environment. */
type Timed = [command: string, args: string[], env: NodeJS.ProcessEnv];

function once([command, args, env]: Timed): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function times(count: number, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  return interleaved(count, [[command, args, env]])[0] as number[];
}

/**
 * interleaved times each command `rounds` times, taking them in turn: this machine's load drifts
 * (CPU steal), and a comparison of medians taken minutes apart measured the drift.
 */
function interleaved(rounds: number, commands: Timed[]): number[][] {
  const seconds = commands.map((): number[] => []);
  for (let round = 0; round < rounds; round++) commands.forEach((timed, i) => seconds[i]?.push(once(timed)));
  return seconds;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status !== 0) {
    process.stdout.write('run benchmark skipped: it needs root and systemd-nspawn\n');
    return;
  }
  const dir = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'undocker-run-bench-'));
  const env = { UNDOCKER_CACHE: join(dir, 'cache') };
  try {
    const small = await makeImage(dir, 'small', [busyboxLayer()]);
    await times(1, UNDOCKER, ['run', '--rm', small, 'true'], env);
    // One layer: its diff is the image's tree.
    const [hex] = readdirSync(join(dir, 'cache', 'layers'));
    const rootfs = join(dir, 'cache', 'layers', hex as string, 'diff');
    process.stderr.write('making a ~1 GiB image of 5 layers...\n');
    const big = await makeImage(dir, 'big', [busyboxLayer(), ...gibLayers()]);
    await times(1, UNDOCKER, ['run', '--rm', big, 'true'], env);
    // Written out first: a disk busy with the unpacked layers slows every small write of a run.
    execFileSync('sync');
    // --rm: each run makes a container and removes it, as docker run --rm does. On five layers the
    // image is read through an overlay of them, mounted once.
    const [nspawn = [], warm = [], node = [], warmLayers = []] = interleaved(WARM_ROUNDS, [
      ['systemd-nspawn', ['--quiet', '--register=no', '--keep-unit', `--directory=${rootfs}`, 'true'], {}],
      [UNDOCKER, ['run', '--rm', small, 'true'], env],
      [process.execPath, ['-e', '0'], AS_THE_BIN_STARTS_NODE],
      [UNDOCKER, ['run', '--rm', big, 'true'], env],
    ]);

    const target = join(dir, 'rootfs');
    const clean = (): void => {
      rmSync(target, { recursive: true, force: true });
      spawnSync(UNDOCKER, ['prune'], { env: { ...process.env, ...env } });
      execFileSync('sync');
    };
    const cold = await best(
      2,
      () => run('env', [`UNDOCKER_CACHE=${env.UNDOCKER_CACHE}`, UNDOCKER, 'run', '--rm', big, 'true']),
      clean,
    );
    const rootfsDir = await best(2, () => run(UNDOCKER, ['rootfs', big, '-C', target]), clean);

    // A new tag of the big image: 2,000 files and a 50 MB one on top of its five layers.
    const top = [
      ...smallFiles('opt/next', 2_000, (i) => 1024 + ((i * 131) % 8192)),
      { path: 'opt/next.bin', size: 50e6 },
    ];
    const next = await makeImage(dir, 'next', [busyboxLayer(), ...gibLayers(), top]);
    const layers = JSON.parse(execFileSync(UNDOCKER, ['layers', next, '--json'], { encoding: 'utf8' })) as Array<{
      id: string;
    }>;
    const topId = layers[layers.length - 1]?.id as string;
    await times(1, UNDOCKER, ['run', '--rm', big, 'true'], env);
    const dropNext = (): void => {
      rmSync(target, { recursive: true, force: true });
      spawnSync(UNDOCKER, ['rmi', 'next'], { env: { ...process.env, ...env } });
      execFileSync('sync');
    };
    dropNext();
    const newTag = await best(
      2,
      () => run('env', [`UNDOCKER_CACHE=${env.UNDOCKER_CACHE}`, UNDOCKER, 'run', '--rm', next, 'true']),
      dropNext,
    );
    const topOnly = await best(2, () => run(UNDOCKER, ['rootfs', next, '--layer', topId, '-C', target]), dropNext);
    const ratio = newTag.seconds / topOnly.seconds;

    const overhead = median(warm) - median(nspawn);
    const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;
    const lines = [
      `undocker run --rm IMAGE true (warm cache)      median ${ms(median(warm))}   best ${ms(Math.min(...warm))}`,
      `systemd-nspawn -D ROOTFS true (same rootfs)    median ${ms(median(nspawn))}   best ${ms(Math.min(...nspawn))}`,
      `overhead                                       ${ms(overhead)}   (target < 150 ms: ` +
        `${overhead < 0.15 ? 'met' : 'NOT met'}; node -e 0 alone: median ${ms(median(node))})`,
      `undocker run --rm BIG true (warm, 5 layers)    median ${ms(median(warmLayers))}   ` +
        `best ${ms(Math.min(...warmLayers))}`,
      `undocker run --rm BIG true (cold, ~1 GiB)      ${cold.seconds.toFixed(2)} s   peak RSS ` +
        `${cold.peakRssMb.toFixed(0)} MB`,
      `undocker rootfs BIG -C DIR                     ${rootfsDir.seconds.toFixed(2)} s   peak RSS ` +
        `${rootfsDir.peakRssMb.toFixed(0)} MB`,
      `undocker run --rm NEW true (new top layer)     ${newTag.seconds.toFixed(2)} s   peak RSS ` +
        `${newTag.peakRssMb.toFixed(0)} MB`,
      `undocker rootfs NEW --layer TOP -C DIR         ${topOnly.seconds.toFixed(2)} s   ratio ${ratio.toFixed(2)} ` +
        `(target <= 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'})`,
      `(warm: median of ${WARM_ROUNDS} runs, the four commands in turn; cold and new: best of 2; ` +
        `${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
