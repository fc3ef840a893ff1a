/**
 * `npm run bench`: flattening speed and memory on synthetic images made here (no download).
 * - a ~1 GiB image of 4 layers (many small files, some large, overwrites and whiteouts):
 *   `undocker rootfs IMAGE -` to /dev/null, `undocker rootfs IMAGE -C DIR`, and GNU `tar -x` of
 *   the already-flattened tar into a directory, the floor, on the same machine in the same run,
 *   taking turns, each directory run on a filesystem made for it (scratch-fs.ts says why);
 * - a ~9 GiB image (one file over 8 GiB) for peak RSS, which must not grow with image size;
 * - the 1 GiB image again with gzip layers (as registries serve them), for peak RSS too;
 * - 300,000 small files in one gzip layer, to a tar: the cost per entry;
 * - 1,000,000 tiny files in one layer, and under a one-file layer, to a tar and into a directory: memory per entry.
 * Targets: directory within 1.5x of the tar -x floor; peak RSS under 150 MB for the first
 * images, under 100 MB for a million entries. A peer to compare with (go-containerregistry's
 * flatten, built outside this repository) can be named in UNDOCKER_BENCH_PEER: a command that
 * takes an archive path and writes the flattened tar to standard output; it then runs on the
 * same images in the same run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { writeDockerArchive } from '../src/write/docker-archive.js';
import { writeFileAtomically } from '../src/output/atomic.js';
import { newEntry, type TarEntry } from '../src/tar/entry.js';
import { dataPadding, encodeEntry, END_OF_ARCHIVE } from '../src/tar/writer.js';
import { SCRATCH_KIND, scratchFs } from './scratch-fs.js';

const UNDOCKER = fileURLToPath(new URL('../../bin/undocker.cjs', import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** BenchFile is one generated entry: `size` bytes of a pattern, or the given content or link. */
export interface BenchFile {
  path: string;
  size: number;
  type?: TarEntry['type'];
  content?: Buffer;
  linkname?: string;
  mode?: number;
  /** mtime is the file's time, 1,700,000,000 unless given. */
  mtime?: number;
}

/** writeLayer streams generated entries into a layer tar on disk. */
async function writeLayer(path: string, files: BenchFile[]): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 4 * MiB });
  const block = Buffer.alloc(4 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const write = async (data: Buffer): Promise<void> => {
    if (!out.write(data)) await once(out, 'drain');
  };
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        await write(encodeEntry(newEntry({ path: `${dir}/`, type: 'directory', mtime: 1_700_000_000 })));
      }
    }
    const size = file.content?.length ?? file.size;
    await write(
      encodeEntry(
        newEntry({
          path: file.path,
          type: file.type ?? 'file',
          size,
          mtime: file.mtime ?? 1_700_000_000,
          mode: file.mode ?? 0o644,
          ...(file.linkname ? { linkname: file.linkname } : {}),
        }),
      ),
    );
    if (file.content !== undefined) await write(file.content);
    else
      for (let left = size; left > 0; left -= block.length)
        await write(left >= block.length ? block : block.subarray(0, left));
    await write(dataPadding(size));
  }
  await write(END_OF_ARCHIVE);
  out.end();
  await once(out, 'finish');
}

/** smallFiles lists `count` files spread over 200 folders. */
export function smallFiles(
  prefix: string,
  count: number,
  size: (i: number) => number,
): Array<{ path: string; size: number }> {
  return Array.from({ length: count }, (_, i) => ({ path: `${prefix}/d${i % 200}/f${i}`, size: size(i) }));
}

/**
 * gibLayers are ~1 GiB in 4 layers: a distro-like base, an update that overwrites and deletes, app files, big assets.
 */
export function gibLayers(): BenchFile[][] {
  const base = smallFiles('usr/lib', 30_000, (i) => 1024 + ((i * 7919) % 16_384)); // ~260 MB
  const update = [
    ...smallFiles('usr/lib', 5_000, (i) => 2048 + ((i * 104_729) % 8192)),
    ...Array.from({ length: 500 }, (_, i) => ({ path: `usr/lib/d${i % 200}/.wh.f${10_000 + i}`, size: 0 })),
  ];
  const app = [
    ...smallFiles('opt/app', 8_000, (i) => 4096 + ((i * 31) % 32_768)),
    { path: 'opt/app/bundle.bin', size: 200 * MiB },
  ];
  const assets = Array.from({ length: 6 }, (_, i) => ({ path: `srv/assets/blob${i}.bin`, size: 64 * MiB }));
  return [base, update, app, assets];
}

