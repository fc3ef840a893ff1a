/**
 * The run spec of an image in an archive: the config, plus what only the image's files say
 * (its passwd and group, whether it has `getent`). This reads the image; toRunSpec does not.
 */
import type { RootfsProbe } from '../flatten/rootfs-probe.js';
import { toConfigView } from '../image/config-view.js';
import type { Image } from '../image/types.js';
import { toMachineName } from './machine-name.js';
import { type RunOverrides, type RunSpec, toRunSpec } from './run-spec.js';
import { parseGroup, parsePasswd, type UserDb } from './user-db.js';

/** GETENT_PATHS are where systemd-nspawn's User= looks for the getent it runs in the container. */
export const GETENT_PATHS = ['usr/bin/getent', 'bin/getent', 'usr/sbin/getent', 'sbin/getent'];

/** ImageRunSpec is a run spec and the facts about the image's files that generators need. */
export interface ImageRunSpec {
  spec: RunSpec;
  /** hasGetent tells whether the image has a getent program. */
  hasGetent: boolean;
}

/** LoadOptions name the image in messages and carry overrides. */
export interface LoadOptions {
  where: string;
  overrides?: RunOverrides;
  /** name of the container, also its default hostname */
  name?: string;
  warn?: (message: string) => void;
  signal?: AbortSignal;
  /** probe answers for the image's files; by default the layers are read */
  probe?: RootfsProbe;
}

function userDbOf(probe: RootfsProbe): UserDb {
  const db: UserDb = {};
  const passwd = probe.text('etc/passwd');
  const group = probe.text('etc/group');
  if (passwd !== undefined) db.passwd = parsePasswd(passwd);
  if (group !== undefined) db.group = parseGroup(group);
  return db;
}

/** loadRunSpec reads what the run spec needs from `image` and derives it. */
export async function loadRunSpec(image: Image, options: LoadOptions): Promise<ImageRunSpec> {
  const view = toConfigView(image);
  // The layer reader is loaded only when no probe is given (a warm run reads its cached tree).
  const probe = options.probe ?? await (await import('../flatten/rootfs-probe.js')).probeRootfs(image, ['etc/passwd', 'etc/group'], { signal: options.signal });
  const spec = toRunSpec({
    view, where: options.where, userDb: userDbOf(probe),
    defaultHostname: options.name ?? toMachineName(view.names[0]),
    ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
  }, options.warn);
  return { spec, hasGetent: GETENT_PATHS.some((path) => probe.exists(path)) };
}
