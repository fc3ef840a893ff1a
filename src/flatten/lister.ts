/**
 * Listing files instead of keeping nodes for them (streamed-files.ts), layer by layer, and giving
 * them their nodes when a later entry touches one (the same name again, a path or hardlink through
 * it, its folder replaced or pruned): each listed file is read again from its header, in its own
 * layer's order, and the entry applied again; the layers after it are listed afresh. A layer on a
 * large base that touches the base so costs reading the base's headers a second time. Only a layer
 * that can be read again (a plain one in a file, or a spool) is listed.
 */
import type { Layer, LayerFile } from '../image/types.js';
import { LentFileRanges } from '../stream/lent-file-ranges.js';
import { EntryReader } from '../tar/entry-at.js';
import { BLOCK } from '../tar/header.js';
import { BadArchiveError } from '../errors.js';
import { isListedName, lastName, listerOf, StreamedFiles } from './streamed-files.js';
import { StreamConflict, StreamedNames } from './streamed-names.js';
import type { FsTree } from './tree.js';

/** NodeRange is the node numbers from `from` up to `end`. */
export type NodeRange = [from: number, end: number];

/**
 * keepNodes gives layer `layer`'s listed files their nodes, in their order, each read again from
 * `file`. None's folder was taken out or its name taken since, as that would have thrown. Without
 * a file (a spool that could not be written) it throws StreamConflict, for the caller to start
 * again listing nothing.
 */
function keepNodes(
  tree: FsTree,
  files: StreamedFiles,
  names: StreamedNames,
  file: LayerFile | undefined,
  layer: number,
  where: string,
): void {
  if (files.count === 0) return;
  if (file === undefined) throw new StreamConflict();
  const ranges = new LentFileRanges(file.handle.fd, file.start, file.size);
  const reader = new EntryReader((offset, length) => ranges.lend(offset, length), where);
  for (let index = 0; index < files.count; index++) {
    const { entry, data } = reader.at(files.headerOf(index));
    const folder = files.folderOf(index);
    const name = lastName(entry.path);
    // The bytes are the ones listed unless the file changed in place: then they name nothing listed (or `..`).
    if (entry.type !== 'file' || !isListedName(name) || !names.has(folder, name))
      throw new BadArchiveError(`${where}: the entry at byte ${files.headerOf(index)} changed between two reads`);
    tree.create(folder, name, layer, 'file', entry, data / BLOCK);
  }
}

/**
 * Lister lists the files of `layers` into `tree`; `fileOf` gives the file layer `index` is read
 * again from; `withMeta` keeps each file's metadata number, for the tar output.
 */
export class Lister {
  /** listed holds, by layer, the files still listed without a node. */
  readonly listed = new Map<number, StreamedFiles>();
  /**
   * kept holds, by layer, the nodes its listed files got when one was touched: made among a later
   * layer's nodes, and before (in the layer's order) the files it made after that.
   */
  readonly kept = new Map<number, NodeRange>();
  /** The layers listed since the last touch, and their files' fingerprints. */
  private listing: { names: StreamedNames; layers: number[] } | undefined;

  constructor(
    private readonly tree: FsTree,
    private readonly layers: Layer[],
    private readonly fileOf: (index: number) => LayerFile | undefined,
    private readonly withMeta: boolean,
  ) {}

  /** listing tells whether some files have no node, so that a StreamConflict is for keepAll to answer. */
  get active(): boolean {
    return this.listing !== undefined;
  }

  /** holdsListed tells whether some files are listed without a node. */
  get holdsListed(): boolean {
    return this.listing?.layers.some((index) => (this.listed.get(index)?.count ?? 0) > 0) ?? false;
  }

  /** begin starts layer `index`: its files are listed if `listable`; if not, the files listed below get nodes. */
  begin(index: number, listable: boolean): void {
    if (!listable || (this.layers[index] as Layer).pathPrefix !== undefined) {
      // A layer with a path prefix (an ACI's) is not listed: its entries' names are not its headers'.
      this.keepAll();
      return;
    }
    this.listing ??= { names: new StreamedNames(), layers: [] };
    this.listing.names.nextLayer();
    this.listing.layers.push(index);
    const files = new StreamedFiles(this.withMeta);
    this.listed.set(index, files);
    this.tree.streamed = this.listing.names;
    this.tree.lister = listerOf(files, this.tree);
  }

  /** keepAll gives every listed file its node: the tree holds every name again, up to the next layer begun. */
  keepAll(): void {
    this.tree.streamed = undefined;
    this.tree.lister = undefined;
    for (const index of this.listing?.layers ?? []) {
      const from = this.tree.count;
      const layer = this.layers[index] as Layer;
      const { names } = this.listing as { names: StreamedNames };
      keepNodes(this.tree, this.listed.get(index) as StreamedFiles, names, this.fileOf(index), index, layer.where);
      this.kept.set(index, [from, this.tree.count]);
      this.listed.delete(index);
    }
    this.listing = undefined;
  }

  /** end stops listing: the files still listed stay so. */
  end(): void {
    this.tree.streamed = undefined;
    this.tree.lister = undefined;
  }

  /** nodeRanges is each layer's nodes in its entry order: what it kept, then its own range less every kept one. */
  nodeRanges(starts: number[]): NodeRange[][] {
    const holes = [...this.kept.values()].sort((a, b) => a[0] - b[0]);
    return starts.slice(0, -1).map((from, index) => {
      const ranges: NodeRange[] = [];
      const own = this.kept.get(index);
      if (own !== undefined) ranges.push(own);
      let at = from;
      const end = starts[index + 1] as number;
      for (const [holeFrom, holeEnd] of holes) {
        if (holeEnd <= at || holeFrom >= end) continue;
        if (holeFrom > at) ranges.push([at, holeFrom]);
        at = holeEnd;
      }
      if (at < end) ranges.push([at, end]);
      return ranges;
    });
  }
}
