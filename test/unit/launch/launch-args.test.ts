import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSpec } from '../../../src/config/run-spec.js';
import { toLxcExecuteArgv, toLxcRunConfig } from '../../../src/launch/lxc-run-config.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES } from '../../../src/config/capabilities.js';
import { parseTmpfs, parseUlimit } from '../../../src/config/tmpfs-ulimits.js';
import { HELPER_DIR } from '../../../src/generate/helper-argv.js';
import { parseLdd, type IdentityHelper } from '../../../src/launch/identity-helper.js';
import { type NspawnIdentity, toNspawnArgv as nspawnArgv } from '../../../src/launch/nspawn-argv.js';
import { type DeviceNode, parseDevice, toDeviceDenials, toDeviceNode } from '../../../src/launch/devices.js';
import {
  DEFAULT_SECURITY,
  parseBindMount,
  parsePublish,
  parseSecurityOpts,
  type RunRequest,
} from '../../../src/launch/run-request.js';
import { runRequest } from '../../helpers/run-request.js';

const SPEC: RunSpec = {
  image: 'web:1',
  argv: ['/srv/web', 'two words', '--', '$HOME'],
  env: [
    ['PATH', '/bin'],
    ['Q', `it's "q"`],
  ],
  workingDir: '/srv',
  user: { spec: 'web', uid: 33, gid: 33, name: 'web', groups: [4, 33], home: '/var/www' },
  ports: [],
  volumes: [],
  stopSignal: 'SIGQUIT',
  hostname: 'web-1',
  architecture: 'amd64',
};

const REQUEST: RunRequest = runRequest();

const HELPER: IdentityHelper = {
  binds: [
    { host: '/usr/bin/setpriv', container: `${HELPER_DIR}/setpriv` },
    { host: '/usr/lib/ld.so', container: `${HELPER_DIR}/ld.so` },
    { host: '/bin/busybox', container: `${HELPER_DIR}/busybox` },
  ],
  loader: `${HELPER_DIR}/ld.so`,
};
const IDENTITY: NspawnIdentity = {
  helper: HELPER,
  capabilities: DOCKER_DEFAULT_CAPABILITIES,
  known: CAPABILITIES,
  devices: [],
};
const toNspawnArgv = (spec: RunSpec, rootfs: string, request: RunRequest): string[] =>
  nspawnArgv(spec, rootfs, request, IDENTITY);
const HELPER_PREFIX = ['/.undocker/ld.so', '--library-path', '/.undocker', '/.undocker/setpriv'];
/** ENV_PREFIX gives the command SPEC's environment and nothing of the runtime's. */
const ENV_PREFIX = ['/.undocker/busybox', 'env', '-i', '--', 'PATH=/bin', `Q=it's "q"`];

