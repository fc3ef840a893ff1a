/**
 * Reader coverage against every real tar writer: one tree of awkward entries (paths of 99 to
 * 4000 bytes, long link targets, UTF-8 and non-UTF-8 names, ids and mtimes that need base-256
 * or PAX, negative mtimes, a sparse file) packed during the test by GNU tar in each format,
 * bsdtar, Python's tarfile, node-tar and (through `docker save`) Go's archive/tar. Each archive
 * is one layer of an image; `undocker rootfs` into a directory and to a tar must equal what GNU
 * tar itself extracts from the same archive, entry by entry, mtimes included.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  chownSync,
  lchownSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import * as nodeTar from 'tar';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { buildImage, importBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker-engine.js';
import { diffSummaries, summarizeDirectory, summarizeTar, type Summary } from '../helpers/summary.js';

const SKIP = process.getuid?.() !== 0 ? 'needs root to keep owners and to start a Docker engine' : false;

/**
 * pathOfLength is a path of exactly `length` bytes under `top`: folders of at most 50 bytes, then
 * a file name of up to 100, so that paths of up to 256 bytes fit ustar's prefix and name fields.
 */
function pathOfLength(top: string, length: number): string {
  const name = Math.min(100, length - top.length - 1);
  const folders = length - name - 1;
  let path = top;
  while (path.length < folders) {
    let part = Math.min(50, folders - path.length - 1);
    if (folders - path.length - 1 - part === 1) part--; // never leave room for an empty folder name
    path += `/${'c'.repeat(part - 1)}x`;
  }
  return `${path}/${'f'.repeat(name)}`;
}

const LENGTHS = [99, 100, 101, 155, 156, 255, 4000];
const NEGATIVE_MTIME = -100_000_000; // 1966
const HUGE_MTIME = 9_000_000_000; // past the 11 octal digits of a ustar field (year 2255)
const BIG_ID = 3_000_000; // past the 7 octal digits of a ustar field

/** Tree is the source tree and the top-level names a writer is given. */
interface Tree {
  root: string;
  names: string[];
}

function put(root: string, path: string | Buffer, content: string, mtime = 1_600_000_000): void {
  const full = Buffer.isBuffer(path) ? Buffer.concat([Buffer.from(`${root}/`), path]) : join(root, path);
  mkdirSync(dirname(full.toString()), { recursive: true });
  writeFileSync(full, content);
  utimesSync(full, mtime, mtime);
}

/** PYTHON_CUT is a path whose first 100 bytes end in a slash: where Python's tarfile cuts the ustar name. */
const PYTHON_CUT = `${'p'.repeat(99)}/cut-here`;

/**
 * TreeKind: `full` has everything, `utf8` all but a non-UTF-8 name, `portable` what ustar holds, `v7` what V7 holds.
 */
type TreeKind = 'full' | 'utf8' | 'portable' | 'v7';

/** makeTree writes the awkward tree of a kind. */
function makeTree(kind: TreeKind): Tree {
  const root = tempDir(`undocker-writers-${kind}-`);
  const extended = kind === 'full' || kind === 'utf8';
  const lengths = extended ? LENGTHS : kind === 'portable' ? LENGTHS.filter((l) => l <= 255) : [99];
  for (const length of lengths) put(root, pathOfLength(`len${length}`, length), `length ${length}\n`);
  mkdirSync(join(root, 'links'));
  symlinkSync(`/${'t'.repeat(extended ? 150 : 90)}`, join(root, 'links/sym'));
  const hardTarget = pathOfLength('len99', 99);
  linkSync(join(root, hardTarget), join(root, 'links/hard'));
  put(root, 'utf8/naïve-日本.txt', 'utf8\n');
  put(root, 'times/old', 'old\n', extended ? NEGATIVE_MTIME : 1);
  if (kind === 'full') put(root, Buffer.from('raw/caf\xe9', 'latin1'), 'latin1 name\n');
  if (extended) {
    put(root, PYTHON_CUT, 'cut\n');
    put(root, 'times/future', 'future\n', HUGE_MTIME);
    put(root, 'ids/big', 'big ids\n');
    chownSync(join(root, 'ids/big'), BIG_ID, BIG_ID);
    lchownSync(join(root, 'links/sym'), BIG_ID + 1, BIG_ID + 1);
    mkdirSync(join(root, 'sparse'));
    const holey = join(root, 'sparse/holey');
    writeFileSync(holey, '');
    execFileSync('truncate', ['-s', '8M', holey]);
    execFileSync('dd', ['of=' + holey, 'bs=1', 'seek=3000000', 'conv=notrunc', 'status=none'], {
      input: 'data in the middle',
    });
  }
  return { root, names: execFileSync('ls', ['-A', root], { encoding: 'utf8' }).trim().split('\n') };
}

let work: string;
let trees: Record<TreeKind, Tree>;

