/**
 * runImage is `undocker run` (in the foreground) as a library call: a new container of `image`,
 * run attached to this process's terminal, its exit status returned. The container stays, as
 * docker's do, unless options.autoRemove (--rm) asks otherwise.
 */
import type { Image } from '../image/types.js';
import { createHoldingView, type CreateOptions } from './create.js';
import { runAttached } from './lifecycle.js';

/** RunImageOptions are a run's request, overrides and surroundings. */
export type RunImageOptions = CreateOptions;

/** runImage runs `image` as asked and returns the container's exit status. */
export async function runImage(image: Image, options: RunImageOptions): Promise<number> {
  const { container, view } = await createHoldingView(image, options);
  return runAttached(options.cacheRoot, container, options.signal, view);
}
