/**
 * pullImage fetches an image from a registry into the local store: the manifest (from an
 * index, the one for the platform), the config, and the layers the store lacks, several at
 * once, each checked against its digest. The image it returns reads its layers from the store.
 */
import { BadArchiveError } from '../errors.js';
import { DirMembers } from '../image/dir-members.js';
import { parseImageName } from '../image/names.js';
import { imageFromManifest } from '../image/oci-layout.js';
import { hostPlatform } from '../image/platform.js';
import type { Image, Platform } from '../image/types.js';
import { type BlobStore } from './blob-store.js';
import { type ClientOptions, RegistryClient } from './client.js';
import { choosePlatform, type Descriptor, fetchManifest, isIndex } from './manifests.js';
import { formatReference, type Reference } from './reference.js';

/** PullProgress hears how a pull is going. */
export interface PullProgress {
  /** start says how many layers and bytes are to come (those not in the store already) */
  start(layers: number, bytes: number): void;
  bytes(count: number): void;
  layerDone(): void;
}

/** PullOptions say how to reach the registry and which platform to take. */
export interface PullOptions extends ClientOptions {
  store: BlobStore;
  platform?: Platform;
  progress?: PullProgress;
  /** concurrency is how many layers download at once */
  concurrency?: number;
}

/** PulledImage is the pulled image and where its manifest lives. */
export interface PulledImage {
  image: Image;
  manifestDigest: string;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(workers);
}

/** pullImage pulls `reference` into the store and returns its image. */
export async function pullImage(reference: Reference, options: PullOptions): Promise<PulledImage> {
  const { store } = options;
  const client = new RegistryClient(reference, options, 'pull');
  const name = formatReference(reference);
  let manifest = await fetchManifest(client, reference.digest ?? reference.tag ?? 'latest', `manifest ${name}`);
  let platform: Platform | undefined;
  if (isIndex(manifest)) {
    const chosen = choosePlatform(manifest, options.platform ?? hostPlatform(), `index ${name}`);
    platform = chosen.platform;
    manifest = await fetchManifest(client, chosen.digest, `manifest ${chosen.digest} of ${name}`);
  }
  const config = manifest.document.config;
  if (config?.digest === undefined) throw new BadArchiveError(`manifest ${name} has no config descriptor`);
  if (!store.has(config.digest)) {
    const response = await client.request(`blobs/${config.digest}`, {
      expect: [200],
      what: `config ${config.digest} of ${name}`,
    });
    await store.put(config.digest, Buffer.from(await response.arrayBuffer()), `config of ${name}`);
  }
  const missing = (manifest.document.layers ?? []).filter(
    (layer, i, all) => !store.has(layer.digest) && all.findIndex((l) => l.digest === layer.digest) === i,
  );
  options.progress?.start(
    missing.length,
    missing.reduce((sum, layer) => sum + (layer.size ?? 0), 0),
  );
  await inParallel<Descriptor>(missing, options.concurrency ?? 3, async (layer) => {
    await store.download(
      client,
      layer.digest,
      layer.size,
      `layer ${layer.digest} of ${name}`,
      (count) => options.progress?.bytes(count),
      options.signal,
    );
    options.progress?.layerDone();
  });
  await store.put(manifest.digest, manifest.bytes, `manifest of ${name}`);
  await store.setRef(name, manifest.digest);
  const names =
    reference.tag !== undefined
      ? [parseImageName(`${reference.registry}/${reference.repository}:${reference.tag}`)]
      : [];
  const members = new DirMembers(`docker://${name}`, store.root);
  const image = await imageFromManifest(
    members,
    manifest.document as Record<string, unknown>,
    manifest.digest,
    names,
    platform,
  );
  return { image, manifestDigest: manifest.digest };
}
