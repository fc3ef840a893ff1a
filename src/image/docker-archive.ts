/**
 * `docker save` archives with a manifest.json: Docker 1.10 to 24 (`<id>/layer.tar`,
 * `<hex>.json` configs) and Docker 25+ (the same manifest.json over an OCI layout, members named
 * `blobs/sha256/<hex>`, some of them symlinks). Spec: moby image/spec/spec.md "Combined Image JSON".
 */
import { BadArchiveError } from '../errors.js';
import { isDigest, shortId } from './digest.js';
import { expectObject, readMemberJson } from './json.js';
import { layerHistory, platformOf } from './layer-history.js';
import type { MemberSet } from './members.js';
import { parseImageName } from './names.js';
import { parseImageConfig } from './parse-config.js';
import type { Image, Layer } from './types.js';

/** DOCKER_LAYER_MEDIA_TYPE is the media type of an uncompressed Docker layer tar. */
export const DOCKER_LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';

interface ManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
  LayerSources?: Record<string, { mediaType?: string }>;
}

/**
 * digestFromPath recovers the digest a member's name claims: only `blobs/sha256/<hex>` of a
 * Docker 25+ save, whose members are an OCI layout. A `<hex>.json` config name is only a name
 * (bazel's rules_docker and other builders name it by another digest; `docker load` takes them),
 * so the image id comes from the config's content.
 */
function digestFromPath(path: string): string | undefined {
  const match = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
  return match?.[1] !== undefined ? `sha256:${match[1]}` : undefined;
}

/** imagesFromDockerArchive reads every image listed in manifest.json. */
export async function imagesFromDockerArchive(members: MemberSet): Promise<Image[]> {
  const { value } = await readMemberJson<unknown>(members, 'manifest.json');
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadArchiveError(`${members.where}: manifest.json lists no images`);
  }
  return Promise.all(
    value.map((entry, index) =>
      imageFromEntry(
        members,
        expectObject(entry, `${members.where}: manifest.json entry ${index}`) as ManifestEntry,
        index,
      ),
    ),
  );
}

async function imageFromEntry(members: MemberSet, entry: ManifestEntry, index: number): Promise<Image> {
  const where = `${members.where}: manifest.json entry ${index}`;
  if (typeof entry.Config !== 'string') throw new BadArchiveError(`${where}: no Config`);
  if (!Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
    throw new BadArchiveError(`${where}: Layers is not a list of paths`);
  }
  const configPath = entry.Config;
  const {
    value,
    digest,
    bytes: configBytes,
  } = await readMemberJson<unknown>(members, configPath, digestFromPath(configPath));
  const config = parseImageConfig(value, `${members.where}: config ${configPath}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layerPaths = entry.Layers as string[];
  if (diffIds.length !== layerPaths.length) {
    throw new BadArchiveError(
      `${members.where}: ${configPath} names ${diffIds.length} layers (rootfs.diff_ids) but manifest.json lists ` +
        `${layerPaths.length}`,
    );
  }
  const history = layerHistory(config, layerPaths.length);
  const layers = layerPaths.map((path, i): Layer => {
    const size = members.size(path);
    if (size === undefined)
      throw new BadArchiveError(`${members.where}: missing layer ${path} (layer ${i + 1} of ${where})`);
    const digest = digestFromPath(path);
    const diffId = diffIds[i];
    const id = digest ?? path.replace(/\/layer\.tar$/, '');
    return {
      id,
      size,
      ...(digest !== undefined ? { digest } : {}),
      ...(isDigest(diffId) ? { diffId } : {}),
      mediaType:
        (diffId !== undefined ? entry.LayerSources?.[diffId]?.mediaType : undefined) ?? DOCKER_LAYER_MEDIA_TYPE,
      ...(history[i] !== undefined ? { createdBy: history[i] } : {}),
      where: `layer ${i + 1} (${shortId(id)}) of ${members.where}`,
      open: () => members.open(path),
      openFile: () => members.openFile(path),
    };
  });
  const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
  const platform = platformOf(config);
  return {
    id: digest,
    names: tags.map(parseImageName),
    config,
    configBytes,
    layers,
    ...(platform ? { platform } : {}),
  };
}
