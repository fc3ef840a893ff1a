/**
 * Inode metadata, interned: the entries of a layer share a few owners, modes and times (a
 * package's files, one COPY), so each distinct tuple is kept once, in rows of numbers, and an inode
 * holds its number. An image whose every entry differs costs a row per entry, still no object.
 */
import { hashKey, NameArena } from './name-index.js';
import { SplitTable } from './split-table.js';

/** MetaFields is the metadata an inode carries besides its kind, size, link target and xattrs. */
export interface MetaFields {
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  /** The PAX `mtime` record verbatim when the archive had one (sub-second precision). */
  paxMtime?: string | undefined;
  devmajor: number;
  devminor: number;
}

/** Meta is what an inode carries besides its kind and data, as a fresh object. */
export interface Meta extends MetaFields {
  linkname: string;
  xattrs: ReadonlyMap<string, Buffer>;
}

/** Strings numbers a few distinct strings (owner names); 0 is none. */
class Strings {
  private readonly numbers = new Map<string, number>();
  readonly values: Array<string | undefined> = [undefined];

  number(value: string | undefined): number {
    if (value === undefined) return 0;
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.length;
      this.numbers.set(value, n);
      this.values.push(value);
    }
    return n;
  }
}

/** Rows are kept in pages of 4096 that are never moved: a table that doubled left holes in the heap (split-table). */
const ROW_BITS = 12;
const ROW_MASK = (1 << ROW_BITS) - 1;

/**
 * Texts numbers strings of which every entry may have its own (PAX times: a layer written with
 * sub-second times has one per file), kept as bytes, not a string each: 300,000 files of as many
 * PAX times peaked at 126-136 MB with a string each, 110 MB so. 0 is none.
 */
class Texts {
  private readonly arena = new NameArena();
  /** offsets and lengths place text number n in the arena, at n - 1 in pages of 4096. */
  private readonly offsets: Uint32Array[] = [];
  private readonly lengths: Uint32Array[] = [];
  private count = 0;
  /** table finds a text by its hash; it holds the texts' numbers, never 0. */
  private readonly table = new SplitTable((n) => this.arena.hash(0, this.offsetOf(n), this.lengthOf(n)));

  /** number is the number of `value`, added if new. */
  number(value: string | undefined): number {
    if (value === undefined) return 0;
    const hash = hashKey(0, value);
    const slots = this.table.slotsFor(hash);
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const n = slots[i] as number;
      if (n === 0) break;
      if (this.arena.equals(this.offsetOf(n), this.lengthOf(n), value)) return n;
    }
    const id = this.count++;
    if ((id & ROW_MASK) === 0) {
      this.offsets.push(new Uint32Array(1 << ROW_BITS));
      this.lengths.push(new Uint32Array(1 << ROW_BITS));
    }
    (this.offsets[id >>> ROW_BITS] as Uint32Array)[id & ROW_MASK] = this.arena.store(value);
    (this.lengths[id >>> ROW_BITS] as Uint32Array)[id & ROW_MASK] = value.length;
    this.table.insert(id + 1, hash);
    return id + 1;
  }

  /** value is text number `n`. */
  value(n: number): string | undefined {
    return n === 0 ? undefined : this.arena.text(this.offsetOf(n), this.lengthOf(n));
  }

  private offsetOf(n: number): number {
    return (this.offsets[(n - 1) >>> ROW_BITS] as Uint32Array)[(n - 1) & ROW_MASK] as number;
  }

  private lengthOf(n: number): number {
    return (this.lengths[(n - 1) >>> ROW_BITS] as Uint32Array)[(n - 1) & ROW_MASK] as number;
  }
}

/**
 * RowTable interns rows of `width` numbers and gives each a number. Float64 keeps ids and times
 * past 2^32 exact.
 */
class RowTable {
  private readonly pages: Float64Array[] = [];
  private count = 0;
  /** last is the row interned last: entries one after another most often share it, and it costs no hash. */
  private last = -1;
  /** table finds a row by its hash; it holds numbers plus one, as 0 is its empty slot. */
  private readonly table = new SplitTable((held) => this.hashOf(held - 1));

  constructor(private readonly width: number) {}

