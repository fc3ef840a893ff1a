/**
 * OCI image layouts (directories and oci-archive tarballs, as skopeo, umoci and buildah write
 * them): index.json, nested indexes, manifests, and blobs checked against their descriptors.
 * Spec: opencontainers/image-spec image-layout.md, image-index.md, manifest.md.
 */
import { BadArchiveError } from '../errors.js';
import { parseDigest, shortId } from './digest.js';
import { expectObject, readMemberJson } from './json.js';
import { layerHistory, platformOf } from './layer-history.js';
import type { MemberSet } from './members.js';
import { nameFromReference, parseImageName } from './names.js';
import { parseImageConfig } from './parse-config.js';
import type { Image, ImageName, Layer, Platform } from './types.js';

/** REF_NAME_ANNOTATION is the OCI annotation that tags a manifest in a layout. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** CONTAINERD_NAME_ANNOTATION carries the full image name in Docker 25+ and containerd layouts. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const MAX_INDEX_DEPTH = 8;

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

/** blobPath maps a digest to its place in a layout. */
function blobPath(digest: string, where: string): string {
  const { algorithm, hex } = parseDigest(digest, where);
  return `blobs/${algorithm}/${hex}`;
}

function namesOf(descriptor: Descriptor): ImageName[] {
  const full = descriptor.annotations?.[CONTAINERD_NAME_ANNOTATION];
  if (full !== undefined) return [parseImageName(full)];
  const reference = descriptor.annotations?.[REF_NAME_ANNOTATION];
  return reference !== undefined ? [nameFromReference(reference)] : [];
}

/** imagesFromOciLayout reads every image manifest reachable from index.json. */
export async function imagesFromOciLayout(members: MemberSet): Promise<Image[]> {
  const { value } = await readMemberJson<{ manifests?: Descriptor[] }>(members, 'index.json');
  const index = expectObject(value, `${members.where}: index.json`) as { manifests?: Descriptor[] };
  const images: Image[] = [];
  for (const descriptor of index.manifests ?? []) {
    await collect(members, descriptor, namesOf(descriptor), images, 0);
  }
  // One manifest reachable under several names is one image with several names.
  const byManifest = new Map<string, Image>();
  for (const image of images) {
    const seen = byManifest.get(image.manifestDigest as string);
    if (seen === undefined) byManifest.set(image.manifestDigest as string, image);
    else seen.names.push(...image.names);
  }
  return [...byManifest.values()];
}

async function collect(
  members: MemberSet,
  descriptor: Descriptor,
  names: ImageName[],
  out: Image[],
  depth: number,
): Promise<void> {
  const where = `${members.where}: descriptor ${descriptor.digest ?? '(no digest)'}`;
  if (depth > MAX_INDEX_DEPTH) throw new BadArchiveError(`${where}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
  const digest = descriptor.digest as string;
  const path = blobPath(digest, where);
  if (!members.has(path))
    throw new BadArchiveError(
      `${members.where}: missing blob ${digest} (${descriptor.mediaType ?? 'unknown media type'})`,
    );
  const { value } = await readMemberJson<Record<string, unknown>>(members, path, digest);
  const document = expectObject(value, `${members.where}: ${path}`);
  const mediaType = descriptor.mediaType ?? (document.mediaType as string | undefined);
  if (
    (mediaType !== undefined && INDEX_TYPES.has(mediaType)) ||
    (mediaType === undefined && Array.isArray(document.manifests))
  ) {
    for (const child of (document.manifests as Descriptor[] | undefined) ?? []) {
      await collect(members, child, [...names, ...namesOf(child)], out, depth + 1);
    }
    return;
  }
  if (mediaType !== undefined && !MANIFEST_TYPES.has(mediaType)) return; // attestations, signatures, artifacts
  // Build attestations are manifests too, for the platform unknown/unknown.
  if (descriptor.platform?.os === 'unknown') return;
  out.push(await imageFromManifest(members, document, digest, names, descriptor.platform));
}

/** imageFromManifest makes the image of a manifest whose config and layers are blobs of `members`. */
export async function imageFromManifest(
  members: MemberSet,
  manifest: Record<string, unknown>,
  manifestDigest: string,
  names: ImageName[],
  platform?: Platform,
): Promise<Image> {
  const where = `${members.where}: manifest ${shortId(manifestDigest)}`;
  const configDescriptor = manifest.config as Descriptor | undefined;
  if (configDescriptor?.digest === undefined) throw new BadArchiveError(`${where}: no config descriptor`);
  const configPath = blobPath(configDescriptor.digest, where);
  if (!members.has(configPath))
    throw new BadArchiveError(`${members.where}: missing config blob ${configDescriptor.digest}`);
  const { value, bytes: configBytes } = await readMemberJson<unknown>(members, configPath, configDescriptor.digest);
  const config = parseImageConfig(value, `${members.where}: config ${shortId(configDescriptor.digest)}`);
  const descriptors = (manifest.layers as Descriptor[] | undefined) ?? [];
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== descriptors.length) {
    throw new BadArchiveError(
      `${where}: config names ${diffIds.length} layers (rootfs.diff_ids) but the manifest lists ${descriptors.length}`,
    );
  }
  const history = layerHistory(config, descriptors.length);
  const layers = descriptors.map((descriptor, i): Layer => {
    const digest = descriptor.digest as string;
    const path = blobPath(digest, `${where} layer ${i + 1}`);
    const size = members.size(path);
    if (size === undefined) {
      const foreign = descriptor.urls?.length ? ' (a foreign layer: it lives at its URL, not in the archive)' : '';
      throw new BadArchiveError(
        `${members.where}: missing layer blob ${digest} (layer ${i + 1} of manifest ` +
          `${shortId(manifestDigest)})${foreign}`,
      );
    }
    if (typeof descriptor.size === 'number' && descriptor.size !== size) {
      throw new BadArchiveError(
        `${members.where}: layer blob ${digest} is ${size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    return {
      id: digest,
      digest,
      size,
      diffId: diffIds[i] as string,
      mediaType: descriptor.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
      ...(history[i] !== undefined ? { createdBy: history[i] } : {}),
      where: `layer ${i + 1} (${shortId(digest)}) of ${members.where}`,
      open: () => members.open(path),
      openFile: () => members.openFile(path),
    };
  });
  const declared = platform ?? platformOf(config);
  return {
    id: configDescriptor.digest,
    manifestDigest,
    names: [...names],
    config,
    configBytes,
    layers,
    ...(declared ? { platform: declared } : {}),
  };
}
