/**
 * An LXC container made the way LXC users make one: `lxc-create -t local` from the generated
 * meta.tar.xz and rootfs.tar.xz, so `lxc-start -n NAME` and `lxc-execute -n NAME` run the
 * image. The network comes from LXC's default config unless the host's (or none) is asked for.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isErrno, UndockerError } from '../errors.js';
import { isGeneratedByUndocker } from '../generate/header.js';
import { type LxcTemplateFiles, writeLxcTemplate } from './lxc-template.js';
import type { Image } from '../image/types.js';

/** LXC_NETWORK is lxc.net.0.type for each --network. */
const LXC_NETWORK = { host: 'none', none: 'empty' } as const;

/** LxcInstall says where and how the container is made. */
export interface LxcInstall {
  lxcPath: string;
  network: 'host' | 'none' | 'veth';
  force: boolean;
  signal?: AbortSignal;
  warn?: (message: string) => void;
}

/** defaultLxcPath asks LXC where its containers live. */
export async function defaultLxcPath(): Promise<string> {
  const result = await execa('lxc-config', ['lxc.lxcpath'], { reject: false });
  return result.exitCode === 0 && String(result.stdout).trim() !== '' ? String(result.stdout).trim() : '/var/lib/lxc';
}

/** createConfig is lxc-create's -f file: LXC's defaults with the network as asked. */
async function createConfig(network: LxcInstall['network']): Promise<string | undefined> {
  if (network === 'veth') return undefined;
  const found = await execa('lxc-config', ['lxc.default_config'], { reject: false });
  const path = String(found.stdout).trim() || '/etc/lxc/default.conf';
  const defaults = await readFile(path, 'utf8').catch(() => '');
  const kept = defaults.split('\n').filter((line) => !/^\s*lxc\.net\./.test(line));
  return [...kept, `lxc.net.0.type = ${LXC_NETWORK[network]}`, ''].join('\n');
}

async function lxc(program: string, args: string[]): Promise<void> {
  const result = await execa(program, args, { reject: false, all: true });
  if (result.exitCode !== 0) {
    if (result.failed && result.exitCode === undefined)
      throw new UndockerError('UNDOCKER_MISSING_TOOL', `${program} not found: install the lxc package`, {
        cause: result,
      });
    throw new UndockerError('UNDOCKER_IO', `${program} failed: ${String(result.all).trim().split('\n').pop() ?? ''}`);
  }
}

/** installLxcContainer creates container `name` from `image` and the generated config. */
export async function installLxcContainer(
  image: Image,
  name: string,
  files: LxcTemplateFiles,
  install: LxcInstall,
): Promise<string> {
  const dir = join(install.lxcPath, name);
  const had = await stat(dir).then(
    () => true,
    (error: unknown) => (isErrno(error, 'ENOENT') ? false : Promise.reject(error)),
  );
  if (had && !install.force)
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `LXC container ${name} exists (${dir}): pass --force to replace it, or undocker uninstall ${name} first`,
    );
  const work = await mkdtemp(join(tmpdir(), 'undocker-lxc-'));
  try {
    await writeLxcTemplate(image, work, files, {
      ...(install.signal ? { signal: install.signal } : {}),
      ...(install.warn ? { warn: install.warn } : {}),
    });
    const config = await createConfig(install.network);
    const configArgs: string[] = [];
    if (config !== undefined) {
      await writeFile(join(work, 'create.conf'), config);
      configArgs.push('-f', join(work, 'create.conf'));
    }
    // The old container goes only once the new one's files are ready.
    if (had) await lxc('lxc-destroy', ['-P', install.lxcPath, '-n', name]);
    await lxc('lxc-create', [
      '-P',
      install.lxcPath,
      '-n',
      name,
      ...configArgs,
      '-t',
      'local',
      '--',
      '-m',
      join(work, 'meta.tar.xz'),
      '-f',
      join(work, 'rootfs.tar.xz'),
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return dir;
}

/** uninstallLxcContainer destroys container `name` if undocker made it; false when there is none. */
export async function uninstallLxcContainer(name: string, lxcPath: string): Promise<boolean> {
  let config: string;
  try {
    config = await readFile(join(lxcPath, name, 'config'), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
  if (!isGeneratedByUndocker(config))
    throw new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `LXC container ${name} (${join(lxcPath, name)}) was not made by undocker: leaving it alone`,
    );
  await lxc('lxc-destroy', ['-P', lxcPath, '-n', name]);
  return true;
}