before(() => {
  if (SKIP) return;
  work = tempDir('undocker-writers-');
  trees = { full: makeTree('full'), utf8: makeTree('utf8'), portable: makeTree('portable'), v7: makeTree('v7') };
});

after(() => {
  if (SKIP) return;
  // GNU rm: Node's rmSync fails on paths longer than PATH_MAX.
  for (const tree of Object.values(trees ?? {})) execFileSync('rm', ['-rf', tree.root]);
  execFileSync('rm', ['-rf', work]);
});

/**
 * WRITERS make an archive of a tree's names, as each real program writes it. `dirTimes: false`
 * where GNU tar's own extraction is no reference for directory mtimes: node-tar names a folder
 * of 100 bytes `./NAME` and its children `NAME/...`, and GNU tar, taking them for two folders,
 * lets the children's creation overwrite the time it set (undocker keeps the archive's).
 */
const WRITERS: Array<{
  name: string;
  tree: TreeKind;
  sparse?: boolean;
  dirTimes?: false;
  write: (tree: Tree, out: string) => void;
}> = [
  {
    name: 'GNU tar --format=gnu --sparse',
    tree: 'full',
    sparse: true,
    write: (t, out) => gnuTar(t, out, ['--format=gnu', '--sparse']),
  },
  {
    name: 'GNU tar --format=posix --sparse (PAX 1.0 sparse)',
    tree: 'full',
    sparse: true,
    write: (t, out) => gnuTar(t, out, ['--format=posix', '--sparse']),
  },
  {
    name: 'GNU tar --format=posix --sparse-version=0.1',
    tree: 'full',
    sparse: true,
    write: (t, out) => gnuTar(t, out, ['--format=posix', '--sparse', '--sparse-version=0.1']),
  },
  {
    name: 'GNU tar --format=posix --sparse-version=0.0',
    tree: 'full',
    sparse: true,
    write: (t, out) => gnuTar(t, out, ['--format=posix', '--sparse', '--sparse-version=0.0']),
  },
  { name: 'GNU tar --format=ustar', tree: 'portable', write: (t, out) => gnuTar(t, out, ['--format=ustar']) },
  { name: 'GNU tar --format=v7', tree: 'v7', write: (t, out) => gnuTar(t, out, ['--format=v7']) },
  { name: 'bsdtar --format=pax', tree: 'full', write: (t, out) => bsdTar(t, out, 'pax') },
  { name: 'bsdtar --format=gnutar', tree: 'full', write: (t, out) => bsdTar(t, out, 'gnutar') },
  { name: 'bsdtar --format=ustar', tree: 'portable', write: (t, out) => bsdTar(t, out, 'ustar') },
  {
    name: 'Python tarfile PAX_FORMAT (name field cut at 100 bytes)',
    tree: 'full',
    write: (t, out) => pythonTar(t, out, 'PAX_FORMAT'),
  },
  { name: 'Python tarfile GNU_FORMAT', tree: 'full', write: (t, out) => pythonTar(t, out, 'GNU_FORMAT') },
  {
    name: 'node-tar (it cannot name a file that is not UTF-8)',
    tree: 'utf8',
    dirTimes: false,
    write: (t, out) => nodeTar.c({ file: out, cwd: t.root, sync: true, portable: false }, t.names),
  },
];

function gnuTar(tree: Tree, out: string, flags: string[]): void {
  execFileSync('tar', ['-C', tree.root, ...flags, '-cf', out, ...tree.names]);
}

function bsdTar(tree: Tree, out: string, format: string): void {
  execFileSync('bsdtar', ['-C', tree.root, '--format', format, '-cf', out, ...tree.names]);
}

function pythonTar(tree: Tree, out: string, format: string): void {
  // Python names files by surrogate escapes of their bytes, as tarfile writes them back.
  const script = `import os, sys, tarfile
root, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w', format=tarfile.${format}, encoding='utf-8', errors='surrogateescape') as tar:
    for name in sys.argv[3:]:
        tar.add(os.path.join(root, name), arcname=name)
`;
  execFileSync('python3', ['-c', script, tree.root, out, ...tree.names]);
}

/** summaries flattens an archive as a one-layer image both ways and extracts it with GNU tar. */
async function summaries(archive: string, sparse: boolean): Promise<{ gnu: Summary; dir: Summary; tar: Summary }> {
  const image = writeDockerSave([{ layers: [readFileSync(archive)], tags: ['writers:1'] }]);
  const reference = tempDir('undocker-writers-ref-');
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', reference, '-xpf', archive]);
  const target = join(work, `dir-${Math.random().toString(36).slice(2)}`);
  const dirRun = undocker(['rootfs', image, '-C', target]);
  assert.equal(dirRun.status, 0, dirRun.stderr);
  const tarRun = undocker(['rootfs', image, '-']);
  assert.equal(tarRun.status, 0, tarRun.stderr);
  const result = {
    gnu: summarizeDirectory(reference, { mtime: true }),
    dir: summarizeDirectory(target, { mtime: true }),
    tar: await summarizeTar(tarRun.stdout, { mtime: true }),
  };
  if (sparse)
    assert.ok(statSync(join(target, 'sparse/holey')).blocks * 512 < 1024 * 1024, 'the sparse file keeps its holes');
  execFileSync('rm', ['-rf', reference, target]);
  return result;
}