/** makeImage writes a docker save archive from generated layers, gzip-compressed when asked. */
export async function makeImage(dir: string, name: string, layers: BenchFile[][], gzip = false): Promise<string> {
  const paths: string[] = [];
  const diffIds: string[] = [];
  for (const [i, files] of layers.entries()) {
    const path = join(dir, `${name}-layer${i}.tar`);
    await writeLayer(path, files);
    if (gzip) {
      // The config names the uncompressed tar, so its digest is taken before compressing.
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      diffIds.push(`sha256:${hash.digest('hex')}`);
      await pipeline(createReadStream(path), createGzip({ level: 1 }), createWriteStream(`${path}.gz`));
      rmSync(path);
    }
    paths.push(gzip ? `${path}.gz` : path);
  }
  const archive = join(dir, `${name}.tar`);
  const known = gzip
    ? {
        diffIds,
        config: {
          os: 'linux',
          architecture: 'amd64',
          config: {},
          rootfs: { type: 'layers' as const, diff_ids: diffIds },
        },
      }
    : { config: { os: 'linux', architecture: 'amd64', config: {} } };
  await writeFileAtomically(archive, (stream) =>
    writeDockerArchive(stream, { repoTags: [`${name}:latest`], layerPaths: paths, ...known }).then(() => undefined),
  );
  for (const path of paths) rmSync(path);
  return archive;
}

/** run times a command and samples its peak RSS (VmHWM) from /proc until it exits. */
export async function run(command: string, args: string[], stdout: 'ignore' | string = 'ignore'): Promise<Timing> {
  const output = stdout === 'ignore' ? 'ignore' : createWriteStream(stdout);
  if (output !== 'ignore') await once(output, 'open');
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', output === 'ignore' ? 'ignore' : output, 'inherit'] });
  let peakKb = 0;
  const sample = (): void => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      /* exited */
    }
  };
  const timer = setInterval(sample, 10);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(timer);
  if (output !== 'ignore') output.close();
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peakKb / 1024 };
}

/** Timing is one command's wall time and peak RSS, or the best of several (fastest time, highest peak). */
export interface Timing {
  seconds: number;
  peakRssMb: number;
}

/** NO_TIMING is where a best-of starts. */
export const NO_TIMING: Timing = { seconds: Infinity, peakRssMb: 0 };

/** better keeps the faster time and the higher peak of two timings. */
export function better(a: Timing, b: Timing): Timing {
  return { seconds: Math.min(a.seconds, b.seconds), peakRssMb: Math.max(a.peakRssMb, b.peakRssMb) };
}

