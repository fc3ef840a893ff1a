/**
 * Every input format undocker reads, built in code, read back to the same root filesystem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { rootfsTarChunks } from '../../../src/flatten/rootfs-tar.js';
import { unpackRootfs } from '../../../src/flatten/rootfs.js';
import { toConfigView } from '../../../src/image/config-view.js';
import type { ImageArchive } from '../../../src/image/types.js';
import { collect, readableOf } from '../../helpers/flatten.js';
import {
  tarDirectory,
  tempDir,
  writeAci,
  writeDockerSave,
  writeDockerSaveDir,
  writeOciLayout,
  type ImageSpec,
} from '../../helpers/archives.js';
import { summarizeTar } from '../../helpers/summary.js';

const LAYERS: ImageSpec['layers'] = [
  [
    { path: 'etc/' },
    { path: 'etc/os-release', content: 'ID=test\n' },
    { path: 'bin/' },
    { path: 'bin/tool', content: 'v1', mode: 0o755 },
  ],
  [
    { path: 'bin/tool', content: 'v2', mode: 0o755 },
    { path: 'etc/.wh.os-release' },
    { path: 'var/' },
    { path: 'var/log', linkname: '/tmp' },
  ],
];
const IMAGE: ImageSpec = {
  layers: LAYERS,
  tags: ['example/app:1.0'],
  config: { Entrypoint: ['/bin/tool'], Cmd: ['--serve'], Env: ['A=1'], ExposedPorts: { '80/tcp': {} } },
};

async function paths(input: string, selector?: string, stdin?: Buffer): Promise<string[]> {
  const archive = await openLocalArchive(input, stdin ? { stdin: readableOf(stdin) } : {});
  try {
    const summary = await summarizeTar(await collect(rootfsTarChunks(selectImage(archive, selector))));
    return [...summary.keys()].sort();
  } finally {
    await archive.close();
  }
}

const EXPECTED = ['bin', 'bin/tool', 'etc', 'var', 'var/log'];

test('every input format gives the same root filesystem', async (t) => {
  const save = writeDockerSave([IMAGE]);
  const formats: Array<[string, () => string | [string, Buffer]]> = [
    ['docker save, Docker 1.10-24 (manifest.json)', () => save],
    ['legacy docker save (repositories + <id>/json parent chain)', () => writeDockerSave([IMAGE], { legacy: true })],
    ['an extracted docker save directory', () => writeDockerSaveDir([IMAGE])],
    [
      'docker save from Docker 25+ (OCI layout + manifest.json with symlinked layers)',
      () => tarDirectory(writeOciLayout([IMAGE], { symlinkLayers: true }), `${writeOciLayout([IMAGE])}-d25.tar`),
    ],
    ['an OCI layout directory', () => writeOciLayout([IMAGE])],
    [
      'an oci-archive tar with gzip layers',
      () => tarDirectory(writeOciLayout([IMAGE], { compress: 'gzip' }), `${writeOciLayout([IMAGE])}.tar`),
    ],
    ['an OCI layout with zstd layers', () => writeOciLayout([IMAGE], { compress: 'zstd' })],
    [
      'a gzip-compressed docker save',
      () => {
        const p = `${save}.gz`;
        writeFileSync(p, gzipSync(readFileSync(save)));
        return p;
      },
    ],
    [
      'an xz-compressed docker save',
      () => {
        execFileSync('xz', ['-k', '-f', save]);
        return `${save}.xz`;
      },
    ],
    [
      'a zstd-compressed docker save',
      () => {
        execFileSync('zstd', ['-q', '-f', save, '-o', `${save}.zst`]);
        return `${save}.zst`;
      },
    ],
    ['docker save on standard input', () => ['-', readFileSync(save)]],
    ['gzip-compressed docker save on standard input', () => ['-', gzipSync(readFileSync(save))]],
  ];
  for (const [name, make] of formats) {
    await t.test(name, async () => {
      const made = make();
      const [input, stdin] = Array.isArray(made) ? made : [made, undefined];
      assert.deepEqual(await paths(input, undefined, stdin), EXPECTED);
    });
  }
});

test('docker 25 symlinked layer members are followed inside the archive', async () => {
  const dir = writeOciLayout([IMAGE], { symlinkLayers: true });
  const archive = await openLocalArchive(tarDirectory(dir, `${dir}.tar`));
  assert.equal(archive.format, 'docker-archive');
  assert.deepEqual(archive.images[0]?.names, [{ repository: 'example/app', tag: '1.0' }]);
  await archive.close();
});

test('the config is read from every format', async () => {
  for (const input of [writeDockerSave([IMAGE]), writeOciLayout([IMAGE]), writeDockerSave([IMAGE], { legacy: true })]) {
    const archive = await openLocalArchive(input);
    const view = toConfigView(selectImage(archive));
    assert.deepEqual(view.Entrypoint, ['/bin/tool']);
    assert.deepEqual(view.Cmd, ['--serve']);
    assert.deepEqual(view.ExposedPorts, ['80/tcp']);
    await archive.close();
  }
});

test('an ACI file flattens its rootfs and maps its app to a config', async () => {
  const aci = writeAci(
    [
      { path: 'bin/' },
      { path: 'bin/app', content: 'x', mode: 0o755 },
      { path: 'bin/app2', type: 'hardlink', linkname: 'bin/app' },
    ],
    {
      acKind: 'ImageManifest',
      acVersion: '0.8.11',
      name: 'example.com/app',
      labels: [
        { name: 'version', value: '2.0' },
        { name: 'os', value: 'linux' },
        { name: 'arch', value: 'amd64' },
      ],
      app: {
        exec: ['/bin/app', '--flag'],
        user: '1000',
        group: '1000',
        workingDirectory: '/srv',
        environment: [{ name: 'K', value: 'V' }],
        ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
        mountPoints: [{ name: 'data', path: '/data' }],
      },
    },
  );
  const archive = await openLocalArchive(aci);
  assert.equal(archive.format, 'aci');
  const image = selectImage(archive, 'example.com/app:2.0');
  const view = toConfigView(image);
  assert.deepEqual(view.Cmd, ['/bin/app', '--flag']);
  assert.equal(view.User, '1000:1000');
  assert.equal(view.WorkingDir, '/srv');
  assert.deepEqual(view.Env, ['K=V']);
  assert.deepEqual(view.ExposedPorts, ['8080/tcp']);
  assert.deepEqual(view.Volumes, ['/data']);
  const summary = await summarizeTar(await collect(rootfsTarChunks(image)));
  assert.deepEqual([...summary.keys()].sort(), ['bin', 'bin/app', 'bin/app2']);
  assert.equal(summary.get('bin/app2')?.group, 'bin/app');
  await archive.close();
});

test('image selection', async (t) => {
  const two = writeDockerSave([
    { layers: LAYERS, tags: ['busybox:latest', 'busybox:1.36'] },
    { layers: LAYERS.slice(0, 1), tags: ['larsks/thttpd:latest'] },
  ]);
  const archive = await openLocalArchive(two);
  await t.test('several images and none named: fail and list them', () => {
    assert.throws(() => selectImage(archive), {
      code: 'UNDOCKER_AMBIGUOUS',
      message: /archive holds 2 images: busybox:latest, larsks\/thttpd:latest; name one/,
    });
  });
  await t.test('a name without tag means latest', () => assert.equal(selectImage(archive, 'busybox').layers.length, 2));
  await t.test('docker.io/library/ prefixes are implied', () =>
    assert.equal(selectImage(archive, 'docker.io/library/busybox:1.36').layers.length, 2),
  );
  await t.test('a missing tag lists the tags that exist', () => {
    assert.throws(() => selectImage(archive, 'busybox:9'), {
      code: 'UNDOCKER_NOT_FOUND',
      message: /busybox has no tag 9; tags: latest, 1\.36/,
    });
  });
  await t.test('an unknown name lists the images', () => {
    assert.throws(() => selectImage(archive, 'nginx'), {
      message: /no image nginx; it holds: busybox:latest, larsks\/thttpd:latest/,
    });
  });
  await t.test('an image id prefix works', () => {
    const image = archive.images[1];
    assert.equal(selectImage(archive, image?.id.slice(7, 19)), image);
  });
  await archive.close();
});

test('a multi-platform index is chosen from by platform', async (t) => {
  const layout = writeOciLayout(
    [
      {
        layers: [[{ path: 'amd64', content: 'x' }]],
        tags: ['multi'],
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        layers: [[{ path: 'arm64', content: 'y' }]],
        tags: ['multi'],
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
    ],
    { index: 'nested' },
  );
  const archive = await openLocalArchive(layout);
  await t.test('nested index names reach their manifests', () => assert.equal(archive.images.length, 2));
  await t.test('--platform picks one', () =>
    assert.equal(
      selectImage(archive, 'multi', { os: 'linux', architecture: 'arm64' }).layers[0]?.size,
      archive.images[1]?.layers[0]?.size,
    ),
  );
  await t.test('a platform the index lacks lists the ones it has', () => {
    assert.throws(() => selectImage(archive, 'multi', { os: 'linux', architecture: 's390x' }), {
      message: /no image for platform linux\/s390x; it has linux\/amd64, linux\/arm64\/v8/,
    });
  });
  await archive.close();
});

test('config shapes Docker accepts are normalised as Docker does', async (t) => {
  const view = async (config: object) => {
    const archive = await openLocalArchive(writeDockerSave([{ ...IMAGE, config: config as never }]));
    try {
      return toConfigView(selectImage(archive));
    } finally {
      await archive.close();
    }
  };
  await t.test('an Entrypoint and Cmd given as strings are one-element lists (strslice)', async () => {
    const v = await view({ Entrypoint: '/bin/sh -c', Cmd: 'echo hi' });
    assert.deepEqual(v.Entrypoint, ['/bin/sh -c']);
    assert.deepEqual(v.Cmd, ['echo hi']);
  });
  await t.test('null fields are absent', async () => {
    const v = await view({
      Entrypoint: null,
      Cmd: null,
      Env: null,
      Volumes: null,
      Labels: null,
      User: null,
      WorkingDir: null,
    });
    assert.deepEqual(
      [v.Entrypoint, v.Cmd, v.Env, v.Volumes, v.Labels, v.User, v.WorkingDir],
      [[], [], [], [], {}, '', ''],
    );
  });
});

test(
  'a docker save whose config name is not its digest is read, ' + 'with the id of its content (rules_docker)',
  async () => {
    let configBytes = Buffer.alloc(0);
    const archive = await openLocalArchive(
      writeDockerSave([IMAGE], {
        corrupt: (f) => {
          const name = Object.keys(f).find((n) => /^[0-9a-f]{64}\.json$/.test(n)) as string;
          configBytes = Buffer.from(`${String(f[name])} `);
          f[`${'0'.repeat(64)}.json`] = configBytes;
          delete f[name];
          f['manifest.json'] = String(f['manifest.json']).replace(name, `${'0'.repeat(64)}.json`);
        },
      }),
    );
    try {
      const image = selectImage(archive);
      assert.equal(image.id, `sha256:${createHash('sha256').update(configBytes).digest('hex')}`);
      assert.ok((await collect(rootfsTarChunks(image))).length > 0);
    } finally {
      await archive.close();
    }
  },
);

test('bad input fails with one line naming what and where', async (t) => {
  const cases: Array<[string, () => string, string, RegExp]> = [
    [
      'not a tar',
      () => {
        const p = join(writeDockerSaveDir([IMAGE]), 'junk');
        writeFileSync(p, 'hello, this is not a tar archive'.repeat(40));
        return p;
      },
      'UNDOCKER_BAD_ARCHIVE',
      /junk: not a tar archive/,
    ],
    [
      'a truncated archive',
      () => {
        const s = writeDockerSave([IMAGE]);
        const p = `${s}.cut`;
        writeFileSync(p, readFileSync(s).subarray(0, 3000));
        return p;
      },
      'UNDOCKER_BAD_ARCHIVE',
      /truncated archive/,
    ],
    [
      'a tar that is no image',
      () =>
        tarDirectory(
          writeDockerSaveDir([IMAGE], {
            corrupt: (f) => {
              for (const k of Object.keys(f)) delete f[k];
              f['hello.txt'] = 'x';
            },
          }),
          `${writeDockerSaveDir([IMAGE])}.x.tar`,
        ),
      'UNDOCKER_BAD_ARCHIVE',
      /not an image archive/,
    ],
    [
      'malformed manifest.json',
      () =>
        writeDockerSave([IMAGE], {
          corrupt: (f) => {
            f['manifest.json'] = '[{"Config": ';
          },
        }),
      'UNDOCKER_BAD_ARCHIVE',
      /manifest\.json: malformed JSON/,
    ],
    [
      'a manifest naming nothing',
      () =>
        writeDockerSave([IMAGE], {
          corrupt: (f) => {
            f['manifest.json'] = '[]';
          },
        }),
      'UNDOCKER_BAD_ARCHIVE',
      /manifest\.json lists no images/,
    ],
    [
      'a missing layer',
      () =>
        writeDockerSave([IMAGE], {
          corrupt: (f) => {
            const k = Object.keys(f).find((n) => n.endsWith('layer.tar')) as string;
            delete f[k];
          },
        }),
      'UNDOCKER_BAD_ARCHIVE',
      /missing layer [0-9a-f]{64}\/layer\.tar \(layer 1 of/,
    ],
    [
      'a missing OCI blob',
      () =>
        writeOciLayout([IMAGE], {
          tamper: (b) => {
            const k = [...b.keys()].find((h) => b.get(h)?.length === 2048 || (b.get(h)?.length ?? 0) > 1024) as string;
            b.delete(k);
          },
        }),
      'UNDOCKER_BAD_ARCHIVE',
      /missing (layer )?blob sha256:/,
    ],
    [
      'a Docker 25+ config blob whose bytes do not match its digest',
      () => {
        const dir = writeOciLayout([IMAGE], { dockerManifest: true });
        const { Config } = (
          JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Array<{ Config: string }>
        )[0] as { Config: string };
        writeFileSync(join(dir, Config), `${readFileSync(join(dir, Config), 'utf8')} `);
        return tarDirectory(dir, `${dir}.tar`);
      },
      'UNDOCKER_DIGEST_MISMATCH',
      /digest mismatch/,
    ],
    [
      'an Entrypoint that is a number',
      () => writeDockerSave([{ ...IMAGE, config: { Entrypoint: 7 } as never }]),
      'UNDOCKER_BAD_ARCHIVE',
      /\.tar: config [0-9a-f]{64}\.json: Entrypoint: expected an array of strings$/,
    ],
    [
      'an Env that holds a number',
      () => writeDockerSave([{ ...IMAGE, config: { Env: ['A=1', 2] } as never }]),
      'UNDOCKER_BAD_ARCHIVE',
      /config [0-9a-f]{64}\.json: Env: expected an array of strings$/,
    ],
    [
      'a Labels value that is not a string',
      () => writeDockerSave([{ ...IMAGE, config: { Labels: { a: { b: 1 } } } as never }]),
      'UNDOCKER_BAD_ARCHIVE',
      /config [0-9a-f]{64}\.json: Labels\.a: expected a string$/,
    ],
    [
      'an OCI config whose User is a number',
      () => writeOciLayout([{ ...IMAGE, config: { User: 0 } as never }]),
      'UNDOCKER_BAD_ARCHIVE',
      /undocker-oci-\w+: config [0-9a-f]{12}: User: expected a string$/,
    ],
    [
      'a legacy save whose Cmd is an object',
      () => writeDockerSave([{ ...IMAGE, config: { Cmd: { a: 1 } } as never }], { legacy: true }),
      'UNDOCKER_BAD_ARCHIVE',
      /[0-9a-f]{64}\/json: Cmd: expected an array of strings$/,
    ],
    [
      'JSON nested deeper than Go allows',
      () =>
        writeDockerSave([IMAGE], {
          corrupt: (f) => {
            f['manifest.json'] = `${'['.repeat(10_001)}${']'.repeat(10_001)}`;
          },
        }),
      'UNDOCKER_BAD_ARCHIVE',
      /manifest\.json: JSON nested more than 10000 deep/,
    ],
    [
      'no such file',
      () => '/nonexistent/image.tar',
      'UNDOCKER_NOT_FOUND',
      /\/nonexistent\/image\.tar: no such file or directory/,
    ],
    ...(['xz', 'zstd', 'bzip2', 'gzip'] as const).map((program): [string, () => string, string, RegExp] => [
      `a truncated ${program} archive (corrupt compressed input is a bad archive, not an internal error)`,
      () => {
        const p = `${writeDockerSave([IMAGE])}.${program}`;
        writeFileSync(p, execFileSync(program, ['-c', p.slice(0, -program.length - 1)]).subarray(0, 200));
        return p;
      },
      'UNDOCKER_BAD_ARCHIVE',
      new RegExp(`\\.${program}: cannot decompress ${program} data: .+`),
    ]),
    [
      'a corrupt zstd layer',
      () =>
        writeOciLayout([IMAGE], {
          compress: 'zstd',
          tamper: (b) => {
            for (const [hex, data] of b)
              if (data[0] === 0x28 && data.length > 40)
                b.set(hex, Buffer.concat([data.subarray(0, 20), Buffer.alloc(20, 7), data.subarray(40)]));
          },
        }),
      'UNDOCKER_DIGEST_MISMATCH',
      /layer \d \([0-9a-f]{12}\) of undocker-oci-\w+: stored content: digest mismatch/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    await t.test(name, async () => {
      await assert.rejects(
        async () => {
          const archive = await openLocalArchive(make());
          try {
            await collect(rootfsTarChunks(selectImage(archive)));
          } finally {
            await archive.close();
          }
        },
        (error: Error & { code?: string }) => {
          assert.equal(error.code, code, error.message);
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'), 'one line');
          return true;
        },
      );
    });
  }
});

/**
 * rejectsBoth flattens to a tar and into a directory: both fail as `expected`, and the directory is not left behind.
 */
