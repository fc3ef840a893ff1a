/**
 * OverlayLimitError says a layer holds something an overlayfs diff cannot express (layer-tree.ts
 * finds it): the run cache flattens that image instead. A module of its own, so the cache can
 * tell it apart without loading the flattening engine a warm run never needs.
 */
import { UndockerError } from '../errors.js';

/** OVERLAY_XATTR_PREFIX names overlayfs's own attributes (opaque, redirect, origin...), which an image may not set. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

/** OverlayLimitError names what in which layer overlayfs cannot stack. */
export class OverlayLimitError extends UndockerError {
  constructor(message: string) {
    super('UNDOCKER_UNSUPPORTED', message);
  }
}
