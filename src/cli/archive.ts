/**
 * The CLI's one way to get at an image: open the archive, pick the image, always close.
 */
import type { Command } from 'commander';
import type { RegistryOptions } from '../registry/image-archive.js';
import { archiveIdentity, recallArchive, rememberArchive } from '../cache/archive-memo.js';
import { openImageArchive } from '../registry/open-input.js';
import { parseCreds } from '../registry/credentials.js';
import { isLoopback, parseReference, REGISTRY_PREFIX } from '../registry/reference.js';
import { printWarning } from './output.js';
import { terminalProgress } from './progress.js';
import { parsePlatform } from '../image/platform.js';
import { selectImage } from '../image/select.js';
import type { Image, ImageArchive } from '../image/types.js';

/** ImageOptions are the options every image-reading command takes. */
export interface ImageOptions {
  platform?: string;
  creds?: string;
  authfile?: string;
  insecure?: boolean;
  quiet?: boolean;
}

/** warnPlainHttp says so when plain HTTP is asked for a registry that is not this machine. */
export function warnPlainHttp(registry: string): void {
  if (!isLoopback(registry))
    printWarning(
      `warning: ${registry}: speaking plain HTTP, as asked; credentials and images cross the network unencrypted`,
    );
}

/** registryOptionsOf turns the registry flags into what a docker://REF source needs. */
export function registryOptionsOf(options: ImageOptions, input: string): RegistryOptions {
  if (options.insecure) warnPlainHttp(parseReference(input.slice(REGISTRY_PREFIX.length)).registry);
  const progress = terminalProgress(`pulling ${input.replace(/^docker:\/\//, '')}`, options.quiet);
  return {
    ...(options.creds !== undefined ? { credentials: parseCreds(options.creds) } : {}),
    ...(options.authfile !== undefined ? { authFile: options.authfile } : {}),
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.platform !== undefined ? { platform: parsePlatform(options.platform) } : {}),
    ...(progress ? { progress } : {}),
  };
}

/** registryFlags adds the options that reach a registry, for docker://REF inputs. */
export function registryFlags(command: Command): Command {
  return command
    .option('--creds <user:password>', 'credentials for a docker:// registry (default: from ~/.docker/config.json)')
    .option('--authfile <file>', 'read registry credentials from this file instead of ~/.docker/config.json')
    .option('--insecure', 'speak plain HTTP to the registry (meant for one on loopback)');
}

/**
 * openRemembered opens the archive file `input` as the run cache at `root` remembers it, or
 * reads it and remembers it there (cache/archive-memo.ts).
 */
async function openRemembered(input: string, signal: AbortSignal, root: string): Promise<ImageArchive> {
  const open = (): Promise<ImageArchive> => openImageArchive(input, { signal });
  const recalled = recallArchive(root, input, open);
  if (recalled !== undefined) return recalled;
  const before = archiveIdentity(input);
  const archive = await open();
  if (before !== undefined) rememberArchive(root, input, archive, before);
  return archive;
}

/**
 * withArchive opens an archive for `fn` and closes it afterwards. With `remember`, the run
 * cache, an archive file is read through its memo there.
 */
export async function withArchive<T>(
  input: string,
  signal: AbortSignal,
  fn: (archive: ImageArchive) => Promise<T>,
  options: ImageOptions = {},
  remember?: string,
): Promise<T> {
  const archive =
    remember !== undefined && input !== '-' && !input.startsWith(REGISTRY_PREFIX)
      ? await openRemembered(input, signal, remember)
      : await openImageArchive(input, {
          signal,
          ...(input.startsWith(REGISTRY_PREFIX) ? { registry: registryOptionsOf(options, input) } : {}),
        });
  try {
    return await fn(archive);
  } finally {
    await archive.close();
  }
}

/** withImage opens an archive, selects one image, and hands it to `fn`; `remember` as for withArchive. */
export async function withImage<T>(
  input: string,
  selector: string | undefined,
  options: ImageOptions,
  signal: AbortSignal,
  fn: (image: Image, archive: ImageArchive) => Promise<T>,
  remember?: string,
): Promise<T> {
  const platform = options.platform !== undefined ? parsePlatform(options.platform) : undefined;
  return withArchive(
    input,
    signal,
    (archive) => fn(selectImage(archive, selector, platform), archive),
    options,
    remember,
  );
}

/** ARCHIVE_HELP describes the archive argument every command takes. */
export const ARCHIVE_HELP = 'image archive, OCI layout directory, docker://REF, or - for standard input';

/** imageCommand adds a subcommand that reads one image: ARCHIVE [IMAGE], --platform and --json. */
export function imageCommand(program: Command, name: string, description: string): Command {
  return registryFlags(
    program
      .command(name)
      .description(description)
      .argument('<archive>', ARCHIVE_HELP)
      .argument('[image]', 'IMAGE[:TAG], or an image id or digest prefix')
      .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
      .option('--json', 'print JSON for scripts'),
  );
}
