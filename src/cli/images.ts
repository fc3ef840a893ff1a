/**
 * `undocker images`, `rmi IMAGE...`, `rm NAME...` and `prune`: the run cache, listed and freed.
 * An image a container still uses (running, or kept with --keep) is never removed.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { keptContainers, removeContainer } from '../cache/container-dirs.js';
import { UndockerError } from '../errors.js';
import { findCachedImage, listCachedImages, pruneCache, removeCachedImage } from '../cache/image-cache.js';
import { shortId } from '../image/digest.js';
import { formatAge, formatBytes, formatTable, printJson, printLine } from './output.js';

/** registerImages adds the images, rmi and prune commands. */
export function registerImages(program: Command): void {
  program
    .command('images')
    .description('list the images undocker run has flattened into its cache')
    .option('--json', 'print JSON for scripts')
    .action((options: { json?: boolean }) => {
      const images = listCachedImages(cacheRoot());
      if (options.json) {
        printJson(images);
        return;
      }
      const now = Date.now();
      const rows = images.map((image) => [
        image.names.join(' ') || '<none>',
        shortId(image.id),
        formatBytes(image.bytes),
        formatAge(now - Date.parse(image.lastUsed)),
      ]);
      for (const line of formatTable([['IMAGE', 'DIGEST', 'SIZE', 'LAST USED'], ...rows])) printLine(line);
      const kept = keptContainers(cacheRoot());
      if (kept.length > 0)
        printLine(
          `kept containers (undocker rm NAME removes one): ` +
            `${kept.map((k) => `${k.name} (${shortId(k.image)})`).join(', ')}`,
        );
    });
}

/** registerRmi adds the rmi command. */
export function registerRmi(program: Command): void {
  program
    .command('rmi')
    .description('remove images from the run cache, by name or digest prefix')
    .argument('<image...>', 'NAME[:TAG], or a digest prefix as undocker images shows it')
    .action((selectors: string[]) => {
      const root = cacheRoot();
      // Find them all first, so a typo removes nothing.
      const records = selectors.map((selector) => findCachedImage(root, selector));
      for (const record of records) {
        removeCachedImage(root, record);
        printLine(`removed ${record.names[0] ?? shortId(record.id)} (${shortId(record.id)})`);
      }
    });
}

/** registerPrune adds the prune command. */
export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('remove every cached image no container uses, and what interrupted runs left')
    .action(() => {
      for (const removed of pruneCache(cacheRoot())) printLine(`removed ${removed}`);
    });
}

/** registerRm adds the rm command. */
export function registerRm(program: Command): void {
  program
    .command('rm')
    .description('remove containers kept with undocker run --keep, and their changes')
    .argument('<name...>', 'the --name they were run with')
    .action((names: string[]) => {
      const root = cacheRoot();
      for (const name of names) {
        if (!removeContainer(root, name)) throw new UndockerError('UNDOCKER_NOT_FOUND', `no container named ${name}`);
        printLine(`removed container ${name}`);
      }
    });
}
