/**
 * Host id ranges for --userns=auto: 65536 uids and gids each, from the blocks systemd-nspawn's
 * --private-users=pick takes (0x00080000 up to 0x6FFF0000), the first tried found from a hash of
 * the container's name, so a container tends to get the same range at each start. A range is
 * skipped when the host's /etc/passwd, /etc/group, /etc/subuid or /etc/subgid name an id in it,
 * or when systemd-nspawn holds it (/run/systemd/nspawn-uid/START).
 *
 * A claim is a file START-PID-STARTTIME in the claims folder, made by the process that runs the
 * container and removed when the run ends; one whose process is gone is nobody's. No lock is
 * needed: a process keeps its claim only if, after making it, it sees no other living claim of
 * the range. Of two processes claiming one range, the one listing second sees the first's file,
 * so at most one keeps it (both may give it up and try the next range).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError } from '../errors.js';
import { parseGroup, parsePasswd } from '../config/user-db.js';
import { identify, isLiving } from '../host/process-identity.js';

/** RANGE_SIZE is how many ids a container gets, as Docker's userns-remap and systemd-nspawn give. */
export const RANGE_SIZE = 0x10000;

const FIRST = 0x00080000;
const END = 0x6fff0000;

/** CLAIMS is where the claims live: on tmpfs, so a reboot, which ends every run, clears them. */
export const CLAIMS = '/run/undocker/userns';

/** UidRange is the host ids START..START+SIZE-1 that a container's 0..SIZE-1 are. */
export interface UidRange {
  start: number;
  size: number;
}

/** ClaimedRange is a range this process holds until `release`. */
export interface ClaimedRange {
  range: UidRange;
  release: () => void;
}

/** HostFiles are where the host's own ids are read from (tests point them at their own files). */
export interface HostFiles {
  claims: string;
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
  nspawnClaims: string;
}

const HOST_FILES: HostFiles = {
  claims: CLAIMS,
  passwd: '/etc/passwd',
  group: '/etc/group',
  subuid: '/etc/subuid',
  subgid: '/etc/subgid',
  nspawnClaims: '/run/systemd/nspawn-uid',
};

function textOf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** usedSpans lists [first, end) of every id the host's account files name. */
function usedSpans(files: HostFiles): Array<[number, number]> {
  const ids = [
    ...parsePasswd(textOf(files.passwd)).map((entry) => entry.uid),
    ...parseGroup(textOf(files.group)).map((entry) => entry.gid),
  ];
  const spans = ids.map((id): [number, number] => [id, id + 1]);
  for (const file of [files.subuid, files.subgid]) {
    for (const line of textOf(file).split('\n')) {
      const [, first = NaN, count = NaN] = line.split(':').map(Number);
      if (Number.isInteger(first) && Number.isInteger(count)) spans.push([first, first + count]);
    }
  }
  return spans;
}

/** fnv1a hashes the container's name to its first block. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** livingClaims lists the claims whose processes still run, by range start, removing the others. */
function livingClaims(claims: string): Map<number, string[]> {
  const living = new Map<number, string[]>();
  for (const file of readdirSync(claims)) {
    const [range = NaN, pid = NaN, started = NaN] = file.split('-').map(Number);
    if (!isLiving({ pid, start: started })) rmSync(join(claims, file), { force: true });
    else living.set(range, [...(living.get(range) ?? []), file]);
  }
  return living;
}

/** claimUidRange claims a free range for container `name`, for as long as this process runs it. */
export function claimUidRange(name: string, files: HostFiles = HOST_FILES): ClaimedRange {
  const me = identify(process.pid);
  if (me === undefined) throw new UndockerError('UNDOCKER_IO', 'cannot read /proc/self/stat to claim a uid range');
  mkdirSync(files.claims, { recursive: true, mode: 0o700 });
  const spans = usedSpans(files);
  const blocks = (END - FIRST) / RANGE_SIZE;
  const first = fnv1a(name) % blocks;
  const held = livingClaims(files.claims);
  for (let n = 0; n < blocks; n++) {
    const start = FIRST + ((first + n) % blocks) * RANGE_SIZE;
    const end = start + RANGE_SIZE;
    if (held.has(start) || spans.some(([a, b]) => a < end && b > start)) continue;
    if (existsSync(join(files.nspawnClaims, String(start)))) continue;
    const mine = `${start}-${me.pid}-${me.start}`;
    const claim = join(files.claims, mine);
    writeFileSync(claim, `${name}\n`, { flag: 'wx', mode: 0o600 });
    if ((livingClaims(files.claims).get(start) ?? []).some((file) => file !== mine)) {
      rmSync(claim, { force: true });
      continue;
    }
    return { range: { start, size: RANGE_SIZE }, release: () => rmSync(claim, { force: true }) };
  }
  throw new UndockerError(
    'UNDOCKER_UNSUPPORTED',
    `--userns=auto: no free range of ${RANGE_SIZE} host ids is left between ${FIRST} and ${END} (see ${files.claims})`,
  );
}
