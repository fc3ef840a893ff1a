/**
 * `undocker images`, `rmi IMAGE...` and `prune`: the run cache, listed and freed. An image a
 * container uses (running or not: its changes are an overlay on the image) is never removed, nor
 * is a layer another image uses.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { type ImageUsage, imageUsage } from '../cache/disk-usage.js';
import { findCachedImage, listCachedImages, pruneCache, removeCachedImage } from '../cache/image-cache.js';
import { shortId } from '../image/digest.js';
import { formatAge, formatBytes, formatTable, printJson, printLine } from './output.js';

/** registerImages adds the images, rmi and prune commands. */
export function registerImages(program: Command): void {
  program
    .command('images')
    .description('list the images in the run cache: sizes, and the part they share with other images')
    .option('--json', 'print JSON for scripts')
    .action((options: { json?: boolean }) => {
      const root = cacheRoot();
      const images = listCachedImages(root);
      if (options.json) {
        printJson(images);
        return;
      }
      const now = Date.now();
      const usage = imageUsage(root, images);
      const rows = images.map((image) => {
        const { size, shared, unique } = usage.get(image.id) as ImageUsage;
        return [
          image.names.join(' ') || '<none>',
          shortId(image.id),
          formatBytes(size),
          formatBytes(shared),
          formatBytes(unique),
          image.layers === undefined ? 'flattened' : String(image.layers.length),
          formatAge(now - Date.parse(image.lastUsed)),
        ];
      });
      const head = ['IMAGE', 'DIGEST', 'SIZE', 'SHARED', 'UNIQUE', 'LAYERS', 'LAST USED'];
      for (const line of formatTable([head, ...rows])) printLine(line);
      // A flattened image shares nothing: say why it is one.
      for (const image of images)
        if (image.flattened !== undefined)
          printLine(`${image.names[0] ?? shortId(image.id)} is flattened: ${image.flattened}`);
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
    .description(
      'remove every cached image no container uses, every layer no image uses, and what interrupted runs left',
    )
    .action(() => {
      for (const removed of pruneCache(cacheRoot())) printLine(`removed ${removed}`);
    });
}