async function rejectsBoth(archive: ImageArchive, expected: { code: string; message: RegExp }): Promise<void> {
  await assert.rejects(collect(rootfsTarChunks(selectImage(archive))), expected, 'tar');
  const target = join(tempDir(), 'rootfs');
  await assert.rejects(unpackRootfs(selectImage(archive), target), expected, 'directory');
  assert.equal(existsSync(target), false, 'the directory is removed');
}

test(
  'layer digests are checked while streaming, for a tar and a ' + 'directory, and a mismatch names the layer',
  async (t) => {
    await t.test('a layer.tar whose diff_id does not match', async () => {
      const input = writeDockerSave([IMAGE], {
        corrupt: (f) => {
          const k = Object.keys(f).filter((n) => n.endsWith('layer.tar'))[1] as string;
          const tar = Buffer.from(f[k] as Buffer);
          tar[600] = (tar[600] as number) ^ 1; // a data byte of the first file
          f[k] = tar;
        },
      });
      const archive = await openLocalArchive(input);
      await rejectsBoth(archive, {
        code: 'UNDOCKER_DIGEST_MISMATCH',
        message: /layer 2 \([0-9a-f]{12}\) of .*: uncompressed content: digest mismatch: expected sha256:/,
      });
      await archive.close();
    });
    await t.test('a layer whose files were all removed above it is still checked', async () => {
      const input = writeDockerSave(
        [{ layers: [[{ path: 'gone', content: 'x'.repeat(600) }], [{ path: '.wh.gone' }]] }],
        {
          corrupt: (f) => {
            const k = Object.keys(f).filter((n) => n.endsWith('layer.tar'))[0] as string;
            const tar = Buffer.from(f[k] as Buffer);
            tar[600] = (tar[600] as number) ^ 1; // file data: the headers still parse
            f[k] = tar;
          },
        },
      );
      const archive = await openLocalArchive(input);
      await rejectsBoth(archive, { code: 'UNDOCKER_DIGEST_MISMATCH', message: /layer 1 / });
      await archive.close();
    });
    await t.test('an OCI blob whose bytes do not match its descriptor', async () => {
      const layout = writeOciLayout([IMAGE], {
        compress: 'gzip',
        tamper: (blobs) => {
          for (const [hex, data] of blobs)
            if (data[0] === 0x1f) {
              const copy = Buffer.from(data);
              copy[copy.length - 5] = (copy[copy.length - 5] as number) ^ 1;
              blobs.set(hex, copy);
              break;
            }
        },
      });
      const archive = await openLocalArchive(layout);
      await rejectsBoth(archive, {
        code: 'UNDOCKER_DIGEST_MISMATCH',
        message: /layer \d \([0-9a-f]{12}\) of .*: stored content: digest mismatch/,
      });
      await archive.close();
    });
    await t.test('a corrupt gzip layer with no blob digest says it cannot be decompressed', async () => {
      const input = writeDockerSave([IMAGE], {
        corrupt: (f) => {
          const k = Object.keys(f).filter((n) => n.endsWith('layer.tar'))[0] as string;
          const gz = gzipSync(f[k] as Buffer);
          gz[gz.length - 6] = (gz[gz.length - 6] as number) ^ 0xff;
          f[k] = gz;
        },
      });
      const archive = await openLocalArchive(input);
      await rejectsBoth(archive, {
        code: 'UNDOCKER_BAD_ARCHIVE',
        message: /layer 1 \([0-9a-f]{12}\) of .*: cannot decompress gzip data: incorrect data check$/,
      });
      await archive.close();
    });
  },
);

test(
  'regression: opening many members of one archive adds no listeners ' +
    'to its file handle (MaxListenersExceededWarning)',
  async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    const many = writeDockerSave([
      { layers: Array.from({ length: 14 }, (_, i) => [{ path: `f${i}`, content: String(i) }]), tags: ['many:latest'] },
    ]);
    const archive = await openLocalArchive(many);
    assert.equal((await summarizeTar(await collect(rootfsTarChunks(selectImage(archive))))).size, 14);
    await archive.close();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  },
);
