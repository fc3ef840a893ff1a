/**
 * The operations the directory writer thread performs, in the order the layers produce them,
 * encoded one after another into the batch's buffer. Structured-cloning an object per operation
 * cost both threads more than the system calls it asked for, so they travel as bytes: an opcode,
 * then the operation's fields. `OPS` is the one description of every operation's fields, in
 * wire order; the encoder and the decoder both walk it, so the two sides cannot disagree. Paths
 * are full byte paths, the target root included, so the writer hands them to the kernel as they are.
 */

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

/**
 * FieldType is how one field travels: `flag` one byte; `number` an f64; `text` u32-length UTF-8;
 * `bytes` u32-length bytes; `name` a u32-length byte string (a JavaScript string of byte values,
 * read back as bytes); `path` a name below the root (the root's bytes are put in front);
 * `meta` uid, gid, time and mode as f64 and a u32 count of (text, bytes) xattrs; `special` one byte.
 */
export type FieldType = 'flag' | 'number' | 'text' | 'bytes' | 'name' | 'path' | 'meta' | 'special';

/** EncodedValue is what the encoder takes for each field type. */
export interface EncodedValue {
  flag: boolean;
  number: number;
  text: string;
  bytes: Uint8Array;
  name: string;
  path: string;
  meta: OpMeta;
  special: SpecialKind;
}

/** DecodedValue is what the decoder gives for each field type; byte strings come back as views into the batch. */
export interface DecodedValue extends Omit<EncodedValue, 'name' | 'path'> {
  name: Buffer;
  path: Buffer;
}

/** OPS lists each operation's fields in wire order; an operation's opcode is its position here, from 1. */
export const OPS = {
  /** layer names the layer the following operations come from, for messages */
  layer: [['where', 'text']],
  /** mkdir makes a directory 0700; its mode and times come with finishDir */
  mkdir: [
    ['path', 'path'],
    ['meta', 'meta'],
  ],
  /** updateDir gives an existing directory meta's owner and adds meta's xattrs */
  updateDir: [
    ['path', 'path'],
    ['meta', 'meta'],
  ],
  remove: [
    ['path', 'path'],
    ['directory', 'flag'],
  ],
  open: [
    ['path', 'path'],
    ['mode', 'number'],
  ],
  /** data is the open file's next bytes */
  data: [['bytes', 'bytes']],
  /** hole leaves `length` bytes of the open file unwritten: a hole of a sparse file */
  hole: [['length', 'number']],
  close: [['meta', 'meta']],
  symlink: [
    ['path', 'path'],
    ['target', 'name'],
    ['meta', 'meta'],
  ],
  /** link names `target`'s inode `path` too; `chmod` unless it is a symlink's */
  link: [
    ['target', 'path'],
    ['path', 'path'],
    ['meta', 'meta'],
    ['chmod', 'flag'],
  ],
  special: [
    ['path', 'path'],
    ['kind', 'special'],
    ['major', 'number'],
    ['minor', 'number'],
    ['meta', 'meta'],
  ],
  /** finishDir sets a directory's final mode and times, and the root's owner; path '' is the root */
  finishDir: [
    ['path', 'path'],
    ['meta', 'meta'],
  ],
} as const satisfies Record<string, ReadonlyArray<readonly [string, FieldType]>>;

/** OpName names an operation. */
export type OpName = keyof typeof OPS;
type FieldsOf<K extends OpName> = (typeof OPS)[K][number];
type ValuesOf<K extends OpName, V extends Record<FieldType, unknown>> = {
  -readonly [F in FieldsOf<K> as F[0]]: V[F[1]];
};

/** OpInput is what encoding operation K takes. */
export type OpInput<K extends OpName> = ValuesOf<K, EncodedValue>;
/** Op is decoded operation K. */
export type Op<K extends OpName> = { op: K } & ValuesOf<K, DecodedValue>;
/** AnyOp is any decoded operation, told apart by `op`. */
export type AnyOp = { [K in OpName]: Op<K> }[OpName];