  /** intern is the number of the row `key`, added if new. */
  intern(key: Float64Array): number {
    if (this.last >= 0 && this.matches(this.last, key)) return this.last;
    this.last = this.findOrAdd(key);
    return this.last;
  }

  /** findOrAdd looks `key` up by its hash, and adds it if it is new. */
  private findOrAdd(key: Float64Array): number {
    const hash = hashRow(key, 0, this.width);
    const slots = this.table.slotsFor(hash);
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const held = slots[i] as number;
      if (held === 0) break;
      if (this.matches(held - 1, key)) return held - 1;
    }
    const id = this.count++;
    if ((id & ROW_MASK) === 0) this.pages.push(new Float64Array(this.width << ROW_BITS));
    (this.pages[id >>> ROW_BITS] as Float64Array).set(key, (id & ROW_MASK) * this.width);
    this.table.insert(id + 1, hash);
    return id;
  }

  /** value is field `field` of row `id`. */
  value(id: number, field: number): number {
    return (this.pages[id >>> ROW_BITS] as Float64Array)[(id & ROW_MASK) * this.width + field] as number;
  }

  private hashOf(id: number): number {
    return hashRow(this.pages[id >>> ROW_BITS] as Float64Array, (id & ROW_MASK) * this.width, this.width);
  }

  private matches(id: number, key: Float64Array): boolean {
    const row = this.pages[id >>> ROW_BITS] as Float64Array;
    const base = (id & ROW_MASK) * this.width;
    for (let f = 0; f < this.width; f++) if (row[base + f] !== key[f]) return false;
    return true;
  }
}

/**
 * MetaTable interns metadata tuples and gives each a number. A tuple is its owner part (mode,
 * owners, device), of which an image has few, and its time, which may differ for every entry: a
 * tuple row is the owner part's number and the time, 24 bytes, not 64 (300,000 files of distinct
 * times peaked at 108 MB with rows of every field, at 94-98 MB so, and at 86 MB with times alike).
 */
export class MetaTable {
  private readonly owners = new Strings();
  private readonly times = new Texts();
  /** parts holds mode, uid, gid, devmajor, devminor, uname, gname (the names as their numbers). */
  private readonly parts = new RowTable(7);
  /** tuples holds a part's number, mtime, and the PAX time's number. */
  private readonly tuples = new RowTable(3);
  /** The rows being looked up, reused: interning runs once per entry. */
  private readonly partKey = new Float64Array(7);
  private readonly tupleKey = new Float64Array(3);

  /** intern is the number of the tuple `fields`, added if new. */
  intern(fields: MetaFields): number {
    const part = this.partKey;
    part[0] = fields.mode;
    part[1] = fields.uid;
    part[2] = fields.gid;
    part[3] = fields.devmajor;
    part[4] = fields.devminor;
    part[5] = this.owners.number(fields.uname);
    part[6] = this.owners.number(fields.gname);
    const tuple = this.tupleKey;
    tuple[0] = this.parts.intern(part);
    tuple[1] = fields.mtime;
    tuple[2] = this.times.number(fields.paxMtime);
    return this.tuples.intern(tuple);
  }

  /** get is tuple `id` with its strings, and the inode's own link target and xattrs: one object of one shape. */
  get(id: number, linkname: string, xattrs: ReadonlyMap<string, Buffer>): Meta {
    const part = this.tuples.value(id, 0);
    const parts = this.parts;
    return {
      mode: parts.value(part, 0),
      uid: parts.value(part, 1),
      gid: parts.value(part, 2),
      mtime: this.tuples.value(id, 1),
      devmajor: parts.value(part, 3),
      devminor: parts.value(part, 4),
      uname: this.owners.values[parts.value(part, 5)] ?? '',
      gname: this.owners.values[parts.value(part, 6)] ?? '',
      paxMtime: this.times.value(this.tuples.value(id, 2)),
      linkname,
      xattrs,
    };
  }
}

/** hashRow hashes the `width` numbers of `rows` from `base`. */
function hashRow(rows: Float64Array, base: number, width: number): number {
  let h = 0x9e3779b1;
  for (let f = base; f < base + width; f++) {
    const value = rows[f] as number;
    // The low and the high 32 bits, so that values past 2^32 still spread.
    h = Math.imul(h ^ (value | 0), 0x01000193);
    h = Math.imul(h ^ ((value / 4294967296) | 0), 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}
