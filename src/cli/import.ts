/**
 * `undocker import ROOTFS -t NAME:TAG [OPTIONS] -o IMAGE.tar`: a docker-loadable image (or an
 * oci-archive) from a root file system tar or directory, without Docker.
 */
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { importRootfs, type ImportFormat } from '../import/import-rootfs.js';
import { toCreated } from '../import/image-config.js';
import { parseTag } from '../import/image-tag.js';
import { UsageError } from '../errors.js';
import { hostPlatform } from '../image/platform.js';
import type { Image, Platform } from '../image/types.js';
import { writeFileAtomically } from '../output/atomic.js';
import { type ImageOptions, registryFlags, withImage } from './archive.js';
import { parseImageArgument } from './image-argument.js';
import { printLine, printWarning } from './output.js';
import { collect } from './repeatable.js';

interface ImportCliOptions extends ImageOptions {
  tag: string[];
  output?: string;
  format: string;
  base?: string;
  entrypoint?: string;
  cmd?: string;
  env: string[];
  workdir?: string;
  user?: string;
  expose: string[];
  volume: string[];
  label: string[];
  stopSignal?: string;
  arch?: string;
  os?: string;
  variant?: string;
  author?: string;
  created?: string;
  owner?: string;
}

function parseOwner(text: string | undefined): { uid: number; gid: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`--owner ${text}: use UID:GID, for example 0:0`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

/** platformOf is the image's platform: the options over the base's, or over this machine's. */
function platformOf(options: ImportCliOptions, base: Image | undefined): Platform | undefined {
  if (base !== undefined && options.arch === undefined && options.os === undefined && options.variant === undefined)
    return undefined;
  const fallback =
    base !== undefined
      ? { os: base.config.os ?? 'linux', architecture: base.config.architecture ?? 'amd64' }
      : hostPlatform();
  const variant = options.variant ?? (options.arch === undefined ? fallback.variant : undefined);
  return {
    os: options.os ?? fallback.os,
    architecture: options.arch ?? fallback.architecture,
    ...(variant ? { variant } : {}),
  };
}

async function runImport(
  input: string,
  options: ImportCliOptions,
  base: Image | undefined,
  signal: AbortSignal,
): Promise<void> {
  const output = options.output as string;
  const sourceDateEpoch = process.env.SOURCE_DATE_EPOCH || undefined;
  const created = toCreated(options.created, sourceDateEpoch);
  // SOURCE_DATE_EPOCH clamps mtimes even when --created sets another creation time.
  const clampMtime = sourceDateEpoch !== undefined ? toCreated(undefined, sourceDateEpoch).seconds : undefined;
  const platform = platformOf(options, base);
  const owner = parseOwner(options.owner);
  const write = (stream: Writable): Promise<{ configDigest: string }> =>
    importRootfs(input, stream, {
      tags: options.tag.map(parseTag),
      format: options.format as ImportFormat,
      signal,
      warn: (message) => printWarning(`warning: ${message}`),
      ...(base !== undefined ? { base } : {}),
      normalization: { ...(owner ? { owner } : {}), ...(clampMtime !== undefined ? { clampMtime } : {}) },
      changes: {
        env: options.env,
        expose: options.expose,
        volumes: options.volume,
        labels: options.label,
        created: created.iso,
        ...(platform ? { platform } : {}),
        ...Object.fromEntries(
          Object.entries({
            entrypoint: options.entrypoint,
            cmd: options.cmd,
            workingDir: options.workdir,
            user: options.user,
            stopSignal: options.stopSignal,
            author: options.author,
          }).filter(([, value]) => value !== undefined),
        ),
      },
    });
  if (output === '-') {
    await write(process.stdout);
    return;
  }
  let digest = '';
  await writeFileAtomically(output, async (stream) => {
    digest = (await write(stream)).configDigest;
  });
  printLine(digest);
}

/** registerImport adds the import command. */
export function registerImport(program: Command, signal: AbortSignal): void {
  registryFlags(program.command('import'))
    .description(
      'build a docker-loadable image (or an oci-archive) from a root file system tar or directory, without Docker',
    )
    .argument('<rootfs>', 'a tar (plain, gzip, xz or zstd), a directory, or - for standard input')
    .option('-t, --tag <name[:tag]>', 'name the image (repeatable)', collect, [])
    .option('-o, --output <file>', 'the archive to write, or - for standard output')
    .option('--format <docker|oci>', 'a docker save archive, or an oci-archive', 'docker')
    .option(
      '--base <image>',
      'put the rootfs on top of this image (any archive undocker reads, or ARCHIVE:NAME:TAG), keeping its config',
    )
    .option('--entrypoint <command>', 'ENTRYPOINT: a JSON array, or a string run by /bin/sh -c')
    .option('--cmd <command>', 'CMD: a JSON array, or a string run by /bin/sh -c')
    .option('-e, --env <name=value>', 'ENV (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'WORKDIR')
    .option('-u, --user <user[:group]>', 'USER')
    .option('--expose <port[/proto]>', 'EXPOSE (repeatable)', collect, [])
    .option('--volume <path>', 'VOLUME (repeatable)', collect, [])
    .option('--label <key=value>', 'LABEL (repeatable)', collect, [])
    .option('--stop-signal <signal>', 'STOPSIGNAL')
    .option('--arch <architecture>', "the image's architecture (default: the base's, else this machine's)")
    .option('--os <os>', "the image's operating system (default: the base's, else linux)")
    .option('--variant <variant>', 'the architecture variant (v7, v8)')
    .option('--author <name>', "the image's author")
    .option('--created <time>', 'the creation time, RFC 3339 or seconds (default: SOURCE_DATE_EPOCH, else now)')
    .option('--owner <uid:gid>', 'record every file as owned by UID:GID (0:0 keeps host ids out of the image)')
    .action(async (input: string, options: ImportCliOptions) => {
      if (options.output === undefined)
        throw new UsageError('import: name the archive to write with -o FILE.tar (or -o - for standard output)');
      if (options.format !== 'docker' && options.format !== 'oci')
        throw new UsageError(`import: --format ${options.format}: use docker or oci`);
      if (options.output === '-' && process.stdout.isTTY)
        throw new UsageError('import: refusing to write an image archive to a terminal; redirect it or name a file');
      if (input === '-' && options.base === '-')
        throw new UsageError('import: standard input cannot be both the rootfs and the base');
      if (options.base === undefined) return runImport(input, options, undefined, signal);
      const { input: baseInput, selector } = parseImageArgument(options.base, undefined);
      await withImage(baseInput, selector, options, signal, (base) => runImport(input, options, base, signal));
    });
}