const NAMES = Object.keys(OPS) as OpName[];
const CODES = Object.fromEntries(NAMES.map((name, index) => [name, index + 1])) as Record<OpName, number>;
const LENGTH_BYTES = 4;
/** DATA_HEADER is the size of a data operation before its bytes. */
const DATA_HEADER = 1 + LENGTH_BYTES;
const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

function metaSize(meta: OpMeta): number {
  let size = 4 * 8 + LENGTH_BYTES;
  for (const [name, value] of meta.xattrs) size += LENGTH_BYTES + Buffer.byteLength(name) + LENGTH_BYTES + value.length;
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

  constructor(
    private readonly root: Buffer,
    private readonly send: (buffer: Buffer, length: number, needed: number) => Buffer,
  ) {}

  /** flush sends what the buffer holds, if anything. */
  flush(): void {
    if (this.used > 0) this.next(0);
  }

  /** encode writes operation `name` with its fields, in the order OPS gives them. */
  encode<K extends OpName>(name: K, input: OpInput<K>): void {
    const fields: ReadonlyArray<readonly [string, FieldType]> = OPS[name];
    const values = input as Record<string, unknown>;
    let size = 1;
    for (const [field, type] of fields) size += this.sizeOf(type, values[field]);
    if (this.used + size > this.buffer.length) this.next(size);
    this.count++;
    this.buffer[this.used++] = CODES[name];
    for (const [field, type] of fields) this.write(type, values[field]);
  }

  /** data writes bytes of the open file, split into several data operations where they do not fit. */
  data(chunk: Uint8Array): void {
    for (let taken = 0; taken < chunk.length;) {
      const room = this.dataRoom();
      const length = Math.min(chunk.length - taken, room.length);
      room.set(chunk.subarray(taken, taken + length));
      this.dataFilled(length);
      taken += length;
    }
  }

  /**
   * dataRoom returns the buffer's room for the open file's next bytes, at least one byte: fill it, then call
   * dataFilled.
   */
  dataRoom(): Buffer {
    if (this.buffer.length - this.used <= DATA_HEADER) this.next(DATA_HEADER + 1);
    return this.buffer.subarray(this.used + DATA_HEADER);
  }

  /** dataFilled records that the first `length` bytes of the last dataRoom hold a data operation's bytes. */
  dataFilled(length: number): void {
    this.count++;
    this.buffer[this.used++] = CODES.data;
    this.used = this.buffer.writeUInt32LE(length, this.used);
    this.used += length;
  }

  private next(needed: number): void {
    const [full, length] = [this.buffer, this.used];
    this.used = this.count = 0;
    this.buffer = this.send(full, length, needed);
  }

  private sizeOf(type: FieldType, value: unknown): number {
    switch (type) {
      case 'flag':
      case 'special':
        return 1;
      case 'number':
        return 8;
      case 'text':
        return LENGTH_BYTES + Buffer.byteLength(value as string);
      case 'bytes':
        return LENGTH_BYTES + (value as Uint8Array).length;
      case 'name':
        return LENGTH_BYTES + (value as string).length;
      case 'path':
        return LENGTH_BYTES + this.root.length + (value as string).length;
      case 'meta':
        return metaSize(value as OpMeta);
    }
  }

  private write(type: FieldType, value: unknown): void {
    const buffer = this.buffer;
    switch (type) {
      case 'flag':
        buffer[this.used++] = value ? 1 : 0;
        return;
      case 'special':
        buffer[this.used++] = SPECIAL_KINDS.indexOf(value as SpecialKind);
        return;
      case 'number':
        this.used = buffer.writeDoubleLE(value as number, this.used);
        return;
      case 'text': {
        const length = buffer.write(value as string, this.used + LENGTH_BYTES, 'utf8');
        this.used = buffer.writeUInt32LE(length, this.used) + length;
        return;
      }
      case 'bytes':
        this.used = buffer.writeUInt32LE((value as Uint8Array).length, this.used);
        buffer.set(value as Uint8Array, this.used);
        this.used += (value as Uint8Array).length;
        return;
      case 'name':
        this.used = buffer.writeUInt32LE((value as string).length, this.used);
        this.used += buffer.write(value as string, this.used, 'latin1');
        return;
      case 'path':
        this.used = buffer.writeUInt32LE(this.root.length + (value as string).length, this.used);
        this.used += this.root.copy(buffer, this.used);
        this.used += buffer.write(value as string, this.used, 'latin1');
        return;
      case 'meta': {
        const meta = value as OpMeta;
        for (const number of [meta.uid, meta.gid, meta.time, meta.mode]) this.write('number', number);
        this.used = buffer.writeUInt32LE(meta.xattrs.size, this.used);
        for (const [name, bytes] of meta.xattrs) {
          this.write('text', name);
          this.write('bytes', bytes);
        }
      }
    }
  }
}

