/**
 * docker run's --tmpfs and --ulimit, read as Docker reads them. Used by runs, and by the
 * settings files and configs the generators write, which can say both.
 */
import { UsageError } from '../errors.js';

/** Tmpfs is one --tmpfs PATH[:OPTIONS], with Docker's default options in front. */
export interface Tmpfs {
  path: string;
  options: string;
}

/** Ulimit is one --ulimit NAME=SOFT[:HARD]; -1 is unlimited. */
export interface Ulimit {
  name: UlimitName;
  soft: number;
  hard: number;
}

/** ULIMIT_NAMES are the limits docker run's --ulimit takes (setrlimit(2)'s, without RLIMIT_). */
export const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

/** UlimitName names one limit. */
export type UlimitName = (typeof ULIMIT_NAMES)[number];

/** DOCKER_TMPFS_OPTIONS are what Docker mounts a --tmpfs with before the options given. */
export const DOCKER_TMPFS_OPTIONS = 'rw,noexec,nosuid,nodev';

/** parseTmpfs reads --tmpfs PATH[:OPTIONS]; the path must be absolute and the options hold no space. */
export function parseTmpfs(text: string): Tmpfs {
  const colon = text.indexOf(':');
  const path = colon < 0 ? text : text.slice(0, colon);
  const extra = colon < 0 ? '' : text.slice(colon + 1);
  if (!path.startsWith('/') || /[\s:]/.test(path) || /\s/.test(extra)) {
    throw new UsageError(
      `--tmpfs ${text}: use PATH[:OPTIONS], an absolute path and mount options like size=64m,mode=1777`,
    );
  }
  return { path, options: extra === '' ? DOCKER_TMPFS_OPTIONS : `${DOCKER_TMPFS_OPTIONS},${extra}` };
}

/** parseUlimit reads --ulimit NAME=SOFT[:HARD] as docker run does: HARD defaults to SOFT, -1 is unlimited. */
export function parseUlimit(text: string): Ulimit {
  const match = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(text);
  const name = match?.[1] as UlimitName | undefined;
  if (match === null || name === undefined || !ULIMIT_NAMES.includes(name)) {
    throw new UsageError(`--ulimit ${text}: use NAME=SOFT[:HARD] with NAME one of ${ULIMIT_NAMES.join(', ')}`);
  }
  const soft = Number(match[2]);
  const hard = match[3] !== undefined ? Number(match[3]) : soft;
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    throw new UsageError(`--ulimit ${text}: the soft limit is above the hard limit`);
  }
  return { name, soft, hard };
}

/** Walls are a container's --tmpfs mounts, --ulimit limits and /dev/shm size. */
export interface Walls {
  tmpfs: Tmpfs[];
  ulimits: Ulimit[];
  /** shmSize is /dev/shm's size in bytes, Docker's 64 MiB unless --shm-size says otherwise */
  shmSize: number;
}

/** DOCKER_SHM_SIZE is the /dev/shm Docker gives a container: 64 MiB. */
export const DOCKER_SHM_SIZE = 64 * 1024 * 1024;

/** NO_WALLS are Docker's defaults: no --tmpfs, no --ulimit, a 64 MiB /dev/shm. */
export const NO_WALLS: Walls = { tmpfs: [], ulimits: [], shmSize: DOCKER_SHM_SIZE };

/** toLimitPair writes a limit as `soft:hard`, -1 as `unlimited` (the word each runtime takes: infinity, unlimited). */
export function toLimitPair({ soft, hard }: Ulimit, unlimited: string): string {
  const value = (limit: number): string => (limit === -1 ? unlimited : String(limit));
  return `${value(soft)}:${value(hard)}`;
}
