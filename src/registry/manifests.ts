/**
 * Manifests from a registry: Docker schema 2 manifests and manifest lists, OCI manifests and
 * indexes, each checked against its digest; from an index, the one for the wanted platform.
 */
import { OCI_MEDIA } from '../image/media-types.js';
import { DigestMismatchError, UndockerError } from '../errors.js';
import { sha256Of } from '../image/digest.js';
import { expectObject, parseJsonDocument } from '../image/json.js';
import { formatPlatform, platformMatches } from '../image/platform.js';
import type { Platform } from '../image/types.js';
import type { RegistryClient } from './client.js';

/** MEDIA_TYPES are the manifest kinds undocker reads. */
const MEDIA_TYPES = {
  ociIndex: OCI_MEDIA.index,
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: OCI_MEDIA.manifest,
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const ACCEPT = Object.values(MEDIA_TYPES).join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Descriptor is a registry descriptor. */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** FetchedManifest is a manifest's bytes, digest and parsed document. */
export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  document: { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
}

/** fetchManifest gets a manifest or index by tag or digest and checks it against its digest. */
export async function fetchManifest(client: RegistryClient, reference: string, what: string): Promise<FetchedManifest> {
  const response = await client.request(`manifests/${reference}`, { headers: { accept: ACCEPT }, expect: [200], what });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${what}: a manifest of ${bytes.length} bytes is too large`);
  const digest = sha256Of(bytes);
  const expected = reference.startsWith('sha256:')
    ? reference
    : (response.headers.get('docker-content-digest') ?? undefined);
  if (expected !== undefined && expected.startsWith('sha256:') && expected !== digest)
    throw new DigestMismatchError(what, expected, digest);
  const document = expectObject(parseJsonDocument(bytes, what), what) as FetchedManifest['document'];
  const mediaType =
    document.mediaType ?? response.headers.get('content-type')?.split(';')[0] ?? MEDIA_TYPES.ociManifest;
  return { bytes, digest, mediaType, document };
}

/** isIndex tells whether a manifest is an index (a manifest list). */
export function isIndex(manifest: FetchedManifest): boolean {
  return (
    manifest.mediaType === MEDIA_TYPES.ociIndex ||
    manifest.mediaType === MEDIA_TYPES.dockerList ||
    Array.isArray(manifest.document.manifests)
  );
}

/** choosePlatform picks the index entry for `platform`, or fails listing the platforms there are. */
export function choosePlatform(index: FetchedManifest, platform: Platform, what: string): Descriptor {
  const images = (index.document.manifests ?? []).filter(
    (d) => d.platform !== undefined && d.platform.os !== 'unknown',
  );
  const found = images.find((d) => platformMatches(d.platform, platform));
  if (found !== undefined) return found;
  const have = images.map((d) => formatPlatform(d.platform as Platform)).join(', ') || 'none';
  throw new UndockerError(
    'UNDOCKER_NOT_FOUND',
    `${what}: no image for ${formatPlatform(platform)}; the index has ${have}: pick one with --platform`,
  );
}
