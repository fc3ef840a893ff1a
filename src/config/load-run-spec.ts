/**
 * The run spec of an image: the config, plus what only the image's files say (its passwd and
 * group, whether it has `getent`), asked of a RootfsProbe that the caller chose (the layers, or
 * an extracted rootfs), so this folder never reads an archive.
 */
import { toConfigView } from '../image/config-view.js';
import type { Image, RootfsProbe } from '../image/types.js';
import { toMachineName } from './machine-name.js';
import { type RunOverrides, type RunSpec, toRunSpec } from './run-spec.js';
import { parseGroup, parsePasswd, type UserDb } from './user-db.js';

/** USER_DB_FILES are the image files the run spec reads: a probe must be able to read them. */
export const USER_DB_FILES = ['etc/passwd', 'etc/group'];

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
  /** probe answers for the image's files (USER_DB_FILES and GETENT_PATHS) */
  probe: RootfsProbe;
}

/** userDbOf reads the image's passwd and group, as far as they exist, through `probe`. */
export function userDbOf(probe: RootfsProbe): UserDb {
  const db: UserDb = {};
  const passwd = probe.text('etc/passwd');
  const group = probe.text('etc/group');
  if (passwd !== undefined) db.passwd = parsePasswd(passwd);
  if (group !== undefined) db.group = parseGroup(group);
  return db;
}

/** loadRunSpec derives the run spec of `image` from its config and the files `probe` reads. */
export function loadRunSpec(image: Image, options: LoadOptions): ImageRunSpec {
  const view = toConfigView(image);
  const { probe } = options;
  const spec = toRunSpec(
    {
      view,
      where: options.where,
      userDb: userDbOf(probe),
      defaultHostname: options.name ?? toMachineName(view.names[0]),
      ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
    },
    options.warn,
  );
  return { spec, hasGetent: GETENT_PATHS.some((path) => probe.exists(path)) };
}
