/**
 * Writes image archives of every format undocker reads, from layer tars built in code:
 * docker save (1.10-24, legacy, 25+), OCI layout directories and oci-archive tars, ACI.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageConfigFile } from '../../src/image/types.js';
import { makeTar, type EntrySpec } from './tar-builder.js';

/** sha256 returns the hex sha256 of bytes. */
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** tempDir makes a fresh temporary directory, removed when the test process ends. */
export function tempDir(prefix = 'undocker-test-'): string {
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeMade);
  made.push(dir);
  return dir;
}

/** made are the folders tempDir made in this test process; a run of the suite left ~1 GB of them. */
const made: string[] = [];

/** removeMade removes them as the process ends, except one something is still mounted in: rm would go through it. */
function removeMade(): void {
  const mountpoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '');
  for (const dir of made) {
    if (mountpoints.some((point) => point === dir || point.startsWith(`${dir}/`))) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      // The archive writeDockerSave and its kin tar a folder into, beside it.
      rmSync(`${dir}.tar`, { force: true });
    } catch {
      // what a test made unremovable stays, as before
    }
  }
}

/** Compress names how a test stores a layer. */
export type Compress = 'none' | 'gzip' | 'zstd';

function compress(data: Buffer, how: Compress): Buffer {
  if (how === 'gzip') return gzipSync(data);
  if (how === 'zstd') return execFileSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 });
  return data;
}

/** ImageSpec is what a test wants in an image. */
export interface ImageSpec {
  /** layers are entries to build a tar of, or a tar made elsewhere (by GNU tar, Python, ...). */
  layers: Array<EntrySpec[] | Buffer>;
  tags?: string[];
  config?: ImageConfigFile['config'];
  platform?: { os: string; architecture: string; variant?: string };
  history?: string[];
}

function configFor(spec: ImageSpec, layerTars: Buffer[]): Buffer {
  const config: ImageConfigFile = {
    architecture: spec.platform?.architecture ?? 'amd64',
    os: spec.platform?.os ?? 'linux',
    ...(spec.platform?.variant ? { variant: spec.platform.variant } : {}),
    config: spec.config ?? { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layerTars.map((t) => `sha256:${sha256(t)}`) },
    history: (spec.history ?? layerTars.map((_, i) => `layer ${i + 1}`)).map((line) => ({ created_by: line })),
  };
  return Buffer.from(JSON.stringify(config));
}

/** layerTar is a layer's tar: built from entries, or as given. */
function layerTar(layer: EntrySpec[] | Buffer): Buffer {
  return Buffer.isBuffer(layer) ? layer : makeTar(layer);
}

function writeFiles(root: string, files: Record<string, Buffer | string>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
}

/** tarDirectory packs a directory into a tar file with GNU tar (an independent writer). */
export function tarDirectory(directory: string, output: string, extra: string[] = []): string {
  execFileSync('tar', ['-C', directory, '-cf', output, ...extra, '.']);
  return output;
}

/** writeDockerSave writes a Docker 1.10-24 style `docker save` directory and returns its path. */
export function writeDockerSaveDir(
  images: ImageSpec[],
  options: { legacy?: boolean; corrupt?: (files: Record<string, Buffer | string>) => void } = {},
): string {
  const files: Record<string, Buffer | string> = {};
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const spec of images) {
    const tars = spec.layers.map(layerTar);
    const config = configFor(spec, tars);
    const configHex = sha256(config);
    files[`${configHex}.json`] = config;
    let parent = '';
    const layerPaths = tars.map((tar, i) => {
      // A v1 id per layer, chained by parent as the legacy format wants.
      const id = sha256(`${parent}${sha256(tar)}${i}${configHex}`);
      files[`${id}/layer.tar`] = tar;
      files[`${id}/VERSION`] = '1.0';
      files[`${id}/json`] = JSON.stringify({
        id,
        ...(parent ? { parent } : {}),
        os: 'linux',
        architecture: 'amd64',
        container_config: { Cmd: ['/bin/sh', '-c', `layer ${i + 1}`] },
        ...(i === tars.length - 1 ? { config: spec.config ?? { Cmd: ['/bin/sh'] } } : {}),
      });
      parent = id;
      return `${id}/layer.tar`;
    });
    for (const tag of spec.tags ?? []) {
      const colon = tag.lastIndexOf(':');
      (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = parent;
    }
    manifest.push({ Config: `${configHex}.json`, RepoTags: spec.tags ?? [], Layers: layerPaths });
  }
  if (!options.legacy) files['manifest.json'] = JSON.stringify(manifest);
  if (Object.keys(repositories).length > 0) files.repositories = JSON.stringify(repositories);
  options.corrupt?.(files);
  const root = tempDir('undocker-save-');
  writeFiles(root, files);
  return root;
}

