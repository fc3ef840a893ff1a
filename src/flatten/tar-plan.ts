/**
 * TarPlan turns the final tree into the order a flattened tar is written in: directories,
 * symlinks and devices first (parents before children), then each layer's surviving file data
 * in layer order. Every inode is written once under its first name; its other names follow
 * it as hardlinks, so a link's target always comes before the link. The plan holds nodes, not
 * paths: paths are built when written, so a tree of many entries is not held twice.
 */
import type { FsNode, FsTree, Inode } from './tree.js';

/** TarPlan is what the writer needs from the tree. */
export interface TarPlan {
  /** metadataNodes holds every node with no data to copy, in tree order. */
  metadataNodes: FsNode[];
  /** carriers maps layer, then entry ordinal, to the names (first first) of the inode whose data that entry holds. */
  carriers: Map<number, Map<number, FsNode[]>>;
}

/** planTar walks the final tree once. */
export function planTar(tree: FsTree): TarPlan {
  const plan: TarPlan = { metadataNodes: [], carriers: new Map() };
  for (const node of tree.nodes()) {
    const inode: Inode = node.inode;
    if (inode.kind !== 'file') {
      plan.metadataNodes.push(node);
      continue;
    }
    let byOrdinal = plan.carriers.get(inode.layer);
    if (byOrdinal === undefined) plan.carriers.set(inode.layer, (byOrdinal = new Map()));
    const names = byOrdinal.get(inode.ordinal);
    if (names === undefined) byOrdinal.set(inode.ordinal, [node]);
    else names.push(node);
  }
  return plan;
}
