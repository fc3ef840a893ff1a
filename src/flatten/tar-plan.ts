/**
 * TarPlan turns the final tree into the order a flattened tar is written in: directories,
 * symlinks and devices first (parents before children), then each layer's surviving file data
 * in layer order. Every inode is written once under its first name; its other names follow
 * it as hardlinks, so a link's target always comes before the link. The plan holds no list of
 * files: a layer's file inodes were numbered in its entry order, so the data pass walks those
 * numbers beside the entries. Only the names of hardlinked files are listed.
 */
import type { FsTree } from './tree.js';

/** TarPlan is what the writer needs from the tree. */
export interface TarPlan {
  /** metadataNodes holds every node with no data to copy, in tree order. */
  metadataNodes: number[];
  /** linkedNames holds, for each file inode given more names, its names still in the tree, in tree order. */
  linkedNames: Map<number, number[]>;
}

/** planTar walks the final tree once. */
export function planTar(tree: FsTree): TarPlan {
  const plan: TarPlan = { metadataNodes: [], linkedNames: new Map() };
  for (const node of tree.nodes()) {
    if (tree.kindOf(node) !== 'file') {
      plan.metadataNodes.push(node);
      continue;
    }
    const inode = tree.inodeOf(node);
    if (!tree.isLinked(inode)) continue;
    const names = plan.linkedNames.get(inode);
    if (names === undefined) plan.linkedNames.set(inode, [node]);
    else names.push(node);
  }
  return plan;
}

/** namesOf lists the names of file inode `inode` still in the tree, its first name first; none if it is gone. */
export function namesOf(tree: FsTree, plan: TarPlan, inode: number): readonly number[] {
  if (tree.isLinked(inode)) return plan.linkedNames.get(inode) ?? [];
  return tree.isAttached(inode) ? [inode] : [];
}

/**
 * nextCarrier is the first node from `from` (up to `end`) that is a file inode with a name still in the tree: the
 * next entry of the layer whose data is written. `end` when there is none.
 */
export function nextCarrier(tree: FsTree, plan: TarPlan, from: number, end: number): number {
  let node = from;
  while (node < end && !carries(tree, plan, node)) node++;
  return node;
}

function carries(tree: FsTree, plan: TarPlan, node: number): boolean {
  if (tree.kindOf(node) !== 'file' || tree.inodeOf(node) !== node) return false;
  return tree.isLinked(node) ? plan.linkedNames.has(node) : tree.isAttached(node);
}
