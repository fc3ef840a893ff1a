/**
 * The undocker library: open image archives, read their configs, flatten their layers.
 */
export * from './errors.js';
export type * from './image/types.js';
export { openImageArchive, type OpenOptions } from './image/open-archive.js';
export { selectImage, describeImage } from './image/select.js';
export { selectLayers } from './image/select-layers.js';
export { toConfigView, type ConfigView } from './image/config-view.js';
export { parsePlatform, formatPlatform, hostPlatform } from './image/platform.js';
export { unpackRootfs, streamRootfsTar, writeRootfsTar, type UnpackOptions } from './flatten/rootfs.js';
export { rootfsTarChunks, type FlattenOptions } from './flatten/rootfs-tar.js';
export { readTar, type TarItem } from './tar/reader.js';
export { encodeEntry, END_OF_ARCHIVE, dataPadding } from './tar/writer.js';
export { newEntry, type TarEntry, type EntryType } from './tar/entry.js';
