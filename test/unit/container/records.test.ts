import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEW_RECORD } from '../../../src/cache/container-dirs.js';
import { cacheImage, listCachedImages, pruneCache, removeCachedImage } from '../../../src/cache/image-cache.js';
import { claimContainer, currentState, isRunning, releaseContainer } from '../../../src/container/ownership.js';
import {
  abandonContainer,
  beginContainer,
  commitContainer,
  type Container,
  type ContainerConfig,
  findContainer,
  listContainers,
  writeState,
} from '../../../src/container/records.js';
import { removeContainer } from '../../../src/container/remove.js';
import { identify } from '../../../src/host/process-identity.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';

async function cachedImage(root: string, tag: string): Promise<string> {
  const archive = await openLocalArchive(
    writeDockerSave([{ layers: [[{ path: 'etc/' }]], tags: [tag], config: { Cmd: ['/bin/sh'] } }]),
  );
  try {
    const image = selectImage(archive);
    await cacheImage(root, image);
    return image.id;
  } finally {
    await archive.close();
  }
}

function make(root: string, name: string, image: string): Container {
  const pending = beginContainer(root, name, image);
  return commitContainer(root, pending, {
    id: pending.id,
    name,
    image,
    imageName: 'used:1',
    created: new Date().toISOString(),
    volumes: [],
  } as unknown as ContainerConfig);
}

test('an image any container uses, running or not, or one being made, is neither removed nor pruned', async () => {
  const root = tempDir();
  const image = await cachedImage(root, 'used:1');
  const pending = beginContainer(root, 'c1', image);
  const [record] = listCachedImages(root);
  assert.throws(() => removeCachedImage(root, record as never), /in use by container c1: remove it first/);
  assert.deepEqual(pruneCache(root), [], 'a container being made keeps its image');
  abandonContainer(pending);
  const container = make(root, 'c1', image);
  assert.deepEqual(pruneCache(root), [], 'a container that is not running keeps its image too');
  assert.throws(() => make(root, 'c1', image), /the container name c1 is already in use by container [0-9a-f]{12}/);
  assert.equal(listContainers(root).length, 1, 'the refused one left nothing');
  removeContainer(root, container, { volumes: true });
  // Its one layer goes with it: no other image uses it.
  const pruned = pruneCache(root);
  assert.deepEqual(pruned.slice(0, 1), ['used:1']);
  assert.match(pruned.slice(1).join(' '), /^layer [0-9a-f]{12}$/);
});

test('while a container is being made, prune keeps every layer: its image may stack any of them', async () => {
  const root = tempDir();
  await cachedImage(root, 'old:1');
  // A run has begun a container of an image it has not recorded yet.
  const pending = beginContainer(root, 'next', 'sha256:' + 'e'.repeat(64));
  assert.deepEqual(pruneCache(root), ['old:1']);
  assert.equal(readdirSync(join(root, 'layers')).length, 1, "the old image's layer stays for now");
  abandonContainer(pending);
  assert.match(pruneCache(root).join(' '), /^layer [0-9a-f]{12}$/, 'and goes once no container is being made');
});

test('a create interrupted by a kill leaves only a folder prune removes; ps never lists it', async () => {
  const root = tempDir();
  const image = await cachedImage(root, 'cut:1');
  const dir = join(root, 'containers', '.new-deadbeef');
  mkdirSync(dir, { recursive: true });
  const dead = identify(spawnSync('true').pid ?? 0) ?? { pid: 999_999_999, start: 1 };
  writeFileSync(join(dir, NEW_RECORD), JSON.stringify({ name: 'cut', image, maker: dead }));
  assert.deepEqual(listContainers(root), []);
  assert.deepEqual(pruneCache(root).slice(0, 2), ['unfinished container cut', 'cut:1']);
  assert.deepEqual(readdirSync(join(root, 'containers')), []);
});

test('containers are found by name, whole id or unique id prefix, as docker finds them', async () => {
  const root = tempDir();
  const image = await cachedImage(root, 'find:1');
  const a = make(root, 'alpha', image);
  make(root, 'beta', image);
  assert.equal(findContainer(root, 'alpha').config.id, a.config.id);
  assert.equal(findContainer(root, a.config.id).config.name, 'alpha');
  assert.equal(findContainer(root, a.config.id.slice(0, 12)).config.name, 'alpha');
  assert.throws(() => findContainer(root, 'gamma'), /no such container: gamma/);
  assert.throws(() => findContainer(root, ''), /no such container/);
});

test('ownership: one owner at a time; a killed owner is replaced; running while the runtime lives', async () => {
  const root = tempDir();
  const image = await cachedImage(root, 'own:1');
  const container = make(root, 'owned', image);
  assert.equal(claimContainer(container), true);
  assert.equal(claimContainer(container), false, 'a second start finds it running');
  releaseContainer(container);
  // An owner killed with SIGKILL leaves its claim: the next start replaces it.
  const dead = identify(spawnSync('true').pid ?? 0) ?? { pid: 999_999_999, start: 1 };
  writeFileSync(join(container.dirs.dir, 'owner.json'), JSON.stringify(dead));
  assert.equal(isRunning(container), false);
  assert.equal(claimContainer(container), true);
  releaseContainer(container);
  assert.equal(existsSync(join(container.dirs.dir, 'owner.json')), false);

  // Recorded as running, with its owner gone: running while the runtime lives, then exited, code unknown.
  const runtime = spawn('sleep', ['30']);
  writeState(container, {
    status: 'running',
    owner: dead,
    runtime: identify(runtime.pid as number) as never,
    exitCode: 0,
    restartCount: 0,
  });
  assert.equal(currentState(container).status, 'running');
  runtime.kill('SIGKILL');
  await once(runtime, 'exit');
  const state = currentState(container);
  assert.equal(state.status, 'exited');
  assert.equal(state.exitCode, undefined, 'nobody saw its status');
});
