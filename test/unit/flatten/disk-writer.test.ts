/**
 * The directory writer sets only what creation did not already give: these cases are the ones
 * where creation gives something else (another owner, a mode the umask cuts, setuid, a setgid
 * parent's group), and the result must still be exactly the layer's metadata.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpackRootfs } from '../../../src/flatten/rootfs.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import { summarizeDirectory, type Summary } from '../../helpers/summary.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

const root = process.getuid?.() === 0;

const LAYER: EntrySpec[] = [
  { path: 'etc/', mode: 0o755 },
  { path: 'etc/plain', content: 'root 0644', mode: 0o644 },
  { path: 'etc/open', content: 'root 0666', mode: 0o666 },
  { path: 'etc/exec', content: 'root 0777', mode: 0o777 },
  { path: 'etc/suid', content: 'root 4755', mode: 0o4755 },
  { path: 'etc/owned', content: 'app 0644', mode: 0o644, uid: 1000, gid: 1000 },
  { path: 'etc/group-only', content: 'root:50 2755', mode: 0o2755, uid: 0, gid: 50 },
  { path: 'etc/link', type: 'symlink', linkname: 'plain', uid: 1000, gid: 1000 },
  { path: 'home/', mode: 0o755 },
  { path: 'home/app/', mode: 0o700, uid: 1000, gid: 1000 },
];

async function unpackInto(parent: string): Promise<Summary> {
  const archive = await openLocalArchive(writeDockerSave([{ layers: [LAYER], tags: ['modes:1'] }]));
  const target = join(parent, 'rootfs');
  try {
    await unpackRootfs(selectImage(archive), target);
    return summarizeDirectory(target);
  } finally {
    await archive.close();
    rmSync(target, { recursive: true, force: true });
  }
}

function assertExact(summary: Summary): void {
  const expected: Record<string, [string, number, number]> = {
    'etc/plain': ['644', 0, 0],
    'etc/open': ['666', 0, 0],
    'etc/exec': ['777', 0, 0],
    'etc/suid': ['4755', 0, 0],
    'etc/owned': ['644', 1000, 1000],
    'etc/group-only': ['2755', 0, 50],
    'home/app': ['700', 1000, 1000],
  };
  for (const [path, [mode, uid, gid]] of Object.entries(expected)) {
    const record = summary.get(path);
    assert.deepEqual([record?.mode.slice(-4).replace(/^0/, ''), record?.uid, record?.gid], [mode, uid, gid], path);
  }
  assert.deepEqual([summary.get('etc/link')?.uid, summary.get('etc/link')?.gid], [1000, 1000], 'etc/link');
}

test(
  'modes and owners come out exact under a umask that cuts group and other bits',
  { skip: root ? false : 'needs root' },
  async () => {
    const previous = process.umask(0o077);
    try {
      assertExact(await unpackInto(tempDir()));
    } finally {
      process.umask(previous);
    }
  },
);

test(
  "under a setgid folder of another group, files still get the layer's group",
  { skip: root ? false : 'needs root' },
  async () => {
    const parent = join(tempDir(), 'shared');
    mkdirSync(parent);
    chownSync(parent, 0, 4321);
    chmodSync(parent, 0o2775);
    assertExact(await unpackInto(parent));
  },
);