test("every real writer's archive flattens to what GNU tar extracts from it", { skip: SKIP }, async (t) => {
  for (const writer of WRITERS) {
    await t.test(writer.name, async () => {
      const out = join(work, `${writer.name.replace(/\W+/g, '-')}.tar`);
      writer.write(trees[writer.tree], out);
      const { gnu, dir, tar } = await summaries(out, writer.sparse ?? false);
      if (writer.dirTimes === false)
        for (const summary of [gnu, dir, tar])
          for (const record of summary.values()) if (record.type === 'directory') delete record.mtime;
      assert.ok(gnu.size >= 8, 'GNU tar extracted the tree');
      assert.deepEqual(diffSummaries(gnu, dir), [], 'directory output');
      assert.deepEqual(diffSummaries(gnu, tar), [], 'tar output');
    });
  }
});

test('the writers really wrote the hard cases', { skip: SKIP }, async (t) => {
  const listing = (out: string): string =>
    execFileSync('tar', ['-tvvf', out, '--numeric-owner', '--full-time'], { encoding: 'latin1' });
  await t.test('GNU tar stored an old GNU sparse header and base-256 ids', () => {
    const out = join(work, 'check-gnu.tar');
    gnuTar(trees.full, out, ['--format=gnu', '--sparse']);
    const bytes = readFileSync(out);
    assert.ok(bytes.includes(Buffer.from('ustar  \0')), 'GNU magic');
    assert.match(listing(out), new RegExp(`${BIG_ID}/${BIG_ID}`));
  });
  await t.test("Python cut a PAX-named file's ustar name at 100 bytes, right after a slash", () => {
    const out = join(work, 'check-python.tar');
    pythonTar(trees.full, out, 'PAX_FORMAT');
    const bytes = readFileSync(out);
    // The folder's own header holds the same 100 bytes; the file's has typeflag '0'.
    const headers = [];
    for (
      let at = bytes.indexOf(Buffer.from(PYTHON_CUT.slice(0, 100)));
      at >= 0;
      at = bytes.indexOf(Buffer.from(PYTHON_CUT.slice(0, 100)), at + 1)
    ) {
      if (at % 512 === 0) headers.push(String.fromCharCode(bytes[at + 156] as number));
    }
    assert.ok(
      headers.includes('0'),
      `a regular file's ustar name field holds the path cut at 100 bytes, ending in a slash (${headers.join()})`,
    );
  });
});

let engine: DockerEngine | undefined;

test(
  "Go's archive/tar (docker save of a RUN-built image) flattens to what docker export shows",
  { skip: SKIP, timeout: 600_000 },
  async () => {
    engine = await startDockerEngine();
    try {
      importBaseImage(engine);
      // The engine itself cannot commit a path whose host path (under its data root) passes PATH_MAX.
      const deep = pathOfLength('/len3000', 3001);
      const mk = (path: string): string => `mkdir -p ${dirname(path)} && echo x > ${path}`;
      buildImage(
        engine,
        'undocker-writers:go',
        `FROM undocker-base:latest
RUN ${LENGTHS.filter((l) => l < 4000)
          .map((l) => mk(`/${pathOfLength(`len${l}`, l)}`))
          .join(' && ')} && ${mk(deep)}
RUN ln -s /${'t'.repeat(150)} /long-symlink && ln ${deep} /long-hardlink \\
 && echo u > "/naïve-日本" && echo l > "$(printf '/caf\\351')" \\
 && echo big > /big-ids && chown ${BIG_ID}:${BIG_ID} /big-ids && touch -d '1966-10-31 00:00:00' /old
`,
      );
      const save = join(work, 'go.tar');
      engine.docker(['save', 'undocker-writers:go', '-o', save]);
      const container = engine.docker(['create', 'undocker-writers:go', 'true']).trim();
      const exported = join(work, 'go-export.tar');
      engine.docker(['export', container, '-o', exported]);
      const reference = await summarizeTar(exported);
      const injected = (path: string): boolean =>
        ['.dockerenv', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'etc/mtab', 'dev', 'proc', 'sys'].some(
          (p) => path === p || path.startsWith(`${p}/`),
        );
      const tarRun = undocker(['rootfs', save, '-']);
      assert.equal(tarRun.status, 0, tarRun.stderr);
      assert.deepEqual(diffSummaries(reference, await summarizeTar(tarRun.stdout), injected), []);
      assert.equal(reference.get('big-ids')?.uid, BIG_ID);
      assert.ok(
        [...reference.keys()].some((path) => path.length === 3000),
        'the 3000-byte path is there',
      );
    } finally {
      await engine.stop();
    }
  },
);
