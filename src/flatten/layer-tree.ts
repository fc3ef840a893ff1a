/**
 * LayerTree is the tree one layer is applied to when the layers below it are already a directory
 * (the overlay of their diffs, layer-diff.ts). What lies below is read from that directory when a
 * lookup first needs it, not all up front, so applying a small layer over a large base costs what
 * the layer touches. Read nodes carry layer LOWER and the applied layer APPLIED, so its whiteouts
 * remove the first and spare the second, as in a whole flatten.
 *
 * It also refuses what an overlay diff cannot hold, with OverlayLimitError (overlay-limit.ts).
 */
import { type BigIntStats, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { deviceNumbers, toDisplay } from '../tar/entry.js';
import { OVERLAY_XATTR_PREFIX, OverlayLimitError } from './overlay-limit.js';
import { type InodeFields, type MetaFields, type NodeKind, FsTree, NO_XATTRS } from './tree.js';

/** LOWER is the layer number of what was read from below; APPLIED is the layer being applied. */
const LOWER = 0;
export const APPLIED = 1;

function kindOf(info: BigIntStats): NodeKind {
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isCharacterDevice()) return 'char';
  if (info.isBlockDevice()) return 'block';
  return 'fifo';
}

/** statMeta is an inode's metadata as lstat gives it; times keep their nanoseconds as a PAX time would. */
function statMeta(info: BigIntStats): MetaFields {
  const seconds = info.mtimeNs / 1_000_000_000n;
  const nanoseconds = info.mtimeNs % 1_000_000_000n;
  return {
    mode: Number(info.mode & 0o7777n),
    uid: Number(info.uid),
    gid: Number(info.gid),
    uname: '',
    gname: '',
    mtime: Number(seconds),
    paxMtime: nanoseconds === 0n ? undefined : `${seconds}.${nanoseconds.toString().padStart(9, '0')}`,
    ...deviceNumbers(info.rdev),
  };
}

/** LayerTree reads the lower tree from `below` (no folder: the layer is the first) as lookups need it. */
export class LayerTree extends FsTree {
  /** looked holds `parent/name` of every lookup that read the disk: a name removed since is not read again. */
  private readonly looked = new Set<string>();
  /** listed holds the directories whose every name was read. */
  private readonly listed = new Set<number>();
  /** fromBelow holds the directories read from below, whose names may be there too. */
  private readonly fromBelow = new Set<number>();
  /** linkCounts holds the files read from below that have other names there. */
  private readonly linkCounts = new Map<number, number>();
  private reading: boolean;

  constructor(private readonly below?: string) {
    super();
    this.reading = below !== undefined;
    if (below !== undefined) {
      this.updateMeta(this.root, statMeta(lstatSync(below, { bigint: true })));
      this.fromBelow.add(this.root);
    }
  }

  /** stopReading ends reading from below: the layer is applied, and what remains is listing what it changed. */
  stopReading(): void {
    this.reading = false;
  }

  /** diskPath is where a node, or its child `name`, is below. */
  private diskPath(node: number, name?: string): Buffer {
    let path = node === this.root ? '' : `/${this.pathOf(node)}`;
    if (name !== undefined) path += `/${name}`;
    return Buffer.concat([Buffer.from(this.below as string, 'utf8'), Buffer.from(path, 'latin1')]);
  }

  override childOf(node: number, name: string): number | undefined {
    const found = super.childOf(node, name);
    if (found !== undefined || !this.reading || !this.fromBelow.has(node)) return found;
    const key = `${node}/${name}`;
    if (this.looked.has(key)) return undefined;
    this.looked.add(key);
    return this.read(node, name);
  }

  override childrenOf(dir: number): number[] {
    if (this.reading && this.fromBelow.has(dir) && !this.listed.has(dir)) {
      this.listed.add(dir);
      for (const name of readdirSync(this.diskPath(dir), { encoding: 'buffer' }))
        this.childOf(dir, name.toString('latin1'));
    }
    return super.childrenOf(dir);
  }

  /** read adds the node `name` of `parent` as it is below, if it is there. */
  private read(parent: number, name: string): number | undefined {
    const path = this.diskPath(parent, name);
    let info: BigIntStats;
    try {
      info = lstatSync(path, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const kind = kindOf(info);
    const fields: InodeFields = {
      ...statMeta(info),
      size: kind === 'file' ? Number(info.size) : 0,
      linkname: kind === 'symlink' ? readlinkSync(path, { encoding: 'buffer' }).toString('latin1') : '',
      // Kept below and by the overlay's copy-up: the layer only adds its own.
      xattrs: NO_XATTRS,
    };
    const node = super.create(parent, name, LOWER, kind, fields, -1);
    if (kind === 'directory') this.fromBelow.add(node);
    else if (info.nlink > 1n) this.linkCounts.set(node, Number(info.nlink));
    return node;
  }

  override create(parent: number, name: string, layer: number, kind: NodeKind, fields: InodeFields, dataBlock: number) {
    // A whiteout in a diff is a 0:0 character device: one in the image would read as a deletion.
    if (kind === 'char' && fields.devmajor === 0 && fields.devminor === 0)
      throw new OverlayLimitError(
        `${this.named(parent, name)} is a 0:0 character device, which overlayfs reads as a whiteout`,
      );
    this.refuseOverlayXattrs(fields.xattrs, () => this.named(parent, name));
    return super.create(parent, name, layer, kind, fields, dataBlock);
  }

  override addName(parent: number, name: string, inode: number, layer: number): number {
    // The overlay copies the file up under the new names only: the names it has below would part from them.
    const others = this.linkCounts.get(inode);
    if (others !== undefined)
      throw new OverlayLimitError(
        `${this.named(parent, name)} is a hardlink to ${toDisplay(this.pathOf(inode))}, ` +
          `which has ${others} names in the layers below`,
      );
    return super.addName(parent, name, inode, layer);
  }

  override addXattrs(inode: number, added: ReadonlyMap<string, Buffer>): void {
    this.refuseOverlayXattrs(added, () => toDisplay(this.pathOf(inode)));
    super.addXattrs(inode, added);
  }

  /** named is a path for messages. */
  private named(parent: number, name: string): string {
    return toDisplay(parent === this.root ? name : `${this.pathOf(parent)}/${name}`);
  }

  private refuseOverlayXattrs(xattrs: ReadonlyMap<string, Buffer>, where: () => string): void {
    for (const key of xattrs.keys())
      if (key.startsWith(OVERLAY_XATTR_PREFIX))
        throw new OverlayLimitError(`${where()} has the xattr ${key}, which overlayfs keeps for itself`);
  }
}
