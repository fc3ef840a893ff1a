/**
 * The operations the directory writer thread performs, in the order the layers produce them.
 * Paths are byte strings relative to the target root; file data travels in the batch's buffer.
 */

/** OpMeta is the metadata an operation applies. */
export interface OpMeta {
  uid: number;
  gid: number;
  mode: number;
  time: number;
  xattrs: Array<[string, Uint8Array]>;
}

/** WriteOp is one change to make on disk; `where` names the layer entry for messages. */
export type WriteOp =
  | { op: 'mkdir'; path: string; meta: OpMeta; where: string }
  | { op: 'update-dir'; path: string; meta: OpMeta; newXattrs: Array<[string, Uint8Array]>; where: string }
  | { op: 'remove'; path: string; directory: boolean }
  | { op: 'open'; path: string; mode: number; where: string }
  | { op: 'data'; offset: number; length: number }
  | { op: 'close'; meta: OpMeta; where: string }
  | { op: 'symlink'; path: string; target: string; meta: OpMeta; where: string }
  | { op: 'link'; target: string; path: string; meta: OpMeta; chmod: boolean; where: string }
  | { op: 'special'; path: string; kind: 'char' | 'block' | 'fifo'; major: number; minor: number; meta: OpMeta; where: string }
  | { op: 'finish-dirs'; dirs: Array<{ path: string; meta: OpMeta }>; where: string };

/** Batch is what one message to the writer carries; `data` goes back with the reply, for reuse. */
export interface Batch {
  ops: WriteOp[];
  data: ArrayBuffer;
}

/** WriterReply is what the writer sends back. */
export type WriterReply =
  | { kind: 'done'; data: ArrayBuffer }
  | { kind: 'warn'; message: string }
  | { kind: 'error'; code: string | undefined; message: string };
