/**
 * docker run's --tmpfs, --ulimit and --shm-size, shared by `run`, `install` and the generators,
 * all of which can say them exactly; checked before any image is opened.
 */
import type { Command } from 'commander';
import { DOCKER_SHM_SIZE, parseTmpfs, parseUlimit, type Walls } from '../config/tmpfs-ulimits.js';
import { parseBytes } from '../launch/resource-limits.js';
import { collect } from './repeatable.js';

/** WallFlags are the flags as commander gives them. */
export interface WallFlags {
  tmpfs: string[];
  ulimit: string[];
  shmSize?: string;
}

/** wallFlags adds the flags to `command`. */
export function wallFlags(command: Command): Command {
  return command
    .option(
      '--tmpfs <path[:options]>',
      'mount a tmpfs (rw,noexec,nosuid,nodev and the options given; repeatable)',
      collect,
      [],
    )
    .option('--ulimit <name=soft[:hard]>', 'set a resource limit, as nofile=512:1024 (repeatable)', collect, [])
    .option('--shm-size <bytes>', 'size of /dev/shm (default 64m)');
}

/** wallsOf reads the flags; absent, they are Docker's defaults. */
export function wallsOf(flags: WallFlags): Walls {
  return {
    tmpfs: flags.tmpfs.map(parseTmpfs),
    ulimits: flags.ulimit.map(parseUlimit),
    shmSize: flags.shmSize === undefined ? DOCKER_SHM_SIZE : parseBytes(flags.shmSize, '--shm-size'),
  };
}
