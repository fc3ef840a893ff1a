/**
 * The image model every source produces and every sink consumes: an archive holds images, an
 * image is a config plus layers, and a layer is a way to re-open its bytes, never the bytes.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** ArchiveFormat names the kinds of input undocker reads. */
export type ArchiveFormat = 'docker-archive' | 'docker-legacy' | 'oci-layout' | 'aci' | 'registry';

/** Platform is an image's os/architecture/variant triple. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** ImageName is one name an image is known by: a repository (possibly absent) and a tag. */
export interface ImageName {
  repository?: string;
  tag: string;
}

/** HealthcheckConfig is the Docker healthcheck of an image config. */
export interface HealthcheckConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** ContainerConfig is the `config` object of a Docker or OCI image config. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: HealthcheckConfig;
}

/** HistoryEntry is one line of an image config's history. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** ImageConfigFile is an image config document as Docker and OCI define it. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: HistoryEntry[];
}

/** LayerFile is positional access to a layer's stored bytes: `size` bytes of `handle` from `start`. */
export interface LayerFile {
  handle: FileHandle;
  start: number;
  size: number;
  close(): Promise<void>;
}

/** Layer is one filesystem layer, opened on demand. */
export interface Layer {
  /** id is what `undocker layers` shows: a legacy layer id or a blob digest. */
  id: string;
  /** digest, when known, is checked against the stored bytes. */
  digest?: string;
  /** diffId, when known, is checked against the uncompressed tar. */
  diffId?: string;
  mediaType: string;
  /** size is the stored (possibly compressed) size in bytes. */
  size: number;
  createdBy?: string;
  /** pathPrefix keeps only entries under it, with it removed (an ACI's `rootfs/`). */
  pathPrefix?: string;
  /** where names the layer in messages: "layer 2 (sha256:ab12…) of nginx.tar". */
  where: string;
  open(): Readable;
  /** openFile, where the layer is a range of a file, lets a reader skip data by seeking. */
  openFile?(): Promise<LayerFile>;
}

/** Image is one image of an archive. */
export interface Image {
  /** id is the config digest, or a legacy image id. */
  id: string;
  manifestDigest?: string;
  names: ImageName[];
  platform?: Platform;
  config: ImageConfigFile;
  /** configBytes are the config document as stored, where the source has one (its digest is `id`) */
  configBytes?: Buffer;
  layers: Layer[];
}

/** ImageArchive is an opened input: every image it holds, and a way to let go of it. */
export interface ImageArchive {
  where: string;
  format: ArchiveFormat;
  images: Image[];
  close(): Promise<void>;
}

/** RootfsProbe answers questions about the flattened rootfs. */
export interface RootfsProbe {
  /** exists tells whether a path resolves (symlinks followed inside the rootfs). */
  exists(path: string): boolean;
  /** text is a small regular file's content, or undefined if the path is not one. */
  text(path: string): string | undefined;
}
