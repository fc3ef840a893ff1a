/**
 * The cgroup a systemd-nspawn run is limited in: made below undocker's own cgroup (one per v1
 * controller, or one in the v2 tree), written with the run's settings, entered by the runtime
 * through a shell that writes its pid into it before exec'ing (so every process of the run is
 * inside from the start), and removed when the run ends. LXC makes its own, from lxc.cgroup keys.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError } from '../errors.js';
import type { CgroupSetting } from './resource-limits.js';
import type { Launch } from './run-container.js';

const ROOT = '/sys/fs/cgroup';

/** cgroupVersion tells which cgroup interface the host mounts: 2 when the unified tree is at /sys/fs/cgroup. */
export function cgroupVersion(): 1 | 2 {
  return existsSync(join(ROOT, 'cgroup.controllers')) ? 2 : 1;
}

/** ownCgroup is this process's path in the hierarchy holding `controller` ('' for v2's unified one). */
function ownCgroup(controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers !== undefined && controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

function refuse(setting: CgroupSetting, detail: string, cause?: unknown): never {
  throw new UndockerError('UNDOCKER_UNSUPPORTED', `${setting.flag}: ${detail}`, { cause });
}

function write(dir: string, file: string, value: string, setting: CgroupSetting): void {
  try {
    writeFileSync(join(dir, file), value);
  } catch (error) {
    const why = existsSync(join(dir, file)) ? (error as Error).message : 'the kernel has no such setting';
    refuse(setting, `cannot set ${file} to ${value} in ${dir}: ${why}`, error);
  }
}

/** fresh makes `dir`, first removing an empty one a killed run of the same name left. */
function fresh(dir: string): string {
  if (existsSync(dir)) rmdirSync(dir);
  mkdirSync(dir);
  return dir;
}

/** RunCgroup is a made cgroup: the files the runtime's pid goes into, its OOM kills, and its removal. */
export interface RunCgroup {
  procs: string[];
  /** oomKills is how many processes the kernel killed for memory in it */
  oomKills(): number;
  remove(): void;
}

/** oomKillsIn reads the oom_kill count of a memory cgroup (v1 memory.oom_control, v2 memory.events). */
function oomKillsIn(dir: string | undefined, version: 1 | 2): number {
  if (dir === undefined) return 0;
  try {
    const text = readFileSync(join(dir, version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** v1Dirs makes one cgroup per controller the settings use, below undocker's own in each hierarchy. */
function v1Dirs(name: string, settings: CgroupSetting[], made: string[]): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const setting of settings) {
    if (dirs.has(setting.controller)) continue;
    const own = ownCgroup(setting.controller);
    const mount = join(ROOT, setting.controller);
    if (own === undefined || !existsSync(mount)) {
      refuse(setting, `the ${setting.controller} cgroup controller is not mounted on this host`);
    }
    const dir = fresh(join(mount, own, `undocker-${name}`));
    made.push(dir);
    // A v1 cpuset starts empty: it takes its parent's memory nodes (and CPUs, unless set).
    if (setting.controller === 'cpuset') {
      for (const file of ['cpuset.mems', 'cpuset.cpus']) {
        write(dir, file, readFileSync(join(dir, '..', file), 'utf8').trim(), setting);
      }
    }
    dirs.set(setting.controller, dir);
  }
  return dirs;
}

/** v2Dir makes one cgroup in the unified tree, beside undocker's own, with the controllers enabled. */
function v2Dir(name: string, settings: CgroupSetting[], made: string[]): Map<string, string> {
  const first = settings[0] as CgroupSetting;
  const own = ownCgroup('') ?? refuse(first, 'this process has no cgroup v2 path');
  // v2 puts no processes in a cgroup whose controllers are delegated: the new one is a sibling.
  const parent = join(ROOT, own, '..');
  const controllers = [...new Set(settings.map((s) => s.controller))];
  for (const setting of settings) {
    const enabled = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
    if (!enabled.includes(setting.controller))
      write(parent, 'cgroup.subtree_control', `+${setting.controller}`, setting);
  }
  const dir = fresh(join(parent, `undocker-${name}`));
  made.push(dir);
  return new Map(controllers.map((controller) => [controller, dir]));
}

/** makeRunCgroup makes and fills the cgroup for run `name`, or returns undefined when nothing is limited. */
export function makeRunCgroup(name: string, settings: CgroupSetting[], version: 1 | 2): RunCgroup | undefined {
  if (settings.length === 0) return undefined;
  const made: string[] = [];
  const remove = (): void => {
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        /* still busy or gone: the next prune of its parent takes it */
      }
    }
  };
  try {
    const dirs = version === 1 ? v1Dirs(name, settings, made) : v2Dir(name, settings, made);
    for (const setting of settings) write(dirs.get(setting.controller) as string, setting.file, setting.value, setting);
    return {
      procs: [...new Set(dirs.values())].map((dir) => join(dir, 'cgroup.procs')),
      oomKills: () => oomKillsIn(dirs.get('memory'), version),
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** JOIN_THEN_EXEC writes the shell's pid into each cgroup.procs given, then becomes the runtime. */
const JOIN_THEN_EXEC =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';

/** inCgroupsArgv is `argv` run by a shell that first enters the cgroups whose cgroup.procs files are `procs`. */
export function inCgroupsArgv(procs: readonly string[], argv: readonly string[]): string[] {
  return ['sh', '-c', JOIN_THEN_EXEC, 'sh', String(procs.length), ...procs, ...argv];
}

/** inCgroup returns `launch` wrapped to start inside `cgroup`. */
export function inCgroup(launch: Launch, cgroup: RunCgroup): Launch {
  const [program = 'sh', ...args] = inCgroupsArgv(cgroup.procs, [launch.program, ...launch.args]);
  return { ...launch, program, args };
}