/** OpDecoder reads the operations of one batch, in the order they were written. */
export class OpDecoder {
  private position = 0;
  /** lastPath is the path read last, to name the entry an operation failed on. */
  lastPath: Buffer | undefined;

  constructor(
    private readonly buffer: Buffer,
    private readonly length: number,
  ) {}

  /** done tells whether every operation of the batch has been read. */
  get done(): boolean {
    return this.position >= this.length;
  }

  /** next reads the next operation; byte strings in it stay valid while the batch is being applied. */
  next(): AnyOp {
    const name = NAMES[(this.buffer[this.position++] as number) - 1];
    if (name === undefined) throw new Error('directory writer: unknown operation in batch');
    const op: Record<string, unknown> = { op: name };
    const fields: ReadonlyArray<readonly [string, FieldType]> = OPS[name];
    for (const [field, type] of fields) op[field] = this.read(type);
    return op as AnyOp;
  }

  private read(type: FieldType): DecodedValue[FieldType] {
    switch (type) {
      case 'flag':
        return this.buffer[this.position++] === 1;
      case 'special':
        return SPECIAL_KINDS[this.buffer[this.position++] as number] as SpecialKind;
      case 'number': {
        const value = this.buffer.readDoubleLE(this.position);
        this.position += 8;
        return value;
      }
      case 'text':
        return this.byteString().toString('utf8');
      case 'bytes':
      case 'name':
        return this.byteString();
      case 'path':
        this.lastPath = this.byteString();
        return this.lastPath;
      case 'meta':
        return this.meta();
    }
  }

  private byteString(): Buffer {
    const length = this.buffer.readUInt32LE(this.position);
    this.position += LENGTH_BYTES;
    const view = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  private meta(): OpMeta {
    const [uid, gid, time, mode] = [
      this.read('number'),
      this.read('number'),
      this.read('number'),
      this.read('number'),
    ] as number[];
    const count = this.buffer.readUInt32LE(this.position);
    this.position += LENGTH_BYTES;
    const xattrs = count === 0 ? NO_XATTRS : new Map<string, Uint8Array>();
    for (let i = 0; i < count; i++)
      (xattrs as Map<string, Uint8Array>).set(this.read('text') as string, this.byteString());
    return { uid: uid as number, gid: gid as number, time: time as number, mode: mode as number, xattrs };
  }
}

/** Batch is what one message to the writer carries; `data` goes back with the reply, for reuse. */
export interface Batch {
  kind: 'batch';
  data: ArrayBuffer;
  length: number;
}

/** WriterStart tells a writer, new or kept from an earlier sink, where the batches after it go. */
export interface WriterStart {
  kind: 'start';
  root: string;
  output: string;
  ignoreErrors: boolean;
}

/** WriterReply is what the writer sends back. */
export type WriterReply =
  | { kind: 'done'; data: ArrayBuffer }
  | { kind: 'warn'; message: string }
  | { kind: 'error'; code: string | undefined; message: string };
