/**
 * applyLayer is the loop both directory outputs share: every entry of one layer applied to the
 * tree and written by its DirectorySink, reading no faster than the writer keeps up.
 */
import type { Layer } from '../image/types.js';
import { applyEntry, type LayerContext } from './apply-entry.js';
import type { DirectorySink } from './directory-sink.js';
import { layerEntries } from './layer-entries.js';
import type { Lister } from './lister.js';
import type { FlattenProgress } from './rootfs-tar.js';
import { StreamConflict } from './streamed-names.js';

/** applyLayer applies `layer` in `context`, whose sink writes a directory. */
export async function applyLayer(
  context: LayerContext & { sink: DirectorySink },
  layer: Layer,
  options: {
    signal?: AbortSignal | undefined;
    progress?: FlattenProgress | undefined;
    unverified?: boolean;
    lister?: Lister | undefined;
  },
): Promise<void> {
  // The directory writer copies file data as it comes: plain layers lend it, or read it straight into its batches
  // (LentFileBytes). `unverified` when the caller checks the digests itself.
  const read = { lentChunks: true, unverified: options.unverified ?? false };
  for await (const item of layerEntries(layer, options.signal, read)) {
    try {
      await applyEntry(context, item);
    } catch (error) {
      // An entry touched a listed file (lister.ts): the listed files get their nodes, and it is applied again.
      if (!(error instanceof StreamConflict) || options.lister?.active !== true) throw error;
      options.lister.keepAll();
      await applyEntry(context, item);
    }
    if (item.entry.type === 'file') options.progress?.bytes(item.entry.size);
    // Entries without data (folders, links) queue work too: wait while the writer is behind.
    const behind = context.sink.paced();
    if (behind !== undefined) await behind;
  }
  options.progress?.layerDone();
}
