/**
 * The config of an imported image, from options with Dockerfile meaning: CMD and ENTRYPOINT
 * in exec (JSON) or shell form, ENV, WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL. On a
 * base image the base's config is kept and the options change it, as the Dockerfile
 * instructions would. Pure: the caller supplies the time and the layers' digests.
 */
import { toStopSignal } from '../config/stop-signal.js';
import { UsageError } from '../errors.js';
import type { ContainerConfig, ImageConfigFile, Platform } from '../image/types.js';

/** ConfigChanges are the import options that shape the config. */
export interface ConfigChanges {
  entrypoint?: string;
  cmd?: string;
  env: string[];
  workingDir?: string;
  user?: string;
  expose: string[];
  volumes: string[];
  labels: string[];
  stopSignal?: string;
  /** platform overrides the base's (or, without a base, is the image's) */
  platform?: Platform;
  author?: string;
  /** created is the image's creation time, RFC 3339 */
  created: string;
}

/**
 * parseCommandForm reads --cmd or --entrypoint: a JSON array of strings (exec form), or text run by /bin/sh -c (shell
 * form).
 */
export function parseCommandForm(text: string, flag: string): string[] {
  if (!text.trimStart().startsWith('[')) return ['/bin/sh', '-c', text];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} ${text}: not a JSON array: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || !value.every((word): word is string => typeof word === 'string')) {
    throw new UsageError(`${flag} ${text}: a JSON form must be an array of strings`);
  }
  return value;
}

/** parseExpose reads --expose PORT[-END][/tcp|udp|sctp] into the config's key form. */
export function parseExpose(text: string): string {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(text);
  const start = Number(match?.[1]);
  const end = match?.[2] !== undefined ? Number(match[2]) : start;
  if (match === null || start < 1 || end > 65535 || end < start)
    throw new UsageError(`--expose ${text}: use PORT[/tcp|udp|sctp] or START-END[/PROTOCOL], ports 1 to 65535`);
  return `${match[2] !== undefined ? `${start}-${end}` : start}/${(match[3] ?? 'tcp').toLowerCase()}`;
}

function stopSignalOf(text: string): string {
  try {
    return toStopSignal(text, '--stop-signal');
  } catch {
    throw new UsageError(`--stop-signal ${text}: not a signal: use a name (SIGTERM, QUIT) or a number`);
  }
}

function keyValue(text: string, flag: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`${flag} ${text}: use NAME=VALUE`);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

function mergeEnv(base: string[], changes: string[]): string[] {
  const env = new Map(base.map((entry) => [entry.slice(0, Math.max(entry.indexOf('='), 0)) || entry, entry]));
  for (const entry of changes) env.set(keyValue(entry, '-e')[0], entry);
  return [...env.values()];
}

function commandsOf(changes: ConfigChanges, base: ContainerConfig): Pick<ContainerConfig, 'Entrypoint' | 'Cmd'> {
  const entrypoint =
    changes.entrypoint !== undefined ? parseCommandForm(changes.entrypoint, '--entrypoint') : (base.Entrypoint ?? null);
  // A Dockerfile's ENTRYPOINT resets the CMD it inherited.
  const cmd =
    changes.cmd !== undefined
      ? parseCommandForm(changes.cmd, '--cmd')
      : changes.entrypoint !== undefined
        ? null
        : (base.Cmd ?? null);
  return { Entrypoint: entrypoint, Cmd: cmd };
}

/** toImportConfig returns the config of the imported image whose layers have `diffIds`. */
export function toImportConfig(changes: ConfigChanges, diffIds: string[], base?: ImageConfigFile): ImageConfigFile {
  const inherited = base?.config ?? {};
  const config: ContainerConfig = { ...inherited, ...commandsOf(changes, inherited) };
  const env = mergeEnv(inherited.Env ?? [], changes.env);
  if (env.length > 0) config.Env = env;
  if (changes.workingDir !== undefined) {
    if (!changes.workingDir.startsWith('/'))
      throw new UsageError(`-w ${changes.workingDir}: the working directory must be an absolute path`);
    config.WorkingDir = changes.workingDir;
  }
  if (changes.user !== undefined) config.User = changes.user;
  if (changes.expose.length > 0)
    config.ExposedPorts = {
      ...inherited.ExposedPorts,
      ...Object.fromEntries(changes.expose.map((port) => [parseExpose(port), {}])),
    };
  for (const volume of changes.volumes)
    if (!volume.startsWith('/')) throw new UsageError(`--volume ${volume}: a volume must be an absolute path`);
  if (changes.volumes.length > 0)
    config.Volumes = { ...inherited.Volumes, ...Object.fromEntries(changes.volumes.map((path) => [path, {}])) };
  if (changes.labels.length > 0)
    config.Labels = {
      ...inherited.Labels,
      ...Object.fromEntries(changes.labels.map((label) => keyValue(label, '--label'))),
    };
  if (changes.stopSignal !== undefined) config.StopSignal = stopSignalOf(changes.stopSignal);
  const platform = changes.platform ?? {
    os: base?.os ?? 'linux',
    architecture: base?.architecture ?? 'amd64',
    ...(base?.variant ? { variant: base.variant } : {}),
  };
  const author = changes.author ?? base?.author;
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: changes.created,
    ...(author !== undefined ? { author } : {}),
    config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...(base?.history ?? []),
      { created: changes.created, created_by: 'undocker import', comment: 'imported from a root file system' },
    ],
  };
}

/**
 * toCreated picks the creation time: --created, else SOURCE_DATE_EPOCH, else now; it returns RFC 3339 and epoch
 * seconds.
 */
export function toCreated(
  created: string | undefined,
  sourceDateEpoch: string | undefined,
  now = new Date(),
): { iso: string; seconds: number } {
  let date = now;
  if (created !== undefined) {
    date = /^\d+$/.test(created) ? new Date(Number(created) * 1000) : new Date(created);
    if (Number.isNaN(date.getTime()))
      throw new UsageError(`--created ${created}: use an RFC 3339 time (2024-05-01T12:00:00Z) or seconds since 1970`);
  } else if (sourceDateEpoch !== undefined && sourceDateEpoch !== '') {
    if (!/^\d+$/.test(sourceDateEpoch))
      throw new UsageError(`SOURCE_DATE_EPOCH=${sourceDateEpoch}: must be seconds since 1970`);
    date = new Date(Number(sourceDateEpoch) * 1000);
  }
  return { iso: date.toISOString().replace(/\.000Z$/, 'Z'), seconds: Math.floor(date.getTime() / 1000) };
}
