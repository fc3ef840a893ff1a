/**
 * The CLI's one way to get at an image: open the archive, pick the image, always close.
 */
import type { Command } from 'commander';
import { openImageArchive } from '../image/open-archive.js';
import { parsePlatform } from '../image/platform.js';
import { selectImage } from '../image/select.js';
import type { Image, ImageArchive } from '../image/types.js';

/** ImageOptions are the options every image-reading command takes. */
export interface ImageOptions {
  platform?: string;
}

/** withArchive opens an archive for `fn` and closes it afterwards. */
export async function withArchive<T>(input: string, signal: AbortSignal, fn: (archive: ImageArchive) => Promise<T>): Promise<T> {
  const archive = await openImageArchive(input, { signal });
  try {
    return await fn(archive);
  } finally {
    await archive.close();
  }
}

/** withImage opens an archive, selects one image, and hands it to `fn`. */
export async function withImage<T>(
  input: string, selector: string | undefined, options: ImageOptions, signal: AbortSignal,
  fn: (image: Image, archive: ImageArchive) => Promise<T>,
): Promise<T> {
  const platform = options.platform !== undefined ? parsePlatform(options.platform) : undefined;
  return withArchive(input, signal, (archive) => fn(selectImage(archive, selector, platform), archive));
}

/** ARCHIVE_HELP describes the archive argument every command takes. */
export const ARCHIVE_HELP = 'image archive, OCI layout directory, or - for standard input';

/** imageCommand adds a subcommand that reads one image: ARCHIVE [IMAGE], --platform and --json. */
export function imageCommand(program: Command, name: string, description: string): Command {
  return program.command(name)
    .description(description)
    .argument('<archive>', ARCHIVE_HELP)
    .argument('[image]', 'IMAGE[:TAG], or an image id or digest prefix')
    .option('--platform <os/arch[/variant]>', 'which platform of a multi-platform image (default: this machine\'s)')
    .option('--json', 'print JSON for scripts');
}
