/**
 * One named case per flattening rule (as go-containerregistry's TestExtract* and umoci's
 * TestUnpackEntryWhiteout): layers and what the flattened rootfs must hold. The flatten tests
 * check them on both outputs; the layer store's test checks its stacked view equals the flatten.
 */
import assert from 'node:assert/strict';
import type { EntrySpec } from './tar-builder.js';
import { sha256 } from './archives.js';
import type { FileRecord, Summary } from './summary.js';

export type Expect = Record<string, Partial<FileRecord> | null>;
const CAPABILITY = Buffer.from('0100000200200000000000000000000000000000', 'hex');

export const RULE_CASES: Array<{ name: string; layers: EntrySpec[][]; expect: Expect; check?: (s: Summary) => void }> =
  [
    {
      name: 'whiteout removes a lower file',
      layers: [[{ path: 'a/' }, { path: 'a/f', content: '1' }, { path: 'a/g', content: '2' }], [{ path: 'a/.wh.f' }]],
      expect: { 'a/f': null, 'a/g': { type: 'file' }, 'a/.wh.f': null },
    },
    {
      name: 'whiteout removes a lower directory and everything under it',
      layers: [[{ path: 'd/' }, { path: 'd/e/' }, { path: 'd/e/f', content: '1' }], [{ path: '.wh.d' }]],
      expect: { d: null, 'd/e': null, 'd/e/f': null },
    },
    {
      name: 'whiteout never removes what its own layer adds (whiteout after the file)',
      layers: [[{ path: 'f', content: 'old' }], [{ path: 'f', content: 'new' }, { path: '.wh.f' }]],
      expect: { f: { size: 3 } },
      check: (s) => assert.equal(s.get('f')?.sha256, sha256('new')),
    },
    {
      name: 'whiteout never removes what its own layer adds (whiteout before the file)',
      layers: [[{ path: 'f', content: 'old' }], [{ path: '.wh.f' }, { path: 'f', content: 'newer' }]],
      expect: { f: { size: 5 } },
    },
    {
      name: 'whiteout of a lower directory keeps the children its own layer adds',
      layers: [
        [{ path: 'd/' }, { path: 'd/old', content: '1' }],
        [{ path: 'd/new', content: '2' }, { path: '.wh.d' }],
      ],
      expect: { 'd/old': null, 'd/new': { type: 'file' }, d: { type: 'directory' } },
    },
    {
      name: 'opaque directory hides lower contents and keeps its own (marker first)',
      layers: [
        [{ path: 'o/' }, { path: 'o/lower', content: '1' }, { path: 'o/sub/' }, { path: 'o/sub/deep', content: '2' }],
        [{ path: 'o/' }, { path: 'o/.wh..wh..opq' }, { path: 'o/upper', content: '3' }],
      ],
      expect: {
        'o/lower': null,
        'o/sub': null,
        'o/sub/deep': null,
        'o/upper': { type: 'file' },
        'o/.wh..wh..opq': null,
      },
    },
    {
      name: 'opaque directory keeps its own layer contents written before the marker',
      layers: [
        [{ path: 'o/' }, { path: 'o/lower', content: '1' }],
        [{ path: 'o/' }, { path: 'o/upper', content: '3' }, { path: 'o/.wh..wh..opq' }],
      ],
      expect: { 'o/lower': null, 'o/upper': { type: 'file' } },
    },
    {
      name: 'opaque marker hides only lower layers, not later ones',
      layers: [
        [{ path: 'o/' }, { path: 'o/a', content: '1' }],
        [{ path: 'o/.wh..wh..opq' }],
        [{ path: 'o/b', content: '2' }],
      ],
      expect: { 'o/a': null, 'o/b': { type: 'file' }, o: { type: 'directory' } },
    },
    {
      name: 'a file replaces a directory',
      layers: [[{ path: 'x/' }, { path: 'x/inner', content: '1' }], [{ path: 'x', content: 'now a file' }]],
      expect: { x: { type: 'file', size: 10 }, 'x/inner': null },
    },
    {
      name: 'a directory replaces a file',
      layers: [[{ path: 'x', content: 'file' }], [{ path: 'x/' }, { path: 'x/inner', content: '1' }]],
      expect: { x: { type: 'directory' }, 'x/inner': { type: 'file' } },
    },
    {
      name: 'a directory replaces a symlink and a symlink replaces a directory',
      layers: [
        [{ path: 'lib', linkname: 'usr/lib' }, { path: 'etc/' }, { path: 'etc/x', content: '1' }],
        [{ path: 'lib/' }, { path: 'lib/y', content: '2' }, { path: 'etc', linkname: '/usr/etc' }],
      ],
      expect: {
        lib: { type: 'directory' },
        'lib/y': { type: 'file' },
        etc: { type: 'symlink', link: '/usr/etc' },
        'etc/x': null,
      },
    },
    {
      name: 'metadata-only changes take effect: chmod and chown of a directory',
      layers: [[{ path: 'srv/', mode: 0o755, uid: 0, gid: 0 }], [{ path: 'srv/', mode: 0o1770, uid: 33, gid: 34 }]],
      expect: { srv: { type: 'directory', mode: '1770', uid: 33, gid: 34 } },
    },
    {
      name: 'setuid, setgid, sticky bits and numeric owners are kept',
      layers: [
        [
          { path: 'bin/' },
          { path: 'bin/su', content: 'x', mode: 0o4755 },
          { path: 'bin/wall', content: 'y', mode: 0o2755, gid: 5 },
          { path: 'tmp/', mode: 0o1777 },
          { path: 'home/' },
          { path: 'home/u', content: 'z', uid: 1000, gid: 1000, mode: 0o600 },
        ],
      ],
      expect: {
        'bin/su': { mode: '4755' },
        'bin/wall': { mode: '2755', gid: 5 },
        tmp: { mode: '1777' },
        'home/u': { uid: 1000, gid: 1000, mode: '600' },
      },
    },
    {
      name: 'hardlink within a layer keeps one inode',
      layers: [
        [
          { path: 'a', content: 'same' },
          { path: 'b', type: 'hardlink', linkname: 'a' },
        ],
      ],
      expect: { a: { group: 'a', size: 4 }, b: { group: 'a', size: 4 } },
    },
    {
      name: 'hardlink from an upper layer to a lower-layer file',
      layers: [[{ path: 'a', content: 'lower' }], [{ path: 'b', type: 'hardlink', linkname: 'a' }]],
      expect: { a: { group: 'a', size: 5 }, b: { group: 'a', size: 5 } },
    },
    {
      name: 'a hardlink survives when its first name is removed',
      layers: [
        [
          { path: 'a', content: 'data' },
          { path: 'b', type: 'hardlink', linkname: 'a' },
          { path: 'c', type: 'hardlink', linkname: 'a' },
        ],
        [{ path: '.wh.a' }],
      ],
      expect: { a: null, b: { type: 'file', size: 4, group: 'b' }, c: { type: 'file', size: 4, group: 'b' } },
    },
    {
      name: 'a hardlink group splits when one name is replaced',
      layers: [
        [
          { path: 'a', content: 'old' },
          { path: 'b', type: 'hardlink', linkname: 'a' },
        ],
        [{ path: 'a', content: 'brand new' }],
      ],
      expect: { a: { size: 9 }, b: { size: 3 } },
      check: (s) => {
        assert.equal(s.get('a')?.group, undefined);
        assert.equal(s.get('b')?.group, undefined);
      },
    },
    {
      name: 'a hardlink whose only surviving name is in an upper directory keeps its data',
      layers: [
        [{ path: 'z/' }, { path: 'z/a', content: 'data' }],
        [{ path: 'b', type: 'hardlink', linkname: 'z/a' }],
        [{ path: '.wh.z' }],
      ],
      expect: { z: null, b: { type: 'file', size: 4 } },
    },
    {
      name: 'binary security.capability and user xattrs are kept',
      layers: [
        [{ path: 'ping', content: 'x', mode: 0o755, xattrs: { 'security.capability': CAPABILITY, 'user.k': 'v' } }],
      ],
      expect: {
        ping: {
          xattrs: { 'security.capability': CAPABILITY.toString('hex'), 'user.k': Buffer.from('v').toString('hex') },
        },
      },
    },
    {
      name: 'device nodes and fifos are kept',
      layers: [
        [
          { path: 'dev/' },
          { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
          { path: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
          { path: 'dev/fifo', type: 'fifo', mode: 0o600 },
        ],
      ],
      expect: {
        'dev/null': { type: 'char', dev: '1,3', mode: '666' },
        'dev/loop0': { type: 'block', dev: '7,0', gid: 6 },
        'dev/fifo': { type: 'fifo', mode: '600' },
      },
    },
    {
      name: 'long names, long link targets and UTF-8 names are kept',
      layers: [
        [
          { path: `${'a'.repeat(150)}/` },
          { path: `${'a'.repeat(150)}/${'b'.repeat(200)}`, content: 'x' },
          { path: 'l', linkname: `/${'c'.repeat(300)}` },
          { path: 'naïve-日本.txt', content: 'u' },
        ],
      ],
      expect: {
        [`${'a'.repeat(150)}/${'b'.repeat(200)}`]: { type: 'file' },
        l: { link: `/${'c'.repeat(300)}` },
        'naïve-日本.txt': { type: 'file' },
      },
    },
    {
      name: 'missing parents are created as 0755 root directories',
      layers: [[{ path: 'deep/er/file', content: 'x' }]],
      expect: {
        deep: { type: 'directory', mode: '755', uid: 0 },
        'deep/er': { type: 'directory' },
        'deep/er/file': { type: 'file' },
      },
    },
    {
      name: 'absolute entry paths are taken relative to the root',
      layers: [[{ path: '/etc/' }, { path: '/etc/abs', content: 'x' }]],
      expect: { 'etc/abs': { type: 'file' } },
    },
    {
      name: 'a symlink in a parent path resolves inside the root (etc -> / then etc/passwd)',
      layers: [
        [
          { path: 'etc', linkname: '/' },
          { path: 'etc/passwd', content: 'root::0:0::/:/bin/sh\n' },
        ],
      ],
      expect: { etc: { type: 'symlink', link: '/' }, passwd: { type: 'file' } },
    },
    {
      name: 'a relative symlink that climbs past the root in a parent path stays inside',
      layers: [[{ path: 'a/' }, { path: 'a/up', linkname: '../../../../tmp' }, { path: 'a/up/x', content: '1' }]],
      expect: { 'tmp/x': { type: 'file' }, 'a/up': { link: '../../../../tmp' } },
    },
    {
      name: 'symlink targets are stored verbatim',
      layers: [
        [
          { path: 'abs', linkname: '/etc/../etc/passwd' },
          { path: 'rel', linkname: '../../x' },
          { path: 'dangling', linkname: 'nowhere' },
        ],
      ],
      expect: { abs: { link: '/etc/../etc/passwd' }, rel: { link: '../../x' }, dangling: { link: 'nowhere' } },
    },
    {
      name: 'AUFS metadata at the layer top is not content',
      layers: [[{ path: '.wh..wh.aufs', content: '' }, { path: '.wh..wh.plnk/' }, { path: 'f', content: 'x' }]],
      expect: { '.wh..wh.aufs': null, '.wh..wh.plnk': null, f: { type: 'file' } },
    },
  ];
