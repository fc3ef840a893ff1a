/**
 * The operations the directory writer thread performs, in the order the layers produce them,
 * encoded one after another into the batch's buffer: an opcode byte, then the fields (numbers
 * as f64, paths and names as u32-length byte strings), file data inline. Structured-cloning an
 * object per operation cost both threads more than the system calls it asked for. Paths are
 * full byte paths, the target root included, so the writer hands them to the kernel as they are.
 */

/** OP numbers the operations; `layer` names the layer the following operations come from, for messages. */
export const OP = {
  layer: 1, mkdir: 2, updateDir: 3, remove: 4, open: 5, data: 6, close: 7, symlink: 8, link: 9, special: 10, finishDir: 11, hole: 12,
} as const;

/** OpMeta is the metadata an operation applies. */
export interface OpMeta {
  uid: number;
  gid: number;
  mode: number;
  time: number;
  xattrs: ReadonlyMap<string, Uint8Array>;
}

/** SpecialKind is a node `special` makes. */
export type SpecialKind = 'char' | 'block' | 'fifo';
const SPECIAL_KINDS: readonly SpecialKind[] = ['char', 'block', 'fifo'];

/** DATA_HEADER is the size of a data operation before its bytes. */
const DATA_HEADER = 1 + 4;
const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

function metaSize(meta: OpMeta): number {
  let size = 4 * 8 + 4;
  for (const [name, value] of meta.xattrs) size += 4 + Buffer.byteLength(name) + 4 + value.length;
  return size;
}

/**
 * OpEncoder writes operations into a buffer. When one does not fit, `send` gets the full buffer
 * and the length of what it holds, and returns the next buffer, at least `needed` bytes long.
 */
export class OpEncoder {
  private buffer: Buffer = Buffer.alloc(0);
  /** used is how many bytes of the buffer hold whole operations; `count` how many operations. */
  private used = 0;
  count = 0;

  constructor(private readonly root: Buffer, private readonly send: (buffer: Buffer, length: number, needed: number) => Buffer) {}

  /** flush sends what the buffer holds, if anything. */
  flush(): void {
    if (this.used > 0) this.next(0);
  }

  private next(needed: number): void {
    const [full, length] = [this.buffer, this.used];
    this.used = this.count = 0;
    this.buffer = this.send(full, length, needed);
  }

  private reserve(size: number): void {
    if (this.used + size > this.buffer.length) this.next(size);
    this.count++;
  }

  private u8(value: number): void {
    this.buffer[this.used++] = value;
  }

  private f64(value: number): void {
    this.used = this.buffer.writeDoubleLE(value, this.used);
  }

  private u32(value: number): void {
    this.used = this.buffer.writeUInt32LE(value, this.used);
  }