/** best runs `fn` `times` times, `between` before each, and keeps the fastest time and the highest peak. */
export async function best(times: number, fn: () => Promise<Timing>, between: () => void): Promise<Timing> {
  let result = NO_TIMING;
  for (let i = 0; i < times; i++) {
    between();
    result = better(result, await fn());
  }
  between();
  return result;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'undocker-bench-'));
  try {
    const [base, update, app, assets] = gibLayers() as [BenchFile[], BenchFile[], BenchFile[], BenchFile[]];
    process.stderr.write('making a ~1 GiB image of 4 layers...\n');
    const image = await makeImage(dir, 'bench', [base, update, app, assets]);
    const flatTar = join(dir, 'flat.tar');
    const toNull = await best(
      3,
      () => run(UNDOCKER, ['rootfs', image, '-']),
      () => undefined,
    );
    const peerLine = await peerRow(image, toNull);
    await run(UNDOCKER, ['rootfs', image, flatTar]);
    const flatBytes = Number(execFileSync('stat', ['-c', '%s', flatTar], { encoding: 'utf8' }));
    // The 2 GiB just written would otherwise be flushed to disk during the timed runs, by kernel
    // threads taking CPU from whichever command runs then: undocker, using both cores, most.
    execFileSync('sync');
    // undocker and tar take turns, each on a scratch filesystem of its own (see scratch-fs.ts).
    const onScratch = async (command: string, args: (into: string) => string[]): Promise<Timing> => {
      const scratch = scratchFs(dir, 'scratch');
      try {
        return await run(command, args(scratch.path));
      } finally {
        scratch.dispose();
      }
    };
    let toDir = NO_TIMING;
    let floor = NO_TIMING;
    for (let i = 0; i < 3; i++) {
      toDir = better(toDir, await onScratch(UNDOCKER, (into) => ['rootfs', image, '-C', join(into, 'rootfs')]));
      floor = better(floor, await onScratch('tar', (into) => ['-xf', flatTar, '-C', into]));
    }
    rmSync(flatTar);
    const imageBytes = Number(execFileSync('stat', ['-c', '%s', image], { encoding: 'utf8' }));
    rmSync(image);

    process.stderr.write('making a ~9 GiB image (one 9 GiB file)...\n');
    const huge = await makeImage(dir, 'huge', [
      [{ path: 'data/huge.bin', size: 9 * GiB }],
      smallFiles('etc', 100, () => 100),
    ]);
    const hugeRun = await run(UNDOCKER, ['rootfs', huge, '-']);
    rmSync(huge);

    process.stderr.write('making the ~1 GiB image again with gzip layers...\n');
    const gzipped = await makeImage(dir, 'gzip', [base, update, app, assets], true);
    const gzipToNull = await run(UNDOCKER, ['rootfs', gzipped, '-']);
    const gzipToDir = await onScratch(UNDOCKER, (into) => ['rootfs', gzipped, '-C', join(into, 'rootfs')]);
    rmSync(gzipped);
    const peak = Math.max(
      hugeRun.peakRssMb,
      toNull.peakRssMb,
      toDir.peakRssMb,
      gzipToNull.peakRssMb,
      gzipToDir.peakRssMb,
    );

    const ratio = toDir.seconds / floor.seconds;
    const lines = [
      `image: ${(imageBytes / GiB).toFixed(2)} GiB archive, 4 layers, ` +
        `${base.length + update.length + app.length + assets.length} entries; flattened tar ` +
        `${(flatBytes / GiB).toFixed(2)} GiB`,
      `undocker rootfs IMAGE - > /dev/null   ${toNull.seconds.toFixed(2)} s   ` +
        `${(flatBytes / MiB / toNull.seconds).toFixed(0)} MiB/s   peak RSS ${toNull.peakRssMb.toFixed(0)} MB`,
      peerLine,
      `undocker rootfs IMAGE -C DIR          ${toDir.seconds.toFixed(2)} s   peak RSS ` +
        `${toDir.peakRssMb.toFixed(0)} MB   (DIR on a ${SCRATCH_KIND} per run, as the floor's)`,
      `GNU tar -xf FLAT.tar -C DIR (floor)   ${floor.seconds.toFixed(2)} s`,
      `directory / floor                     ${ratio.toFixed(2)}x   (target <= 1.5x: ` +
        `${ratio <= 1.5 ? 'met' : 'NOT met'})`,
      `9 GiB image: rootfs - > /dev/null     ${hugeRun.seconds.toFixed(2)} s   peak RSS ` +
        `${hugeRun.peakRssMb.toFixed(0)} MB`,
      `gzip layers: rootfs - > /dev/null     ${gzipToNull.seconds.toFixed(2)} s   peak RSS ` +
        `${gzipToNull.peakRssMb.toFixed(0)} MB`,
      `gzip layers: rootfs -C DIR            ${gzipToDir.seconds.toFixed(2)} s   peak RSS ` +
        `${gzipToDir.peakRssMb.toFixed(0)} MB`,
      `peak RSS of all runs                  ${peak.toFixed(0)} MB   (target < 150 MB: ` +
        `${peak < 150 ? 'met' : 'NOT met'})`,
      `(best of 3 runs each, the gzip ones once; page cache warm; ` +
        `${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(`${(await manyEntries(dir)).join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** peerRow times UNDOCKER_BENCH_PEER on an image beside undocker's figure, or says there is none. */
async function peerRow(image: string, ours: Timing): Promise<string> {
  const peer = process.env.UNDOCKER_BENCH_PEER;
  if (peer === undefined) return '  (no UNDOCKER_BENCH_PEER to compare with)';
  const theirs = await best(
    3,
    () => run(peer, [image]),
    () => undefined,
  );
  return (
    `  peer ${peer}: ${theirs.seconds.toFixed(2)} s, peak RSS ${theirs.peakRssMb.toFixed(0)} MB; ` +
    `undocker / peer ${(ours.seconds / theirs.seconds).toFixed(2)}x`
  );
}

/** manyEntries measures the cost of entries rather than bytes: 300,000 small files, then a million tiny ones. */
async function manyEntries(dir: string): Promise<string[]> {
  process.stderr.write('making 300,000 small files in one gzip layer...\n');
  const small = await makeImage(
    dir,
    'small',
    [smallFiles('usr/share', 300_000, (i) => 100 + ((i * 7919) % 2048))],
    true,
  );
  const smallTar = await best(
    3,
    () => run(UNDOCKER, ['rootfs', small, '-']),
    () => undefined,
  );
  // The floor: decompressing the one layer, which any flatten must do once.
  const smallFloor = await best(
    3,
    () => run('sh', ['-c', `tar -xOf '${small}' --wildcards '*/layer.tar' | gzip -dc > /dev/null`]),
    () => undefined,
  );
  const smallPeer = await peerRow(small, smallTar);
  // Three runs into a directory too: its peak once came out 94 or 160 MB by chance (compression.ts).
  let smallDir = NO_TIMING;
  for (let i = 0; i < 3; i++) {
    const scratch = scratchFs(dir, 'scratch', 6, 400_000);
    try {
      smallDir = better(smallDir, await run(UNDOCKER, ['rootfs', small, '-C', join(scratch.path, 'rootfs')]));
    } finally {
      scratch.dispose();
    }
  }
  rmSync(small);

  // Real layers keep each file's time (COPY does): a time per file costs a metadata row each (meta-table.ts).
  process.stderr.write('making 300,000 files of as many times...\n');
  const timedFiles = smallFiles('srv', 300_000, (i) => i % 64).map((file, i) => ({
    ...file,
    mtime: 1_700_000_000 + i,
  }));
  const timed = await makeImage(dir, 'timed', [timedFiles]);
  const timedTar = await run(UNDOCKER, ['rootfs', timed, '-']);
  rmSync(timed);

  // A layer's files are listed, not kept as names (lister.ts), and the top layer's handled apart in a directory: the
  // same million under a one-file layer shows what a million files in a lower layer cost.
  const rows = [
    `300,000 files, one gzip layer: rootfs - > /dev/null   ${smallTar.seconds.toFixed(2)} s   peak RSS ` +
      `${smallTar.peakRssMb.toFixed(0)} MB   (gzip -dc of its layer: ${smallFloor.seconds.toFixed(2)} s)`,
    smallPeer,
    `300,000 files, one gzip layer: rootfs -C DIR          ${smallDir.seconds.toFixed(2)} s   peak RSS ` +
      `${smallDir.peakRssMb.toFixed(0)} MB   (highest of 3 runs)`,
    `300,000 files of as many times: rootfs - > /dev/null  ${timedTar.seconds.toFixed(2)} s   peak RSS ` +
      `${timedTar.peakRssMb.toFixed(0)} MB`,
  ];
  let peak = 0;
  const cases: Array<[string, string, BenchFile[][]]> = [
    ['million', '1,000,000 files in one layer', []],
    ['under', '1,000,000 files, one-file layer on top', [[{ path: 'etc/top', size: 10 }]]],
  ];
  for (const [name, label, top] of cases) {
    process.stderr.write(`making ${label}...\n`);
    const million = await makeImage(dir, name, [smallFiles('srv', 1_000_000, (i) => i % 64), ...top]);
    const tar = await run(UNDOCKER, ['rootfs', million, '-']);
    const scratch = scratchFs(dir, 'scratch', 6, 1_100_000);
    let directory: Timing;
    try {
      directory = await run(UNDOCKER, ['rootfs', million, '-C', join(scratch.path, 'rootfs')]);
    } finally {
      scratch.dispose();
    }
    rmSync(million);
    peak = Math.max(peak, tar.peakRssMb, directory.peakRssMb);
    rows.push(
      `${label}: rootfs - > /dev/null`.padEnd(62) +
        `${tar.seconds.toFixed(2)} s   peak RSS ${tar.peakRssMb.toFixed(0)} MB`,
      `${label}: rootfs -C DIR`.padEnd(62) +
        `${directory.seconds.toFixed(2)} s   peak RSS ${directory.peakRssMb.toFixed(0)} MB`,
    );
  }
  rows.push(
    `peak RSS for a million entries                        ${peak.toFixed(0)} MB   (target < 100 MB: ` +
      `${peak < 100 ? 'met' : 'NOT met'})`,
  );
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
