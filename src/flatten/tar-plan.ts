/**
 * TarPlan turns the final tree into the order a flattened tar is written in: directories,
 * symlinks and devices first (parents before children), then each layer's surviving file data
 * in layer order. Every inode is written once under its first name; its other names follow
 * it as hardlinks, so a link's target always comes before the link. The plan holds nodes, not
 * paths: paths are built when written, so a tree of many entries is not held twice. Nor does it
 * hold a map or an array per file: one array per layer, in entry order, costs 8 bytes a name.
 */
import type { FsNode, FsTree } from './tree.js';

/** TarPlan is what the writer needs from the tree. */
export interface TarPlan {
  /** metadataNodes holds every node with no data to copy, in tree order. */
  metadataNodes: FsNode[];
  /**
   * carriers maps a layer to the names of the file inodes whose data its entries hold, by entry
   * ordinal; the names of one inode are together, its first name (in tree order) first.
   */
  carriers: Map<number, FsNode[]>;
}

/** planTar walks the final tree once. */
export function planTar(tree: FsTree): TarPlan {
  const plan: TarPlan = { metadataNodes: [], carriers: new Map() };
  for (const node of tree.nodes()) {
    const { inode } = node;
    if (inode.kind !== 'file') {
      plan.metadataNodes.push(node);
      continue;
    }
    let names = plan.carriers.get(inode.layer);
    if (names === undefined) plan.carriers.set(inode.layer, (names = []));
    names.push(node);
  }
  // The sort is stable: an inode's names keep their tree order.
  for (const names of plan.carriers.values()) names.sort((a, b) => a.inode.ordinal - b.inode.ordinal);
  return plan;
}

/** namesAt takes the names whose data is entry `ordinal`, from `carriers[from]` on; none if that is not the entry. */
export function namesAt(carriers: readonly FsNode[], from: number, ordinal: number): FsNode[] {
  let end = from;
  while (end < carriers.length && carriers[end]!.inode.ordinal === ordinal) end++;
  return carriers.slice(from, end);
}
