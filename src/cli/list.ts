/**
 * `undocker list ARCHIVE`: every image of an archive, one a line, its tags grouped by repository.
 */
import type { Command } from 'commander';
import { shortId } from '../image/digest.js';
import { formatImageName } from '../image/names.js';
import { formatPlatform } from '../image/platform.js';
import type { Image } from '../image/types.js';
import { ARCHIVE_HELP, type ImageOptions, registryFlags, withArchive } from './archive.js';
import { printJson, printLine } from './output.js';

function describeLine(image: Image, showPlatform: boolean): string {
  const byRepository = new Map<string, string[]>();
  for (const name of image.names) {
    const repository = name.repository ?? shortId(image.id);
    byRepository.set(repository, [...(byRepository.get(repository) ?? []), name.tag]);
  }
  const groups =
    byRepository.size === 0
      ? [`${shortId(image.id)}: <none>`]
      : [...byRepository].map(([repository, tags]) => `${repository}: ${tags.join(' ')}`);
  const platform = showPlatform && image.platform ? ` [${formatPlatform(image.platform)}]` : '';
  return groups.join('; ') + platform;
}

/** registerList adds the list command. */
export function registerList(program: Command, signal: AbortSignal): void {
  registryFlags(program.command('list'))
    .description('list the images and tags an archive holds, one image a line')
    .argument('<archive>', ARCHIVE_HELP)
    .option('--json', 'print JSON for scripts')
    .action(async (input: string, options: { json?: boolean } & ImageOptions) => {
      await withArchive(
        input,
        signal,
        async (archive) => {
          if (options.json) {
            printJson(
              archive.images.map((image) => ({
                id: image.id,
                manifestDigest: image.manifestDigest ?? null,
                names: image.names.map(formatImageName),
                platform: image.platform ? formatPlatform(image.platform) : null,
                layers: image.layers.length,
                format: archive.format,
              })),
            );
            return;
          }
          const platforms = new Set(
            archive.images.map((image) => (image.platform ? formatPlatform(image.platform) : '')),
          );
          for (const image of archive.images) printLine(describeLine(image, platforms.size > 1));
        },
        options,
      );
    });
}
