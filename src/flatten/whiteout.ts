/**
 * Whiteout markers. Spec: opencontainers/image-spec layer.md "Whiteouts", and moby
 * pkg/archive/whiteouts.go for the AUFS metadata names Docker skips.
 */

/** WHITEOUT_PREFIX marks `.wh.NAME`: NAME is removed from lower layers. */
export const WHITEOUT_PREFIX = '.wh.';
/** OPAQUE_WHITEOUT marks a directory whose lower-layer contents are hidden. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** WHITEOUT_META_PREFIX starts AUFS bookkeeping names (`.wh..wh.plnk`), which are not content. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/** Whiteout says what a path's last component means for the layers below. */
export type Whiteout = { kind: 'opaque' } | { kind: 'remove'; name: string } | { kind: 'metadata' };

/** classifyWhiteout tells whether an entry is a whiteout, from its cleaned path components. */
export function classifyWhiteout(parts: readonly string[]): Whiteout | undefined {
  const base = parts[parts.length - 1];
  if (base === undefined) return undefined;
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque' };
  // Docker skips AUFS metadata only at the top of the layer (moby pkg/archive/diff.go).
  if (parts.length > 0 && parts[0]?.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'metadata' };
  if (base.startsWith(WHITEOUT_PREFIX)) return { kind: 'remove', name: base.slice(WHITEOUT_PREFIX.length) };
  return undefined;
}
