/**
 * Makes the sample image the README's quick start uses: Debian's busybox-static as a one-layer
 * `docker save` archive, written entirely by undocker's own code (no Docker involved).
 * Usage: node dist/scripts/make-sample-image.js OUTPUT.tar
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeDockerArchive } from '../src/write/docker-archive.js';
import { writeFileAtomically } from '../src/output/atomic.js';
import { newEntry, type TarEntry } from '../src/tar/entry.js';
import { dataPadding, encodeEntry, END_OF_ARCHIVE } from '../src/tar/writer.js';

const BUSYBOX = '/bin/busybox';

async function* layerChunks(): AsyncGenerator<Buffer> {
  const mtime = Math.floor(statSync(BUSYBOX).mtimeMs / 1000);
  const entry = (fields: Partial<TarEntry> & Pick<TarEntry, 'path' | 'type'>): Buffer =>
    encodeEntry(newEntry({ mtime, ...fields }));
  for (const dir of ['bin', 'etc', 'root', 'usr', 'usr/bin', 'usr/sbin', 'sbin', 'var', 'home'])
    yield entry({ path: `${dir}/`, type: 'directory' });
  yield entry({ path: 'tmp/', type: 'directory', mode: 0o1777 });
  const { size } = statSync(BUSYBOX);
  yield entry({ path: 'bin/busybox', type: 'file', mode: 0o755, size });
  for await (const chunk of createReadStream(BUSYBOX)) yield chunk as Buffer;
  yield dataPadding(size);
  const files: Record<string, string> = {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  };
  for (const [path, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    yield entry({ path, type: 'file', size: data.length });
    yield data;
    yield dataPadding(data.length);
  }
  // One symlink per applet, where busybox would install it.
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'bin/busybox') continue;
    yield entry({ path: applet, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' });
  }
  yield END_OF_ARCHIVE;
}

async function main(output: string | undefined): Promise<void> {
  if (output === undefined) throw new Error('usage: make-sample-image OUTPUT.tar');
  if (!existsSync(BUSYBOX) || !readFileSync(BUSYBOX).subarray(0, 4).equals(Buffer.from('\x7fELF'))) {
    throw new Error(`${BUSYBOX} not found: install the busybox-static package`);
  }
  mkdirSync(dirname(output), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'undocker-sample-'));
  try {
    const layer = join(work, 'layer.tar');
    await pipeline(Readable.from(layerChunks()), createWriteStream(layer));
    await writeFileAtomically(output, (stream) =>
      writeDockerArchive(stream, {
        repoTags: ['busybox:latest'],
        layerPaths: [layer],
        config: {
          architecture: process.arch === 'x64' ? 'amd64' : process.arch,
          os: 'linux',
          created: '1970-01-01T00:00:00Z',
          config: {
            Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
            Cmd: ['sh'],
            WorkingDir: '/',
          },
          history: [{ created: '1970-01-01T00:00:00Z', created_by: 'undocker sample: busybox-static' }],
        },
      }).then(() => undefined),
    );
    process.stdout.write(`wrote ${output}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`make-sample-image: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
