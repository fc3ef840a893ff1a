/**
 * Summaries of a root filesystem, from a tar or a directory, as comparable records: path,
 * type, mode, owner, size, content hash, link target, hardlink group, xattrs, device numbers.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readTar } from '../../src/tar/reader.js';
import { toDisplay } from '../../src/tar/entry.js';

/** Record is one path of a summary. */
export interface FileRecord {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  link?: string;
  /** the first path (in sorted order) of the record's hardlink group */
  group?: string;
  xattrs?: Record<string, string>;
  dev?: string;
  /** whole seconds, only in summaries made with `mtime` */
  mtime?: number;
}

/** SummaryOptions ask for more than the default record: xattrs of a directory, mtimes. */
export interface SummaryOptions {
  xattrs?: boolean;
  mtime?: boolean;
}

/** Summary maps each path (no leading `./` or trailing `/`) to its record. */
export type Summary = Map<string, FileRecord>;

function cleanPath(path: string): string {
  return path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

/** summarizeTar reads a tar (file path or bytes) into a summary. */
export async function summarizeTar(source: string | Buffer, options: SummaryOptions = {}): Promise<Summary> {
  const input = typeof source === 'string' ? createReadStream(source) : Readable.from([source]);
  const summary: Summary = new Map();
  const links: Array<[string, string]> = [];
  for await (const { entry, body } of readTar(input as AsyncIterable<Buffer>, { where: 'test tar' })) {
    const path = cleanPath(toDisplay(entry.path));
    if (path === '') continue;
    if (entry.type === 'hardlink') {
      links.push([path, cleanPath(toDisplay(entry.linkname))]);
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk);
    summary.set(path, {
      type: entry.type,
      mode: (entry.mode & 0o7777).toString(8),
      uid: entry.uid,
      gid: entry.gid,
      size: entry.size,
      ...(entry.type === 'file' ? { sha256: hash.digest('hex') } : {}),
      ...(entry.type === 'symlink' ? { link: toDisplay(entry.linkname) } : {}),
      ...(entry.xattrs.size > 0
        ? { xattrs: Object.fromEntries([...entry.xattrs].map(([k, v]) => [k, v.toString('hex')]).sort()) }
        : {}),
      ...(entry.type === 'char' || entry.type === 'block' ? { dev: `${entry.devmajor},${entry.devminor}` } : {}),
      ...(options.mtime ? { mtime: entry.mtime } : {}),
    });
  }
  for (const [path, target] of links) {
    const record = summary.get(target);
    if (record === undefined) throw new Error(`hardlink ${path} -> ${target} comes before its target`);
    summary.set(path, { ...record });
  }
  groupLinks(
    summary,
    links.flatMap(([a, b]) => [[a, b]]),
  );
  return summary;
}

function groupLinks(summary: Summary, pairs: string[][]): void {
  const parent = new Map<string, string>();
  const find = (p: string): string => {
    while (parent.has(p) && parent.get(p) !== p) p = parent.get(p) as string;
    return p;
  };
  for (const [a, b] of pairs) parent.set(find(a as string), find(b as string));
  const groups = new Map<string, string[]>();
  for (const path of summary.keys())
    if (parent.has(path) || [...parent.values()].includes(path)) {
      const root = find(path);
      groups.set(root, [...(groups.get(root) ?? []), path]);
    }
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const first = [...members].sort()[0] as string;
    for (const member of members) (summary.get(member) as FileRecord).group = first;
  }
}

/** unescapeDump turns getfattr's quoted names (octal escapes) back into their bytes. */
function unescapeDump(quoted: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < quoted.length; i++) {
    if (quoted[i] === '\\' && /^[0-7]{3}$/.test(quoted.slice(i + 1, i + 4))) {
      bytes.push(parseInt(quoted.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(...Buffer.from(quoted[i] as string, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** readAllXattrs lists every xattr below `root` with one getfattr run, keyed by path as summaries key it. */
function readAllXattrs(root: string): Map<string, Record<string, string>> {
  const out = execFileSync('getfattr', ['-R', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 30,
  });
  const all = new Map<string, Record<string, string>>();
  const prefix = Buffer.from(`${root.replace(/\/+$/, '')}/`);
  for (const block of out.split('\n\n')) {
    const [head, ...lines] = block.trim().split('\n');
    if (!head?.startsWith('# file: ')) continue;
    const path = unescapeDump(head.slice('# file: '.length)).subarray(prefix.length).toString('utf8');
    const pairs = lines
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 3)] as [string, string]);
    if (pairs.length > 0) all.set(path, Object.fromEntries(pairs.sort()));
  }
  return all;
}

/** summarizeDirectory walks a directory into a summary (xattrs only with `xattrs`), reading names as bytes. */
export function summarizeDirectory(root: string, options: SummaryOptions = {}): Summary {
  const summary: Summary = new Map();
  const inodes = new Map<number, string[]>();
  const xattrsOf = options.xattrs ? readAllXattrs(root) : new Map<string, Record<string, string>>();
  const walk = (dir: Buffer, prefix: string): void => {
    const names = readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const path = `${prefix}${name.toString('utf8')}`;
      const stat = lstatSync(full);
      const type = stat.isDirectory()
        ? 'directory'
        : stat.isSymbolicLink()
          ? 'symlink'
          : stat.isFile()
            ? 'file'
            : stat.isCharacterDevice()
              ? 'char'
              : stat.isBlockDevice()
                ? 'block'
                : 'fifo';
      const xattrs = type !== 'symlink' ? xattrsOf.get(path) : undefined;
      summary.set(path, {
        type,
        mode: (stat.mode & 0o7777).toString(8),
        uid: stat.uid,
        gid: stat.gid,
        size: type === 'file' ? stat.size : 0,
        ...(type === 'file' ? { sha256: hashFile(full) } : {}),
        ...(type === 'symlink' ? { link: readlinkSync(full, { encoding: 'buffer' }).toString('utf8') } : {}),
        ...(xattrs ? { xattrs } : {}),
        ...(type === 'char' || type === 'block' ? { dev: `${Math.floor(stat.rdev / 256)},${stat.rdev % 256}` } : {}),
        ...(options.mtime ? { mtime: Math.floor(stat.mtimeMs / 1000) } : {}),
      });
      if (type !== 'directory' && stat.nlink > 1) inodes.set(stat.ino, [...(inodes.get(stat.ino) ?? []), path]);
      if (type === 'directory') walk(full, `${path}/`);
    }
  };
  walk(Buffer.from(root), '');
  for (const members of inodes.values()) {
    if (members.length < 2) continue;
    const first = [...members].sort()[0] as string;
    for (const member of members) (summary.get(member) as FileRecord).group = first;
  }
  return summary;
}

/** hashFile hashes a file in-process, a window at a time. */
function hashFile(path: Buffer): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const window = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, window, 0, window.length, null)) > 0;) hash.update(window.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** diffSummaries lists the differences between two summaries, one line each. */
export function diffSummaries(
  expected: Summary,
  actual: Summary,
  ignore: (path: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  for (const [path, record] of expected) {
    if (ignore(path)) continue;
    const other = actual.get(path);
    if (other === undefined) problems.push(`missing ${path}`);
    else if (JSON.stringify(sortKeys(record)) !== JSON.stringify(sortKeys(other))) {
      problems.push(
        `differs ${path}: expected ${JSON.stringify(sortKeys(record))} got ${JSON.stringify(sortKeys(other))}`,
      );
    }
  }
  for (const path of actual.keys()) if (!ignore(path) && !expected.has(path)) problems.push(`unexpected ${path}`);
  return problems;
}

function sortKeys(record: FileRecord): object {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