  private bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.buffer.set(value, this.used);
    this.used += value.length;
  }

  /** path writes the root and a byte-string path below it. */
  private path(relative: string): void {
    this.u32(this.root.length + relative.length);
    this.used += this.root.copy(this.buffer, this.used);
    this.used += this.buffer.write(relative, this.used, 'latin1');
  }

  private pathSize(relative: string): number {
    return 4 + this.root.length + relative.length;
  }

  private text(value: string): void {
    const length = this.buffer.write(value, this.used + 4, 'utf8');
    this.u32(length);
    this.used += length;
  }

  private meta(meta: OpMeta): void {
    this.f64(meta.uid);
    this.f64(meta.gid);
    this.f64(meta.time);
    this.f64(meta.mode);
    this.xattrs(meta.xattrs);
  }

  private xattrs(xattrs: ReadonlyMap<string, Uint8Array>): void {
    this.u32(xattrs.size);
    for (const [name, value] of xattrs) {
      this.text(name);
      this.bytes(value);
    }
  }

  layer(where: string): void {
    this.reserve(1 + 4 + Buffer.byteLength(where));
    this.u8(OP.layer);
    this.text(where);
  }

  mkdir(path: string, meta: OpMeta): void {
    this.reserve(1 + this.pathSize(path) + metaSize(meta));
    this.u8(OP.mkdir);
    this.path(path);
    this.meta(meta);
  }

  /** updateDir gives an existing directory `meta`'s owner and adds `newXattrs` (mode and times wait for finishDir). */
  updateDir(path: string, meta: OpMeta, newXattrs: ReadonlyMap<string, Uint8Array>): void {
    const added = { ...meta, xattrs: newXattrs };
    this.reserve(1 + this.pathSize(path) + metaSize(added));
    this.u8(OP.updateDir);
    this.path(path);
    this.meta(added);
  }

  remove(path: string, directory: boolean): void {
    this.reserve(1 + this.pathSize(path) + 1);
    this.u8(OP.remove);
    this.path(path);
    this.u8(directory ? 1 : 0);
  }

  open(path: string, mode: number): void {
    this.reserve(1 + this.pathSize(path) + 8);
    this.u8(OP.open);
    this.path(path);
    this.f64(mode);
  }

  /** data writes bytes of the open file, split across buffers where they do not fit. */
  data(chunk: Uint8Array): void {
    for (let taken = 0; taken < chunk.length;) {
      const room = this.dataRoom();
      const length = Math.min(chunk.length - taken, room.length);
      room.set(chunk.subarray(taken, taken + length));
      this.dataFilled(length);
      taken += length;
    }
  }

  /** dataRoom returns the buffer's room for the open file's next bytes, at least one byte: fill it, then call dataFilled. */
  dataRoom(): Buffer {
    if (this.buffer.length - this.used <= DATA_HEADER) this.next(DATA_HEADER + 1);
    return this.buffer.subarray(this.used + DATA_HEADER);
  }

  /** dataFilled records that the first `length` bytes of the last dataRoom hold data. */
  dataFilled(length: number): void {
    this.count++;
    this.u8(OP.data);
    this.u32(length);
    this.used += length;
  }

  /** hole leaves `length` bytes of the open file unwritten: a hole of a sparse file. */
  hole(length: number): void {
    this.reserve(1 + 8);
    this.u8(OP.hole);
    this.f64(length);
  }

  close(meta: OpMeta): void {
    this.reserve(1 + metaSize(meta));
    this.u8(OP.close);
    this.meta(meta);
  }

  symlink(path: string, target: string, meta: OpMeta): void {
    this.reserve(1 + this.pathSize(path) + 4 + target.length + metaSize(meta));
    this.u8(OP.symlink);
    this.path(path);
    this.u32(target.length);
    this.used += this.buffer.write(target, this.used, 'latin1');
    this.meta(meta);
  }

  /** link names `target`'s inode `path` too; `chmod` unless it is a symlink's. */
  link(target: string, path: string, meta: OpMeta, chmod: boolean): void {
    this.reserve(1 + this.pathSize(target) + this.pathSize(path) + metaSize(meta) + 1);
    this.u8(OP.link);
    this.path(target);
    this.path(path);
    this.meta(meta);
    this.u8(chmod ? 1 : 0);
  }

  special(path: string, kind: SpecialKind, major: number, minor: number, meta: OpMeta): void {
    this.reserve(1 + this.pathSize(path) + 1 + 2 * 8 + metaSize(meta));
    this.u8(OP.special);
    this.path(path);
    this.u8(SPECIAL_KINDS.indexOf(kind));
    this.f64(major);
    this.f64(minor);
    this.meta(meta);
  }

  /** finishDir sets a directory's final mode and times, and the root's owner; `path` '' is the root. */
  finishDir(path: string, meta: OpMeta): void {
    const bare = { ...meta, xattrs: NO_XATTRS };
    this.reserve(1 + this.pathSize(path) + metaSize(bare));
    this.u8(OP.finishDir);
    this.path(path);
    this.meta(bare);
  }
}

/** OpDecoder reads the operations of one batch, field by field, in the order they were written. */
export class OpDecoder {
  private position = 0;
  /** lastPath is the path read last, to name the entry an operation failed on. */
  lastPath: Buffer | undefined;

  constructor(private readonly buffer: Buffer, private readonly length: number) {}

  get done(): boolean {
    return this.position >= this.length;
  }

  u8(): number {
    return this.buffer[this.position++] as number;
  }

  u32(): number {
    const value = this.buffer.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  f64(): number {
    const value = this.buffer.readDoubleLE(this.position);
    this.position += 8;
    return value;
  }

  /** bytes returns a view into the batch, valid while the batch is being applied. */
  bytes(): Buffer {
    const length = this.u32();
    const view = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  /** path reads a path (as bytes) and remembers it as the one being worked on. */
  path(): Buffer {
    this.lastPath = this.bytes();
    return this.lastPath;
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  meta(): OpMeta {
    const uid = this.f64();
    const gid = this.f64();
    const time = this.f64();
    const mode = this.f64();
    const count = this.u32();
    if (count === 0) return { uid, gid, time, mode, xattrs: NO_XATTRS };
    const xattrs = new Map<string, Uint8Array>();
    for (let i = 0; i < count; i++) xattrs.set(this.text(), this.bytes());
    return { uid, gid, time, mode, xattrs };
  }

  specialKind(): SpecialKind {
    return SPECIAL_KINDS[this.u8()] as SpecialKind;
  }
}

/** Batch is what one message to the writer carries; `data` goes back with the reply, for reuse. */
export interface Batch {
  data: ArrayBuffer;
  length: number;
}

/** WriterReply is what the writer sends back. */
export type WriterReply =
  | { kind: 'done'; data: ArrayBuffer }
  | { kind: 'warn'; message: string }
  | { kind: 'error'; code: string | undefined; message: string };
