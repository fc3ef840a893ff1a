/**
 * Reading one entry again, synchronously, from where its first header block starts. Files listed
 * without a node (flatten/lister.ts) are read again here: to give them their nodes when a later
 * entry touches one, and by the tar output's data pass for those with extension headers. Their
 * own PAX and GNU long-name headers are folded in as readTar folds them; a global PAX header met
 * before would be missed, so readTar says which entries can be read again alone (TarItem.header).
 */
import { BadArchiveError } from '../errors.js';
import type { TarEntry } from './entry.js';
import { BLOCK, decodeHeader, padding } from './header.js';
import { decodeExtension, MAX_EXTENSION_BYTES, toEntry } from './reader.js';

/** Lend gives `length` bytes of the tar from `offset` as one buffer, valid until the next call. */
export type Lend = (offset: number, length: number) => Buffer;

/** EntryAt is an entry read again, and where its data starts. */
export interface EntryAt {
  entry: TarEntry;
  data: number;
}

const NO_RECORDS: ReadonlyMap<string, Buffer> = new Map();

/** EntryReader reads entries of one tar again; `where` names it in errors. */
export class EntryReader {
  private readonly fail: (what: string) => never;

  constructor(
    private readonly lend: Lend,
    where: string,
  ) {
    this.fail = (what) => {
      throw new BadArchiveError(`reading ${where}: ${what}`);
    };
  }

  /** at reads the entry whose first header block is at `offset`. */
  at(offset: number): EntryAt {
    let locals: Map<string, Buffer> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (let at = offset; ;) {
      const raw = decodeHeader(this.lend(at, BLOCK));
      if (raw === undefined) return this.fail(`corrupt tar header at byte ${at}`);
      at += BLOCK;
      if (raw.typeflag === 'g') return this.fail(`a global header at byte ${at - BLOCK}, where an entry was before`);
      if (raw.typeflag !== 'x' && raw.typeflag !== 'L' && raw.typeflag !== 'K')
        return { entry: toEntry(raw, NO_RECORDS, locals ?? NO_RECORDS, longName, longLink, this.fail), data: at };
      if (raw.size > MAX_EXTENSION_BYTES) this.fail(`extended header of ${raw.size} bytes at byte ${at - BLOCK}`);
      // A copy: PAX values are views of the data, and the lent bytes are reused by the next call.
      const extension = decodeExtension(raw, Buffer.from(this.lend(at, raw.size)), this.fail);
      at += raw.size + padding(raw.size);
      if (raw.typeflag === 'x') for (const [key, value] of extension.pax) (locals ??= new Map()).set(key, value);
      else if (raw.typeflag === 'L') longName = extension.text;
      else longLink = extension.text;
    }
  }
}
