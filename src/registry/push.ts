/**
 * pushImage uploads an image to a registry (distribution's push flow): each blob the registry
 * lacks (a HEAD first), monolithically or, when large, in chunks; then the manifest. Layers go
 * as they are stored (an uncompressed docker-save layer.tar as an uncompressed OCI layer), so
 * their digests are known or computed in one read; the manifest is an OCI manifest.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { OCI_MEDIA } from '../image/media-types.js';
import { UndockerError } from '../errors.js';
import { sha256Of } from '../image/digest.js';
import type { Image, Layer } from '../image/types.js';
import { detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { peekStream } from '../stream/peek.js';
import { type ClientOptions, RegistryClient } from './client.js';
import { formatReference, type Reference } from './reference.js';

/** CHUNK_BYTES is the size of a PATCH in a chunked upload; smaller blobs go in one PUT. */
export const CHUNK_BYTES = 16 * 1024 * 1024;

const LAYER_TYPES = {
  none: OCI_MEDIA.layer,
  gzip: `${OCI_MEDIA.layer}+gzip`,
  zstd: `${OCI_MEDIA.layer}+zstd`,
} as const;

/** PushOptions say how to reach the registry; `uploaded` hears of each blob sent or found there. */
export interface PushOptions extends ClientOptions {
  uploaded?: (digest: string, sent: boolean) => void;
}

interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  open: () => Readable;
}

async function describeLayer(layer: Layer): Promise<Blob> {
  if (layer.pathPrefix !== undefined)
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `${layer.where}: an ACI layer cannot be pushed as it is; make an image of it with undocker import first`,
    );
  const { head, stream } = await peekStream(layer.open(), MAGIC_BYTES);
  const compression = detectCompression(head);
  if (compression !== 'none' && compression !== 'gzip' && compression !== 'zstd') {
    stream.destroy();
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `${layer.where}: a ${compression} layer has no OCI media type; registries take plain, gzip or zstd layers`,
    );
  }
  let digest = layer.digest;
  let size = layer.size;
  if (digest === undefined) {
    const hash = createHash('sha256');
    size = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    digest = `sha256:${hash.digest('hex')}`;
  } else stream.destroy();
  return { digest, size, mediaType: LAYER_TYPES[compression], open: () => layer.open() };
}

function uploadUrl(client: RegistryClient, location: string | null, digest: string): URL {
  if (location === null)
    throw new UndockerError('UNDOCKER_NETWORK', `${client.host}: an upload was started without a Location`);
  const url = new URL(location, client.base);
  if (digest !== '') url.searchParams.set('digest', digest);
  return url;
}

async function chunks(stream: Readable, size: number): Promise<AsyncGenerator<Buffer>> {
  return (async function* () {
    let pending: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      pending.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      while (length >= size) {
        const all = Buffer.concat(pending);
        yield all.subarray(0, size);
        pending = [all.subarray(size)];
        length -= size;
      }
    }
    if (length > 0) yield Buffer.concat(pending);
  })();
}

async function uploadBlob(client: RegistryClient, blob: Blob, what: string): Promise<boolean> {
  const found = await client.request(`blobs/${blob.digest}`, {
    method: 'HEAD',
    expect: [200, 404],
    what: `${what} check`,
  });
  if (found.status === 200) return false;
  const started = await client.request('blobs/uploads/', {
    method: 'POST',
    expect: [202],
    what: `${what} upload`,
    headers: { 'content-length': '0' },
  });
  let location = started.headers.get('location');
  if (blob.size <= CHUNK_BYTES) {
    const url = uploadUrl(client, location, blob.digest);
    await client.request(url.toString(), {
      method: 'PUT',
      body: blob.open(),
      expect: [201],
      what,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    });
    return true;
  }
  let offset = 0;
  for await (const chunk of await chunks(blob.open(), CHUNK_BYTES)) {
    const response = await client.request(uploadUrl(client, location, '').toString(), {
      method: 'PATCH',
      body: chunk,
      expect: [202],
      what: `${what} chunk at ${offset}`,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.length),
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
    });
    location = response.headers.get('location');
    offset += chunk.length;
  }
  await client.request(uploadUrl(client, location, blob.digest).toString(), {
    method: 'PUT',
    expect: [201],
    what,
    headers: { 'content-length': '0' },
  });
  return true;
}

/** pushImage pushes `image` to `reference` and returns the manifest digest. */
export async function pushImage(image: Image, reference: Reference, options: PushOptions): Promise<string> {
  const client = new RegistryClient(reference, options, 'push');
  const name = formatReference(reference);
  const configBytes = image.configBytes ?? Buffer.from(JSON.stringify(image.config));
  const config: Blob = {
    digest: sha256Of(configBytes),
    size: configBytes.length,
    mediaType: OCI_MEDIA.config,
    open: () => Readable.from([configBytes]),
  };
  const layers: Blob[] = [];
  for (const layer of image.layers) layers.push(await describeLayer(layer));
  for (const [i, blob] of [...layers, config].entries()) {
    const sent = await uploadBlob(
      client,
      blob,
      i < layers.length ? `layer ${i + 1} (${blob.digest}) to ${name}` : `config to ${name}`,
    );
    options.uploaded?.(blob.digest, sent);
  }
  const describe = (blob: Blob): object => ({ mediaType: blob.mediaType, digest: blob.digest, size: blob.size });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MEDIA.manifest,
      config: describe(config),
      layers: layers.map(describe),
    }),
  );
  const target = reference.digest ?? reference.tag ?? 'latest';
  await client.request(`manifests/${target}`, {
    method: 'PUT',
    body: manifest,
    expect: [201],
    what: `manifest ${name}`,
    headers: { 'content-type': OCI_MEDIA.manifest, 'content-length': String(manifest.length) },
  });
  return sha256Of(manifest);
}
