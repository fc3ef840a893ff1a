/**
 * `undocker rootfs ARCHIVE [IMAGE] OUTPUT` and `undocker rootfs ARCHIVE [IMAGE] -C DIR`:
 * the flattened root filesystem as a tar stream, a tar file, or a directory.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { unpackRootfs, streamRootfsTar, writeRootfsTar } from '../flatten/rootfs.js';
import { keepYoungGenerationSmall } from '../host/young-generation.js';
import { selectLayers } from '../image/select-layers.js';
import { compressionFromName } from '../stream/compression.js';
import { ARCHIVE_HELP, type ImageOptions, registryFlags, withImage } from './archive.js';
import { printWarning } from './output.js';
import { terminalProgress } from './progress.js';

interface RootfsOptions extends ImageOptions {
  directory?: string;
  layer?: string[];
  ignoreErrors?: boolean;
  force?: boolean;
}

type Target = { kind: 'directory'; path: string } | { kind: 'stdout' } | { kind: 'file'; path: string };

/** parseRootfsArguments sorts the positional arguments into an image selector and a target. */
export function parseRootfsArguments(
  rest: string[],
  directory: string | undefined,
): { selector?: string; target: Target } {
  if (directory !== undefined) {
    if (rest.length > 1) throw new UsageError('rootfs: give either an OUTPUT or -C DIR, not both');
    return { ...(rest[0] !== undefined ? { selector: rest[0] } : {}), target: { kind: 'directory', path: directory } };
  }
  if (rest.length === 0)
    throw new UsageError(
      'rootfs: name an OUTPUT (- for standard output, or FILE.tar, .tar.gz, .tar.xz, .tar.zst) or -C DIR',
    );
  if (rest.length > 2) throw new UsageError(`rootfs: too many arguments: ${rest.join(' ')}`);
  const output = rest[rest.length - 1] as string;
  const selector = rest.length === 2 ? rest[0] : undefined;
  if (output === '-') return { ...(selector ? { selector } : {}), target: { kind: 'stdout' } };
  if (compressionFromName(output) === undefined) {
    throw new UsageError(
      `rootfs: ${output}: OUTPUT must be -, or end in .tar, .tar.gz, .tar.xz or .tar.zst; use -C DIR for a directory`,
    );
  }
  return { ...(selector ? { selector } : {}), target: { kind: 'file', path: output } };
}

/** registerRootfs adds the rootfs command. */
export function registerRootfs(program: Command, signal: AbortSignal): void {
  registryFlags(program.command('rootfs'))
    .description('flatten an image into one root filesystem: a tar stream, a tar file, or a directory')
    .argument('<archive>', ARCHIVE_HELP)
    .argument(
      '[image-and-output...]',
      '[IMAGE[:TAG]] OUTPUT, where OUTPUT is -, FILE.tar, .tar.gz, .tar.xz or .tar.zst',
    )
    .option('-C, --directory <dir>', 'extract into this directory (created; must be empty unless --force)')
    .usage('[options] <archive> [image] (<output> | -C <dir>)')
    .option(
      '--layer <id>',
      'flatten only this layer (repeatable; an id, digest or unique prefix)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
    .option(
      '--ignore-errors',
      'turn what the filesystem refuses (devices, ownership, xattrs as non-root) into warnings',
    )
    .option('--force', 'replace a non-empty output directory')
    .option('-q, --quiet', 'no progress display')
    .action(async (input: string, rest: string[], options: RootfsOptions) => {
      const { selector, target } = parseRootfsArguments(rest, options.directory);
      if (target.kind === 'stdout' && process.stdout.isTTY) {
        throw new UsageError('rootfs: refusing to write a tar stream to a terminal; redirect it or name a file');
      }
      keepYoungGenerationSmall();
      await withImage(input, selector, options, signal, async (image) => {
        const layers = options.layer !== undefined ? selectLayers(image, options.layer) : image.layers;
        // No progress line when the tar goes to standard output: it would be the only thing on the terminal but the
        // pipe's reader.
        const progress = target.kind === 'stdout' ? undefined : terminalProgress(`flattening ${input}`, options.quiet);
        const flatten = { layers, signal, ...(progress ? { progress } : {}) };
        if (target.kind === 'directory') {
          await unpackRootfs(image, target.path, {
            ...flatten,
            force: options.force ?? false,
            ignoreErrors: options.ignoreErrors ?? false,
            warn: printWarning,
          });
        } else if (target.kind === 'stdout') {
          await streamRootfsTar(image, process.stdout, 'none', flatten);
        } else {
          await writeRootfsTar(image, target.path, compressionFromName(target.path) ?? 'none', flatten);
        }
      });
    });
}
