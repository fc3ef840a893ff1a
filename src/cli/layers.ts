/**
 * `undocker layers ARCHIVE [IMAGE]`: the layers of one image, bottom to top, with each one's
 * entry count and the bytes it adds that the final rootfs no longer shows (wasted space).
 */
import type { Command } from 'commander';
import { shortId } from '../image/digest.js';
import { layerUsage } from '../explore/layer-usage.js';
import { measureLayer } from '../image/layer-size.js';
import { imageCommand, type ImageOptions, withImage } from './archive.js';
import { formatBytes, formatTable, printJson, printLine } from './output.js';

/** registerLayers adds the layers command. */
export function registerLayers(program: Command, signal: AbortSignal): void {
  imageCommand(program, 'layers', 'show the layers of an image, bottom to top').action(
    async (input: string, selector: string | undefined, options: ImageOptions & { json?: boolean }) => {
      await withImage(input, selector, options, signal, async (image) => {
        const rows = [];
        const usage = await layerUsage(image.layers, signal);
        for (const [index, layer] of image.layers.entries()) {
          const { compression, uncompressedSize } = await measureLayer(layer);
          rows.push({
            id: layer.id,
            digest: layer.digest ?? null,
            diffId: layer.diffId ?? null,
            size: layer.size,
            uncompressedSize,
            compression,
            mediaType: layer.mediaType,
            createdBy: layer.createdBy ?? null,
            entries: usage[index]?.entries ?? 0,
            wastedBytes: usage[index]?.wastedBytes ?? 0,
          });
        }
        const wasted = rows.reduce((sum, row) => sum + row.wastedBytes, 0);
        const total = rows.reduce((sum, row) => sum + row.uncompressedSize, 0);
        if (options.json) return printJson(rows);
        const table = [['#', 'ID', 'DIFF_ID', 'SIZE', 'UNCOMPRESSED', 'ENTRIES', 'WASTED', 'MEDIA TYPE', 'CREATED BY']];
        rows.forEach((row, i) =>
          table.push([
            String(i + 1),
            shortId(row.id),
            row.diffId ? shortId(row.diffId) : '-',
            formatBytes(row.size),
            formatBytes(row.uncompressedSize),
            String(row.entries),
            formatBytes(row.wastedBytes),
            row.mediaType,
            (row.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 80),
          ]),
        );
        for (const line of formatTable(table)) printLine(line);
        const share =
          total > 0 ? ` (${((100 * wasted) / total).toFixed(1)}% of ${formatBytes(total)} uncompressed)` : '';
        printLine(`wasted: ${formatBytes(wasted)}${share} in files a later layer deleted or replaced`);
      });
    },
  );
}
