/**
 * TreeSink receives each change the layer engine makes to the tree, in order, so a directory
 * writer can mirror it on disk while a planner only needs the tree itself.
 */
import type { TarEntry } from '../tar/entry.js';
import type { TarItem } from '../tar/reader.js';

/**
 * FileData is a file entry's data: its body, `fill` for a consumer that gives memory to read it into, or a sparse
 * file's pieces; and where its headers start, for a consumer that reads it again later.
 */
export type FileData = Pick<TarItem, 'body' | 'fill' | 'sparse' | 'header'>;

/** TreeSink mirrors tree changes, each node a number of the tree; every path is real (no symlink on the way). */
export interface TreeSink {
  /** remove deletes a node and everything below it; called while the node is still attached. */
  remove(node: number): void;
  /** makeDir creates a new directory; `implicit` when a child needed a parent the layer lacks. */
  makeDir(node: number): void;
  /** updateDir applies a layer's new metadata to an existing directory. */
  updateDir(node: number, newXattrs: Map<string, Buffer>): void;
  writeFile(node: number, data: FileData): Promise<void>;
  /** writeStreamed writes a file the tree keeps no node for (streamed-names.ts): `name` in folder `parent`. */
  writeStreamed(parent: number, name: string, entry: TarEntry, data: FileData): Promise<void>;
  symlink(node: number): void;
  /** link gives `target`'s inode the new name `node`, then applies the (shared) metadata. */
  link(target: number, node: number): void;
  special(node: number): void;
}

/** PLANNING_SINK changes nothing outside the tree: file data is skipped by the reader. */
export const PLANNING_SINK: TreeSink = {
  remove() {},
  makeDir() {},
  updateDir() {},
  async writeFile() {},
  async writeStreamed() {},
  symlink() {},
  link() {},
  special() {},
};

/** FileLister lists a file the tree gets no node for (lister.ts); it throws StreamConflict for one it cannot list. */
export type FileLister = (parent: number, name: string, entry: TarEntry, data: FileData) => void;