test('-v takes HOST:CONTAINER[:ro|rw] with absolute paths; anything else is a usage error', () => {
  assert.deepEqual(parseBindMount('/srv/data:/data'), { host: '/srv/data', container: '/data', readOnly: false });
  assert.deepEqual(parseBindMount('/srv/data:/data:ro'), { host: '/srv/data', container: '/data', readOnly: true });
  for (const bad of ['data:/data', '/a', '/a:b', '/a:/b:rx', '/a:/b:ro:x'])
    assert.throws(() => parseBindMount(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('-p takes [HOST:]CONTAINER[/tcp|udp] with ports 1 to 65535', () => {
  assert.deepEqual(parsePublish('8080:80'), { host: 8080, container: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('53/udp'), { host: 53, container: 53, protocol: 'udp' });
  for (const bad of ['0:80', '80:70000', 'x', '80/sctp', '1.2.3.4:80:80'])
    assert.throws(() => parsePublish(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('nspawn argv: every value is its own argument and the command follows --, whole', () => {
  const args = toNspawnArgv(SPEC, '/cache/merged', REQUEST);
  assert.deepEqual(args.slice(args.indexOf('--') + 1), [
    ...ENV_PREFIX,
    ...HELPER_PREFIX,
    '--bounding-set=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,' +
      '+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap',
    '--inh-caps=-all',
    '--regid=33',
    '--groups=4,33',
    '--reuid=33',
    '--',
    '/srv/web',
    'two words',
    '--',
    '$HOME',
  ]);
  for (const expected of [
    '--directory=/cache/merged',
    '--machine=web-1',
    '--hostname=web-1',
    '--chdir=/srv',
    '--kill-signal=SIGQUIT',
    '--bind-ro=/usr/bin/setpriv:/.undocker/setpriv',
    '--bind-ro=/usr/lib/ld.so:/.undocker/ld.so',
    '--bind-ro=/bin/busybox:/.undocker/busybox',
    '--console=pipe',
    '--register=no',
  ]) {
    assert.ok(args.includes(expected), expected);
  }
  assert.ok(!args.includes('--as-pid2'), 'the helper execs the command as PID 1, so it gets the stop signal');
  assert.ok(!args.some((a) => a.startsWith('--setenv')), "the environment is docker run's alone, set by env -i");
  assert.ok(!args.some((a) => a.startsWith('--user')), "nspawn's --user would need the image's getent");
  assert.ok(
    !args.some((a) => a.startsWith('--private-network') || a.startsWith('--network-veth')),
    "the host's network by default",
  );
});

test('nspawn argv: mounts, read-only, networks, ports and a terminal as asked', () => {
  const root = { ...SPEC, user: { ...SPEC.user, uid: 0, gid: 0, name: 'root' } };
  const args = toNspawnArgv(root, '/m', {
    ...REQUEST,
    network: 'veth',
    readOnly: true,
    tty: true,
    interactive: true,
    volumes: [
      { host: '/h', container: '/c', readOnly: false },
      { host: '/r', container: '/ro', readOnly: true },
    ],
    publish: [{ host: 8080, container: 80, protocol: 'tcp' }],
  });
  for (const expected of [
    '--bind=/h:/c',
    '--bind-ro=/r:/ro',
    '--read-only',
    '--network-veth',
    '--port=tcp:8080:80',
    '--console=interactive',
  ])
    assert.ok(args.includes(expected), expected);
  assert.ok(toNspawnArgv(SPEC, '/m', { ...REQUEST, network: 'none' }).includes('--private-network'));
  assert.ok(
    toNspawnArgv(SPEC, '/m', { ...REQUEST, tty: true }).includes('--console=read-only'),
    '-t without -i: a terminal, no input',
  );
});

test('-t adds TERM=xterm after HOSTNAME, as docker run -t does, unless the image sets TERM', () => {
  const spec: RunSpec = {
    ...SPEC,
    env: [
      ['PATH', '/bin'],
      ['HOSTNAME', 'h'],
      ['A', '1'],
    ],
  };
  const words = (s: RunSpec): string[] => {
    const args = toNspawnArgv(s, '/m', { ...REQUEST, tty: true });
    return args.slice(args.indexOf('--') + 5, args.indexOf(HELPER_PREFIX[0] as string));
  };
  assert.deepEqual(words(spec), ['PATH=/bin', 'HOSTNAME=h', 'TERM=xterm', 'A=1']);
  assert.deepEqual(words({ ...spec, env: [...spec.env, ['TERM', 'dumb']] }), [
    'PATH=/bin',
    'HOSTNAME=h',
    'A=1',
    'TERM=dumb',
  ]);
});

test('lxc-execute: ids and the command on its own command line, the rest in the config', () => {
  assert.deepEqual(toLxcExecuteArgv(SPEC, { ...REQUEST, runtime: 'lxc' }, '/p', '/p/lxc.conf', HELPER), [
    '-P',
    '/p',
    '-n',
    'web-1',
    '-f',
    '/p/lxc.conf',
    '-u',
    '33',
    '-g',
    '33',
    '--',
    ...ENV_PREFIX,
    ...HELPER_PREFIX,
    '--',
    '/srv/web',
    'two words',
    '--',
    '$HOME',
  ]);
  const config = toLxcRunConfig(
    SPEC,
    '/cache/merged',
    { ...REQUEST, runtime: 'lxc', volumes: [{ host: '/h', container: '/c/d', readOnly: true }] },
    '/usr/share/lxc/config',
    DOCKER_DEFAULT_CAPABILITIES,
    HELPER,
    [],
  );
  assert.ok(!config.includes('lxc.environment'), "the environment is in argv, so LXC's container=lxc is not added");
  for (const line of [
    'lxc.rootfs.path = dir:/cache/merged',
    'lxc.include = /usr/share/lxc/config/common.conf',
    'lxc.mount.entry = /usr/bin/setpriv .undocker/setpriv none bind,ro 0 0',
    'lxc.mount.entry = /bin/busybox .undocker/busybox none bind,ro 0 0',
    'lxc.init.cwd = /srv',
    'lxc.init.groups = 4,33',
    'lxc.signal.stop = SIGQUIT',
    'lxc.uts.name = web-1',
    'lxc.net.0.type = none',
    'lxc.mount.entry = /h c/d none bind,create=dir,ro 0 0',
    'lxc.cap.drop =',
    'lxc.cap.keep = chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot ' +
      'mknod audit_write setfcap',
  ]) {
    assert.ok(config.split('\n').includes(line), line);
  }
});

test('lxc: what its config cannot hold is refused, naming it', () => {
  const lxc = { ...REQUEST, runtime: 'lxc' as const };
  assert.throws(
    () =>
      toLxcRunConfig(
        SPEC,
        '/m',
        { ...lxc, volumes: [{ host: '/a b', container: '/c', readOnly: false }] },
        '/x',
        [],
        HELPER,
        [],
      ),
    /-v: "\/a b": an LXC mount entry cannot hold whitespace/,
  );
  assert.throws(
    () =>
      toLxcRunConfig(
        SPEC,
        '/m',
        { ...lxc, network: 'veth', publish: [{ host: 1, container: 1, protocol: 'tcp' }] },
        '/x',
        [],
        HELPER,
        [],
      ),
    /-p: LXC has no port publishing/,
  );
  const newline: RunSpec = { ...SPEC, env: [['X', 'a\nb']] };
  assert.ok(toLxcExecuteArgv(newline, lxc, '/p', '/p/c', HELPER).includes('X=a\nb'), 'a newline goes whole, in argv');
});

test("nspawn argv: the runtime keeps what the helper needs; the helper leaves the command docker run's set", () => {
  const none = nspawnArgv(SPEC, '/m', REQUEST, { ...IDENTITY, capabilities: [] });
  assert.ok(none.includes('--capability=CAP_SETGID,CAP_SETUID,CAP_SETPCAP'), 'setpriv switches ids, then drops them');
  const dropped = none.find((a) => a.startsWith('--drop-capability=')) ?? '';
  assert.ok(dropped.includes('CAP_SYS_ADMIN') && !dropped.includes('CAP_SETUID'));
  assert.ok(none.includes('--bounding-set=-all'));
  const privileged = nspawnArgv(
    SPEC,
    '/m',
    { ...REQUEST, security: { ...DEFAULT_SECURITY, capabilities: { add: [], drop: [], privileged: true } } },
    IDENTITY,
  );
  assert.ok(privileged.includes('--capability=all'));
  assert.ok(!privileged.some((a) => a.startsWith('--bounding-set') || a.startsWith('--drop-capability')));
  const nnp = nspawnArgv(
    SPEC,
    '/m',
    { ...REQUEST, security: { ...DEFAULT_SECURITY, noNewPrivileges: true } },
    IDENTITY,
  );
  assert.ok(nnp.includes('--nnp'));
  const root = nspawnArgv(
    { ...SPEC, user: { ...SPEC.user, uid: 0, gid: 0, groups: [0, 10] } },
    '/m',
    REQUEST,
    IDENTITY,
  );
  assert.ok(root.includes('--reuid=0') && root.includes('--groups=0,10'));
});

test('lxc config: --privileged keeps every capability; no-new-privileges and seccomp=unconfined as asked', () => {
  const lxc = { ...REQUEST, runtime: 'lxc' as const };
  const lines = (request: RunRequest, caps = DOCKER_DEFAULT_CAPABILITIES): string[] =>
    toLxcRunConfig(SPEC, '/m', request, '/x', caps, HELPER, []).split('\n');
  const privileged = lines({
    ...lxc,
    security: { ...DEFAULT_SECURITY, capabilities: { add: [], drop: [], privileged: true } },
  });
  assert.ok(privileged.includes('lxc.cap.drop ='));
  assert.ok(!privileged.some((line) => line.startsWith('lxc.cap.keep')));
  assert.ok(lines(lxc, []).includes('lxc.cap.keep = none'));
  const loose = lines({ ...lxc, security: { ...DEFAULT_SECURITY, noNewPrivileges: true, seccomp: false } });
  assert.ok(loose.includes('lxc.no_new_privs = 1'));
  assert.ok(loose.includes('lxc.seccomp.profile ='));
});

test('--security-opt takes no-new-privileges and seccomp=unconfined; anything else is a usage error', () => {
  assert.deepEqual(parseSecurityOpts([]), { noNewPrivileges: false, seccomp: true });
  assert.deepEqual(parseSecurityOpts(['no-new-privileges']), { noNewPrivileges: true, seccomp: true });
  assert.deepEqual(parseSecurityOpts(['no-new-privileges:true', 'no-new-privileges=false']).noNewPrivileges, false);
  assert.deepEqual(parseSecurityOpts(['seccomp=unconfined']), { noNewPrivileges: false, seccomp: false });
  for (const bad of ['apparmor=unconfined', 'seccomp=/x.json', 'label=disable'])
    assert.throws(() => parseSecurityOpts([bad]), { code: 'UNDOCKER_USAGE' }, bad);
});

test('ldd output gives the libraries to bind and the loader', () => {
  const output = [
    '\tlinux-vdso.so.1 (0x00007ffd)',
    '\tlibcap-ng.so.0 => /lib/x86_64-linux-gnu/libcap-ng.so.0 (0x00007f76)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f75)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f77)',
  ].join('\n');
  assert.deepEqual(parseLdd(output), {
    libraries: ['/lib/x86_64-linux-gnu/libcap-ng.so.0', '/lib/x86_64-linux-gnu/libc.so.6'],
    loader: '/lib64/ld-linux-x86-64.so.2',
  });
});

test('--tmpfs and --ulimit read as docker run reads them, and reach both runtimes', () => {
  assert.deepEqual(parseTmpfs('/run'), { path: '/run', options: 'rw,noexec,nosuid,nodev' });
  assert.deepEqual(parseTmpfs('/s:size=4m,exec'), { path: '/s', options: 'rw,noexec,nosuid,nodev,size=4m,exec' });
  for (const bad of ['run', '/a b', '/x:size=1 m'])
    assert.throws(() => parseTmpfs(bad), { code: 'UNDOCKER_USAGE' }, bad);
  assert.deepEqual(parseUlimit('nofile=512:1024'), { name: 'nofile', soft: 512, hard: 1024 });
  assert.deepEqual(parseUlimit('nproc=100'), { name: 'nproc', soft: 100, hard: 100 });
  assert.deepEqual(parseUlimit('core=-1'), { name: 'core', soft: -1, hard: -1 });
  for (const bad of ['files=1', 'nofile', 'nofile=2:1', 'nofile=-1:5', 'nofile=x'])
    assert.throws(() => parseUlimit(bad), { code: 'UNDOCKER_USAGE' }, bad);
  const walls = {
    tmpfs: [parseTmpfs('/s:size=4m')],
    ulimits: [parseUlimit('nofile=512:1024'), parseUlimit('core=-1')],
  };
  const args = toNspawnArgv(SPEC, '/m', { ...REQUEST, ...walls });
  for (const expected of [
    '--tmpfs=/dev/shm:rw,nosuid,nodev,noexec,size=65536k',
    '--tmpfs=/s:rw,noexec,nosuid,nodev,size=4m',
    '--rlimit=RLIMIT_NOFILE=512:1024',
    '--rlimit=RLIMIT_CORE=infinity:infinity',
  ])
    assert.ok(args.includes(expected), expected);
  const config = toLxcRunConfig(SPEC, '/m', { ...REQUEST, runtime: 'lxc', ...walls }, '/x', [], HELPER, []).split('\n');
  for (const expected of [
    'lxc.mount.entry = tmpfs dev/shm tmpfs rw,nosuid,nodev,noexec,size=65536k,create=dir 0 0',
    'lxc.mount.entry = tmpfs s tmpfs rw,noexec,nosuid,nodev,size=4m,create=dir 0 0',
    'lxc.prlimit.nofile = 512:1024',
    'lxc.prlimit.core = unlimited:unlimited',
  ])
    assert.ok(config.includes(expected), expected);
});

const KMSG: DeviceNode = { ...parseDevice('/dev/kmsg:/dev/k:r'), type: 'c', major: 1, minor: 11 };

test('--device reads HOST[:CONTAINER[:PERMISSIONS]] as docker run does', () => {
  const device = (text: string): object => {
    const { host, container, permissions } = parseDevice(text);
    return { host, container, permissions };
  };
  assert.deepEqual(device('/dev/fuse'), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' });
  assert.deepEqual(device('/dev/fuse:rw'), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rw' });
  assert.deepEqual(device('/dev/sda:/dev/xvdc:r'), { host: '/dev/sda', container: '/dev/xvdc', permissions: 'r' });
  for (const bad of ['dev/fuse', '/dev/a:b', '/dev/a:/b:x', '/dev/a:/b:rr', '/a:/b:r:w', '/dev/a:/b:'])
    assert.throws(() => parseDevice(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('--device finds the node and its numbers, and refuses what is not a device', () => {
  const zero = toDeviceNode(parseDevice('/dev/zero'));
  assert.deepEqual([zero.type, zero.major, zero.minor], ['c', 1, 5]);
  assert.throws(() => toDeviceNode(parseDevice('/etc/hostname')), /--device \/etc\/hostname: .* is not a device node/);
  assert.throws(() => toDeviceNode(parseDevice('/dev/nothing-here')), { code: 'UNDOCKER_NOT_FOUND' });
});

test('--device: bound on both runtimes; the access not given is denied (nspawn, v1) or not allowed (LXC)', () => {
  const args = nspawnArgv(SPEC, '/m', { ...REQUEST, init: true }, { ...IDENTITY, devices: [KMSG] });
  assert.ok(args.includes('--bind=/dev/kmsg:/dev/k'));
  assert.ok(args.includes('--as-pid2'), "--init: nspawn's stub init is PID 1");
  assert.deepEqual(toDeviceDenials([KMSG], 1), [
    { controller: 'devices', file: 'devices.deny', value: 'c 1:11 w', flag: '--device /dev/kmsg:/dev/k:r' },
  ]);
  assert.deepEqual(toDeviceDenials([{ ...KMSG, permissions: 'rwm' }], 2), [], 'rwm needs no policy');
  assert.throws(() => toDeviceDenials([KMSG], 2), /--device \/dev\/kmsg:\/dev\/k:r: on cgroup v2 .* use --runtime lxc/);
  const lxc = { ...REQUEST, runtime: 'lxc' as const };
  for (const version of [1, 2] as const) {
    const lines = toLxcRunConfig(SPEC, '/m', lxc, '/x', [], HELPER, [KMSG], version).split('\n');
    assert.ok(lines.includes('lxc.mount.entry = /dev/kmsg dev/k none bind,create=file 0 0'));
    const key = version === 1 ? 'lxc.cgroup' : 'lxc.cgroup2';
    assert.ok(lines.includes(`${key}.devices.allow = c 1:11 r`) && lines.includes(`${key}.devices.deny = c 1:11 w`));
  }
});

test("--device never narrows what Docker allows every container: mknod of any node, /dev/zero's rwm", () => {
  const zero: DeviceNode = { ...parseDevice('/dev/zero:/dev/z:r'), type: 'c', major: 1, minor: 5 };
  assert.deepEqual(toDeviceDenials([zero], 1), []);
  const disk: DeviceNode = { ...parseDevice('/dev/sda:/dev/sda:r'), type: 'b', major: 8, minor: 0 };
  assert.equal(toDeviceDenials([disk], 1)[0]?.value, 'b 8:0 w');
});

test('--userns=auto: nspawn runs in the range on the idmapped tree, and idmaps undocker volumes only', () => {
  const range = { start: 0x50000, size: 0x10000 };
  const volumes = [
    { host: '/cache/volumes/v/_data', container: '/data', readOnly: false, volume: true },
    { host: '/srv/host', container: '/host', readOnly: true },
  ];
  const args = nspawnArgv(SPEC, '/m', { ...REQUEST, userns: 'auto', volumes }, { ...IDENTITY, range });
  const options = args.slice(0, args.indexOf('--'));
  for (const wanted of [
    '--private-users=327680:65536',
    '--private-users-ownership=off',
    '--bind=/cache/volumes/v/_data:/data:idmap',
    '--bind-ro=/srv/host:/host',
  ])
    assert.ok(options.includes(wanted), wanted);
  const host = toNspawnArgv(SPEC, '/m', { ...REQUEST, volumes });
  assert.ok(!host.some((arg) => arg.startsWith('--private-users')), 'the host user namespace by default');
  assert.ok(host.includes('--bind=/cache/volumes/v/_data:/data'));
});

test('--userns=auto: LXC maps the range, binds /sys on the host network, and the helper sets the groups', () => {
  const range = { start: 0x50000, size: 0x10000 };
  const lxc = { ...REQUEST, runtime: 'lxc' as const, userns: 'auto' as const };
  const lines = (request: RunRequest): string[] =>
    toLxcRunConfig(SPEC, '/m', request, '/x', DOCKER_DEFAULT_CAPABILITIES, HELPER, [], 1, range).split('\n');
  const onHost = lines(lxc);
  for (const line of [
    'lxc.idmap = u 0 327680 65536',
    'lxc.idmap = g 0 327680 65536',
    'lxc.mount.auto =',
    'lxc.mount.auto = proc:mixed cgroup:mixed',
    'lxc.mount.entry = /sys sys none rbind,ro,create=dir 0 0',
  ])
    assert.ok(onHost.includes(line), line);
  const own = lines({ ...lxc, network: 'none' });
  assert.ok(own.includes('lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed'), 'a network of its own takes a sysfs');
  assert.ok(!own.some((line) => line.startsWith('lxc.mount.entry = /sys ')));

  const argv = toLxcExecuteArgv(SPEC, lxc, '/p', '/p/lxc.conf', HELPER, []);
  const ids = argv.slice(argv.indexOf('-u'), argv.indexOf('--'));
  assert.deepEqual(ids, ['-u', '0', '-g', '0'], 'LXC starts the helper as the container root');
  for (const option of ['--groups=4,33', '--reuid=33', '--bounding-set=-all'])
    assert.ok(argv.includes(option), `the helper switches, groups included, and narrows the bounding set: ${option}`);
  const dropAll = toLxcRunConfig(SPEC, '/m', lxc, '/x', [], HELPER, [], 1, range).split('\n');
  assert.ok(dropAll.includes('lxc.cap.keep = setuid setgid setpcap'), 'LXC keeps what the helper needs to switch');
});
