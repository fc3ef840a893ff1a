/**
 * The undocker library: open image archives, read their configs, flatten their layers, and
 * generate systemd-nspawn and LXC configurations from them, run and install them, and build
 * images from root file systems.
 */
export * from './errors.js';
export type * from './image/types.js';
export { openImageArchive, type OpenOptions } from './registry/open-input.js';
export { selectImage, describeImage } from './image/select.js';
export { selectLayers } from './image/select-layers.js';
export { toConfigView, type ConfigView } from './image/config-view.js';
export { parsePlatform, formatPlatform, hostPlatform } from './image/platform.js';
export { unpackRootfs, streamRootfsTar, writeRootfsTar, type UnpackOptions } from './flatten/rootfs.js';
export { rootfsTarChunks, type FlattenOptions } from './flatten/rootfs-tar.js';
export { layerTarBytes } from './flatten/layer-entries.js';
export {
  walkLayers,
  fateOf,
  type Change,
  type ChangeKind,
  type Fate,
  type LayerWalk,
  type WalkedEntry,
} from './explore/layer-walk.js';
export { layerUsage, type LayerUsage } from './explore/layer-usage.js';
export { toPathMatcher } from './explore/path-match.js';
export { readTar, type TarItem } from './tar/reader.js';
export { encodeEntry, END_OF_ARCHIVE, dataPadding } from './tar/writer.js';
export { newEntry, type TarEntry, type EntryType } from './tar/entry.js';
export {
  toRunSpec,
  DEFAULT_PATH,
  type RunSpec,
  type RunOverrides,
  type RunSpecInput,
  type Port,
} from './config/run-spec.js';
export {
  GETENT_PATHS,
  loadRunSpec,
  USER_DB_FILES,
  type ImageRunSpec,
  type LoadOptions,
} from './config/load-run-spec.js';
export { resolveUser, type ResolvedUser } from './config/resolve-user.js';
export { probeRootfs } from './flatten/rootfs-probe.js';
export { probeDirectory } from './flatten/directory-probe.js';
export { renderNspawnUnit, type NspawnOptions, type NspawnNetwork } from './generate/nspawn-unit.js';
export { renderLxcConfig, type LxcOptions } from './generate/lxc-config.js';
export { writeLxcTemplate, lxcCreateArgs } from './install/lxc-template.js';
export { runImage, type RunImageOptions } from './container/run-image.js';
export { createContainer, type CreateOptions } from './container/create.js';
export {
  startDetached,
  runAttached,
  stopContainer,
  killContainer,
  waitContainer,
  forceRemove,
  removeStopped,
} from './container/lifecycle.js';
export { execInContainer, type ExecRequest } from './container/exec.js';
export {
  findContainer,
  listContainers,
  type Container,
  type ContainerConfig,
  type ContainerState,
} from './container/records.js';
export { currentState, isRunning } from './container/ownership.js';
export { parseRestartPolicy, type RestartPolicy } from './container/restart-policy.js';
export { listVolumes, findVolume, type Volume } from './container/volume-store.js';
export { toNspawnArgv } from './launch/nspawn-argv.js';
export { toLxcRunConfig, toLxcExecuteArgv } from './launch/lxc-run-config.js';
export {
  parseBindMount,
  parsePublish,
  type RunRequest,
  type Runtime,
  type Network,
  type BindMount,
  type Publish,
} from './launch/run-request.js';
export { cacheRoot } from './cache/cache-root.js';
export {
  cacheImage,
  cachedImageOf,
  listCachedImages,
  findCachedImage,
  removeCachedImage,
  pruneCache,
  type CachedImage,
} from './cache/image-cache.js';
export { openImageView, type ImageView } from './cache/image-view.js';
export { installNspawnMachine, uninstallNspawnMachine, MACHINES_DIR, NSPAWN_DIR } from './install/nspawn-machine.js';
export { installLxcContainer, uninstallLxcContainer } from './install/lxc-container.js';
export { importRootfs, type ImportOptions, type ImportFormat } from './import/import-rootfs.js';
export { toImportConfig, parseCommandForm, parseExpose, type ConfigChanges } from './import/image-config.js';
export { writeDockerArchive, type ArchiveImage } from './write/docker-archive.js';
export { writeOciArchive, type OciArchiveImage } from './write/oci-archive.js';
