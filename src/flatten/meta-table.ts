/**
 * Inode metadata, interned: the entries of a layer share a few owners, modes and times (a
 * package's files, one COPY), so each distinct tuple is kept once, in columns, and an inode
 * holds its number. An image whose every entry differs costs a row per entry, still no object.
 */

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

/** Strings numbers a few distinct strings (owner names, PAX times); 0 is none. */
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

/** NUMERIC_FIELDS is the width of a row: the numbers of a tuple, its owner names as their numbers. */
const NUMERIC_FIELDS = 8;

/** MetaTable interns metadata tuples and gives each a number. */
export class MetaTable {
  private readonly owners = new Strings();
  private readonly times = new Strings();
  /** rows holds a row per tuple: mode, uid, gid, mtime, devmajor, devminor, uname, gname; Float64 keeps ids and
   * times past 2^32 exact. */
  private rows = new Float64Array(NUMERIC_FIELDS * 64);
  private pax = new Uint32Array(64);
  private count = 0;
  private slots = new Uint32Array(128);
  /** key is the row being looked up, reused: interning runs once per entry. */
  private readonly key = new Float64Array(NUMERIC_FIELDS);

  /** intern is the number of the tuple `fields`, added if new. */
  intern(fields: MetaFields): number {
    const uname = this.owners.number(fields.uname);
    const gname = this.owners.number(fields.gname);
    const pax = this.times.number(fields.paxMtime);
    const key = this.key;
    key[0] = fields.mode;
    key[1] = fields.uid;
    key[2] = fields.gid;
    key[3] = fields.mtime;
    key[4] = fields.devmajor;
    key[5] = fields.devminor;
    key[6] = uname;
    key[7] = gname;
    const mask = this.slots.length - 1;
    let i = hashRow(key, pax) & mask;
    for (let id = this.slots[i] as number; id !== 0; i = (i + 1) & mask, id = this.slots[i] as number)
      if (this.matches(id - 1, key, pax)) return id - 1;
    return this.add(key, pax);
  }

  /** get is tuple `id` with its strings, and the inode's own link target and xattrs: one object of one shape. */
  get(id: number, linkname: string, xattrs: ReadonlyMap<string, Buffer>): Meta {
    const base = id * NUMERIC_FIELDS;
    const rows = this.rows;
    return {
      mode: rows[base] as number,
      uid: rows[base + 1] as number,
      gid: rows[base + 2] as number,
      mtime: rows[base + 3] as number,
      devmajor: rows[base + 4] as number,
      devminor: rows[base + 5] as number,
      uname: this.owners.values[rows[base + 6] as number] ?? '',
      gname: this.owners.values[rows[base + 7] as number] ?? '',
      paxMtime: this.times.values[this.pax[id] as number],
      linkname,
      xattrs,
    };
  }

  private matches(id: number, key: Float64Array, pax: number): boolean {
    if (this.pax[id] !== pax) return false;
    const base = id * NUMERIC_FIELDS;
    for (let f = 0; f < NUMERIC_FIELDS; f++) if (this.rows[base + f] !== key[f]) return false;
    return true;
  }

  private add(key: Float64Array, pax: number): number {
    const id = this.count++;
    if (id === this.pax.length) {
      const rows = new Float64Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
      const times = new Uint32Array(this.pax.length * 2);
      times.set(this.pax);
      this.pax = times;
    }
    this.rows.set(key, id * NUMERIC_FIELDS);
    this.pax[id] = pax;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    const base = id * NUMERIC_FIELDS;
    let i = hashRow(this.rows.subarray(base, base + NUMERIC_FIELDS), this.pax[id] as number) & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    for (let id = 0; id < this.count; id++) this.place(id);
  }
}

function hashRow(key: ArrayLike<number>, pax: number): number {
  let h = Math.imul(pax, 0x9e3779b1);
  for (let f = 0; f < key.length; f++) {
    const value = key[f] as number;
    // The low and the high 32 bits, so that values past 2^32 still spread.
    h = Math.imul(h ^ (value | 0), 0x01000193);
    h = Math.imul(h ^ ((value / 4294967296) | 0), 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}