/** writeDockerSave writes a `docker save` tar (any era) and returns its path. */
export function writeDockerSave(images: ImageSpec[], options: Parameters<typeof writeDockerSaveDir>[1] = {}): string {
  const dir = writeDockerSaveDir(images, options);
  return tarDirectory(dir, `${dir}.tar`);
}

/** writeOciLayout writes an OCI image layout directory (optionally with Docker 25's manifest.json). */
export function writeOciLayout(
  images: ImageSpec[],
  options: {
    compress?: Compress;
    index?: 'flat' | 'nested';
    dockerManifest?: boolean;
    symlinkLayers?: boolean;
    tamper?: (blobs: Map<string, Buffer>) => void;
  } = {},
): string {
  const root = tempDir('undocker-oci-');
  const blobs = new Map<string, Buffer>();
  const put = (data: Buffer): { digest: string; size: number } => {
    const hex = sha256(data);
    blobs.set(hex, data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const descriptors: unknown[] = [];
  const dockerManifest: unknown[] = [];
  const layerMediaType = {
    none: 'application/vnd.oci.image.layer.v1.tar',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  }[options.compress ?? 'none'];
  for (const spec of images) {
    const tars = spec.layers.map(layerTar);
    const config = put(configFor(spec, tars));
    const layers = tars.map((tar) => ({
      mediaType: layerMediaType,
      ...put(compress(tar, options.compress ?? 'none')),
    }));
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers,
        }),
      ),
    );
    const tag = spec.tags?.[0];
    descriptors.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: spec.platform ?? { os: 'linux', architecture: 'amd64' },
      ...(tag && options.index !== 'nested' ? { annotations: { 'org.opencontainers.image.ref.name': tag } } : {}),
    });
    dockerManifest.push({
      Config: `blobs/sha256/${config.digest.slice(7)}`,
      RepoTags: spec.tags ?? [],
      Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    });
  }
  let top = descriptors;
  if (options.index === 'nested') {
    const inner = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: descriptors,
        }),
      ),
    );
    top = [
      {
        mediaType: 'application/vnd.oci.image.index.v1+json',
        ...inner,
        annotations: { 'org.opencontainers.image.ref.name': images[0]?.tags?.[0] ?? 'latest' },
      },
    ];
  }
  options.tamper?.(blobs);
  const files: Record<string, Buffer | string> = {
    'oci-layout': JSON.stringify({ imageLayoutVersion: '1.0.0' }),
    'index.json': JSON.stringify({ schemaVersion: 2, manifests: top }),
  };
  for (const [hex, data] of blobs) files[`blobs/sha256/${hex}`] = data;
  if (options.dockerManifest) files['manifest.json'] = JSON.stringify(dockerManifest);
  writeFiles(root, files);
  if (options.symlinkLayers) {
    // Docker 25+ also writes `<id>/layer.tar` symlinks into blobs/ for old readers.
    for (const entry of dockerManifest as Array<{ Layers: string[] }>) {
      entry.Layers.forEach((layer, i) => {
        const id = sha256(`${layer}${i}`);
        mkdirSync(join(root, id), { recursive: true });
        symlinkSync(`../${layer}`, join(root, id, 'layer.tar'));
        entry.Layers[i] = `${id}/layer.tar`;
      });
    }
    writeFileSync(join(root, 'manifest.json'), JSON.stringify(dockerManifest));
  }
  return root;
}

/** writeAci writes an appc ACI file (tar of `manifest` and `rootfs/`). */
export function writeAci(rootfs: EntrySpec[], manifest: object): string {
  const specs: EntrySpec[] = [
    { path: 'manifest', content: JSON.stringify(manifest) },
    { path: 'rootfs/', type: 'directory' },
    ...rootfs.map((spec) => ({
      ...spec,
      path: `rootfs/${spec.path}`,
      ...(spec.type === 'hardlink' ? { linkname: `rootfs/${spec.linkname}` } : {}),
    })),
  ];
  const path = join(tempDir('undocker-aci-'), 'image.aci');
  writeFileSync(path, makeTar(specs));
  return path;
}
