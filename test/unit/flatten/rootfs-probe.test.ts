import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GETENT_PATHS, loadRunSpec, USER_DB_FILES } from '../../../src/config/load-run-spec.js';
import { probeRootfs } from '../../../src/flatten/rootfs-probe.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import type { Image } from '../../../src/image/types.js';
import { writeDockerSave } from '../../helpers/archives.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

async function withImage<T>(layers: EntrySpec[][], config: object, fn: (image: Image) => Promise<T>): Promise<T> {
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: ['probe:latest'], config }]));
  try {
    return await fn(selectImage(archive));
  } finally {
    await archive.close();
  }
}

test('the probe reads the file the flattened image shows: upper layers, whiteouts and symlinks applied', async () => {
  const layers: EntrySpec[][] = [
    [
      { path: 'etc/' },
      { path: 'etc/passwd', content: 'lower' },
      { path: 'etc/group', content: 'group-lower' },
      { path: 'etc/gone', content: 'x' },
    ],
    [
      { path: 'etc/.wh.gone' },
      { path: 'etc/passwd', content: 'upper' },
      { path: 'real/' },
      { path: 'real/group', content: 'group-real' },
    ],
    [{ path: 'etc/.wh.group' }, { path: 'etc/group', linkname: '../real/group' }],
  ];
  await withImage(layers, { Cmd: ['/bin/sh'] }, async (image) => {
    const probe = await probeRootfs(image, ['etc/passwd', 'etc/group', 'etc/gone', 'etc/missing']);
    assert.equal(probe.text('etc/passwd'), 'upper');
    assert.equal(probe.text('etc/group'), 'group-real', 'a symlink is followed inside the rootfs');
    assert.equal(probe.text('etc/gone'), undefined);
    assert.equal(probe.exists('etc/gone'), false);
    assert.equal(probe.exists('real/group'), true);
    assert.equal(probe.text('etc/missing'), undefined);
  });
});

test("the run spec resolves User with the image's own passwd and group, and notes getent", async () => {
  const layers: EntrySpec[][] = [
    [
      { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:web:/var/www:/bin/sh\n' },
      { path: 'etc/group', content: 'root:x:0:\nweb:x:33:\nlogs:x:4:web\n' },
      { path: 'usr/bin/getent', content: '#!/bin/sh\n', mode: 0o755 },
    ],
  ];
  await withImage(layers, { Entrypoint: ['/srv/app'], User: 'web' }, async (image) => {
    const probe = await probeRootfs(image, USER_DB_FILES);
    const { spec, hasGetent } = loadRunSpec(image, { where: 'image probe:latest', probe });
    assert.deepEqual([spec.user.uid, spec.user.gid, spec.user.groups, spec.user.home], [33, 33, [4, 33], '/var/www']);
    assert.equal(hasGetent, true);
    assert.equal(spec.hostname, 'probe');
  });
  await withImage(
    [[{ path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' }]],
    { Cmd: ['x'], User: 'web' },
    async (image) => {
      const probe = await probeRootfs(image, [...USER_DB_FILES, ...GETENT_PATHS]);
      assert.throws(() => loadRunSpec(image, { where: 'image probe:latest of p.tar', probe }), {
        message: /image probe:latest of p.tar: User "web": unable to find user web/,
      });
    },
  );
});
