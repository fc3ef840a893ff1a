/**
 * A cached image as one folder this process reads: its flattened tree, its only diff, or the
 * overlay of its diffs, held in a mount namespace of its own (host/mount-holder.ts). What a run
 * reads of an image before it starts (users, groups, which folders exist, a volume's contents)
 * is read here; the run mounts the same stack itself.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { holdOverlay } from '../host/mount-holder.js';
import { type CachedImage, type ImageStack, imageDir, stackOf } from './image-cache.js';

/** ImageView is a cached image's tree at `dir`, until `close` (idempotent), and the stack a run mounts. */
export interface ImageView {
  dir: string;
  stack: ImageStack;
  close(): Promise<void>;
}

/** openImageView makes a complete cached image readable as one folder; `what` names it in errors. */
export async function openImageView(root: string, record: CachedImage, what: string): Promise<ImageView> {
  const stack = stackOf(root, record);
  // One tree needs no overlay, and an overlay with no upper layer needs two.
  if (!stack.lowerdir.includes(':'))
    return { dir: join(stack.base, stack.lowerdir), stack, close: () => Promise.resolve() };
  const mountpoint = join(imageDir(root, record.id), 'view');
  mkdirSync(mountpoint, { recursive: true, mode: 0o700 });
  const held = await holdOverlay(stack.base, `lowerdir=${stack.lowerdir}`, mountpoint, what);
  let released: Promise<void> | undefined;
  return { dir: held.path, stack, close: () => (released ??= held.release()) };
}
