/**
 * `undocker layers ARCHIVE [IMAGE]`: the layers of one image, bottom to top.
 */
import type { Command } from 'commander';
import { shortId } from '../image/digest.js';
import { measureLayer } from '../image/layer-size.js';
import { imageCommand, type ImageOptions, withImage } from './archive.js';
import { formatBytes, formatTable, printJson, printLine } from './output.js';

/** registerLayers adds the layers command. */
export function registerLayers(program: Command, signal: AbortSignal): void {
  imageCommand(program, 'layers', 'show the layers of an image, bottom to top').action(
    async (input: string, selector: string | undefined, options: ImageOptions & { json?: boolean }) => {
      await withImage(input, selector, options, signal, async (image) => {
        const rows = [];
        for (const layer of image.layers) {
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
          });
        }
        if (options.json) return printJson(rows);
        const table = [['#', 'ID', 'DIFF_ID', 'SIZE', 'UNCOMPRESSED', 'MEDIA TYPE', 'CREATED BY']];
        rows.forEach((row, i) =>
          table.push([
            String(i + 1),
            shortId(row.id),
            row.diffId ? shortId(row.diffId) : '-',
            formatBytes(row.size),
            formatBytes(row.uncompressedSize),
            row.mediaType,
            (row.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 80),
          ]),
        );
        for (const line of formatTable(table)) printLine(line);
      });
    },
  );
}
