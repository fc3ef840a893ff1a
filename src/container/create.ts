/**
 * Making a container, as `docker create` does: the image's layers unpacked into the cache (once
 * per layer), its run spec with the user's overrides, its volumes made and filled, free host ports
 * for -P, and the record. Everything is made in a temporary folder that becomes the container
 * only when complete, so an interrupted create leaves no half-made container.
 */
import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cacheImage } from '../cache/image-cache.js';
import { type ImageView, openImageView } from '../cache/image-view.js';
import { loadRunSpec } from '../config/load-run-spec.js';
import type { RunOverrides, RunSpec } from '../config/run-spec.js';
import { UsageError } from '../errors.js';
import { probeDirectory, resolveDirectory } from '../flatten/directory-probe.js';
import type { FlattenProgress } from '../flatten/rootfs-tar.js';
import { describeImage } from '../image/select.js';
import type { Image } from '../image/types.js';
import { planHost } from '../launch/prepare-run.js';
import type { BindMount, Publish, RunRequest } from '../launch/run-request.js';
import type { LogOptions } from './log-options.js';
import { abandonContainer, beginContainer, commitContainer, type Container } from './records.js';
import type { RestartPolicy } from './restart-policy.js';
import { cleanPath, type VolumeMount, type VolumeRequest } from './volume-mounts.js';
import { fillVolume, openVolume } from './volume-store.js';

/** CreateOptions are a container's request and settings, and the create's surroundings. */
export interface CreateOptions {
  request: RunRequest;
  overrides: RunOverrides;
  restart: RestartPolicy;
  autoRemove: boolean;
  log: LogOptions;
  /** volumes are the -v flags naming volumes; request.volumes holds the binds */
  volumes: VolumeRequest[];
  /** publishAll is -P: every exposed port to a free host port */
  publishAll: boolean;
  cacheRoot: string;
  /** where names the image in messages */
  where: string;
  /** command names the command for messages: run or create */
  command: string;
  signal: AbortSignal;
  warn: (message: string) => void;
  progress?: FlattenProgress;
}

/** freePort asks the kernel for a host port no one listens on. */
async function freePort(protocol: Publish['protocol']): Promise<number> {
  if (protocol === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    const { port } = socket.address();
    socket.close();
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** publishAll maps every port the image exposes, and no -p covers, to a free host port. */
async function publishAll(spec: RunSpec, request: RunRequest): Promise<Publish[]> {
  const published = new Set(request.publish.map((p) => `${p.container}/${p.protocol}`));
  const added: Publish[] = [];
  for (const range of spec.ports) {
    if (range.protocol === 'sctp') continue;
    for (let container = range.port; container <= range.end; container += 1) {
      if (published.has(`${container}/${range.protocol}`)) continue;
      added.push({ host: await freePort(range.protocol), container, protocol: range.protocol });
    }
  }
  return added;
}

/**
 * volumeMounts makes the container's volumes: each -v naming one, and an anonymous one for every
 * image VOLUME no -v covers. A volume made now is filled from the image's content at its path.
 */
function volumeMounts(
  root: string,
  rootfs: string,
  spec: RunSpec,
  options: CreateOptions,
): { mounts: VolumeMount[]; binds: BindMount[] } {
  const covered = new Set(
    [...options.request.volumes.map((b) => b.container), ...options.volumes.map((v) => v.container)].map(cleanPath),
  );
  const wanted: VolumeRequest[] = [
    ...options.volumes,
    ...spec.volumes
      .filter((path) => !covered.has(cleanPath(path)))
      .map((container) => ({ container, readOnly: false })),
  ];
  const mounts: VolumeMount[] = [];
  const binds: BindMount[] = [];
  for (const want of wanted) {
    const { volume, fresh } = openVolume(root, want.name);
    const source = resolveDirectory(rootfs, want.container);
    if (fresh && source !== undefined) fillVolume(volume, source);
    mounts.push({ name: volume.name, container: want.container, readOnly: want.readOnly, anonymous: volume.anonymous });
    binds.push({ host: volume.mountpoint, container: want.container, readOnly: want.readOnly, volume: true });
  }
  return { mounts, binds };
}

/** createContainer makes a container of `image` as asked, and returns it, not started. */
export async function createContainer(image: Image, options: CreateOptions): Promise<Container> {
  const { container, view } = await createHoldingView(image, options);
  await view.close();
  return container;
}

/**
 * createHoldingView makes the container as createContainer does, and hands over the view of its
 * image it read, still open: a run that starts the container at once prepares it from there
 * rather than mounting the image's layers a second time. The caller closes it.
 */
export async function createHoldingView(
  image: Image,
  options: CreateOptions,
): Promise<{ container: Container; view: ImageView }> {
  const { request, cacheRoot: root, signal } = options;
  if (options.publishAll && request.network !== 'veth')
    throw new UsageError(
      `${options.command}: -P needs --network veth: with the host's network its ports are the host's`,
    );
  planHost(request, options.command);
  const pending = beginContainer(root, request.name, image.id);
  try {
    const { record } = await cacheImage(root, image, {
      signal,
      warn: options.warn,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const view = await openImageView(root, record, options.where);
    try {
      const { spec } = loadRunSpec(image, {
        where: options.where,
        overrides: options.overrides,
        name: request.name,
        warn: options.warn,
        probe: probeDirectory(view.dir),
      });
      signal.throwIfAborted();
      const { mounts, binds } = volumeMounts(root, view.dir, spec, options);
      const publish = options.publishAll ? [...request.publish, ...(await publishAll(spec, request))] : request.publish;
      for (const folder of ['upper', 'work', 'merged']) mkdirSync(join(pending.dir, folder), { mode: 0o700 });
      signal.throwIfAborted();
      const container = commitContainer(root, pending, {
        id: pending.id,
        name: request.name,
        image: image.id,
        imageName: describeImage(image),
        created: new Date().toISOString(),
        spec,
        request: { ...request, volumes: [...request.volumes, ...binds], publish },
        restart: options.restart,
        autoRemove: options.autoRemove,
        log: options.log,
        volumes: mounts,
      });
      return { container, view };
    } catch (error) {
      await view.close();
      throw error;
    }
  } catch (error) {
    abandonContainer(pending);
    throw error;
  }
}
