/**
 * TarPlan turns the final tree into the order a flattened tar is written in: directories,
 * symlinks and devices first (parents before children), then each layer's surviving file data
 * in layer order. Every inode is written once under its first name; its other names follow
 * it as hardlinks, so a link's target always comes before the link.
 */
import type { FsNode, FsTree, Inode } from './tree.js';

/** TarPlan is what the writer needs from the tree. */
export interface TarPlan {
  /** metadataNodes holds every node with no data to copy, in tree order. */
  metadataNodes: Array<{ node: FsNode; path: string }>;
  /** carriers maps layer, then entry ordinal, to the inode whose data that entry holds. */
  carriers: Map<number, Map<number, Inode>>;
  /** names lists each inode's paths, first name first. */
  names: Map<Inode, string[]>;
}

/** planTar walks the final tree once. */
export function planTar(tree: FsTree): TarPlan {
  const plan: TarPlan = { metadataNodes: [], carriers: new Map(), names: new Map() };
  for (const node of tree.nodes()) {
    const path = tree.pathOf(node);
    const inode = node.inode;
    const known = plan.names.get(inode);
    if (known !== undefined) known.push(path);
    else plan.names.set(inode, [path]);
    if (inode.kind !== 'file') {
      plan.metadataNodes.push({ node, path });
      continue;
    }
    if (known !== undefined) continue;
    let byOrdinal = plan.carriers.get(inode.layer);
    if (byOrdinal === undefined) plan.carriers.set(inode.layer, (byOrdinal = new Map()));
    byOrdinal.set(inode.ordinal, inode);
  }
  return plan;
}
