/**
 * docker run's resource flags as cgroup files, for both cgroup versions. The v1 files are also
 * checked by real runs (test/integration/run-parity.test.ts); this machine mounts no v2 tree, so
 * the v2 files are checked here against what runc writes for the same flags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLimits, parseBytes, toCgroupSettings, v2Weight } from '../../../src/launch/resource-limits.js';
import { toLxcRunConfig } from '../../../src/launch/lxc-run-config.js';
import type { RunSpec } from '../../../src/config/run-spec.js';
import { runRequest } from '../../helpers/run-request.js';

const MiB = 1024 * 1024;
const files = (settings: ReturnType<typeof toCgroupSettings>): string[] =>
  settings.map((s) => `${s.controller}/${s.file}=${s.value}`);

test('sizes read as docker run reads them, in powers of 1024', () => {
  assert.equal(parseBytes('512', '-m'), 512);
  assert.equal(parseBytes('64m', '-m'), 64 * MiB);
  assert.equal(parseBytes('1.5G', '-m'), 1.5 * 1024 * MiB);
  assert.equal(parseBytes('32MB', '-m'), 32 * MiB);
  for (const bad of ['', 'lots', '-5m', '5x'])
    assert.throws(() => parseBytes(bad, '-m'), { code: 'UNDOCKER_USAGE' }, bad);
});

test('what docker run refuses is refused', () => {
  assert.throws(() => checkLimits({ memory: MiB }), /minimum is 6m/);
  assert.throws(() => checkLimits({ memorySwap: 64 * MiB }), /--memory-swap needs --memory/);
  assert.throws(() => checkLimits({ memory: 64 * MiB, memorySwap: 32 * MiB }), /at least --memory/);
  assert.throws(() => checkLimits({ cpus: 0 }), /above 0/);
  assert.deepEqual(checkLimits({ memory: 64 * MiB, memorySwap: -1 }), { memory: 64 * MiB, memorySwap: -1 });
});

test('cgroup v1: one file per setting, swap twice the memory unless given', () => {
  assert.deepEqual(
    files(toCgroupSettings({ memory: 32 * MiB, cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 20 }, 1)),
    [
      `memory/memory.limit_in_bytes=${32 * MiB}`,
      `memory/memory.memsw.limit_in_bytes=${64 * MiB}`,
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_quota_us=150000',
      'cpu/cpu.shares=512',
      'cpuset/cpuset.cpus=0-1',
      'pids/pids.max=20',
    ],
  );
  assert.deepEqual(files(toCgroupSettings({ memory: 32 * MiB, memorySwap: -1, pidsLimit: -1 }, 1)), [
    `memory/memory.limit_in_bytes=${32 * MiB}`,
    'pids/pids.max=max',
  ]);
});

test('cgroup v2: the unified files, swap apart from memory, shares as weights (runc)', () => {
  assert.deepEqual(
    files(toCgroupSettings({ memory: 32 * MiB, memorySwap: 96 * MiB, cpus: 0.5, cpuShares: 1024, pidsLimit: 20 }, 2)),
    [
      `memory/memory.max=${32 * MiB}`,
      `memory/memory.swap.max=${64 * MiB}`,
      'cpu/cpu.max=50000 100000',
      'cpu/cpu.weight=39',
      'pids/pids.max=20',
    ],
  );
  assert.deepEqual(files(toCgroupSettings({ memory: 32 * MiB }, 2)), [
    `memory/memory.max=${32 * MiB}`,
    `memory/memory.swap.max=${32 * MiB}`,
  ]);
  assert.deepEqual([v2Weight(2), v2Weight(1024), v2Weight(262144)], [1, 39, 10000]);
});

test('LXC takes the same settings as lxc.cgroup keys (v1) or lxc.cgroup2 keys (v2)', () => {
  const spec = {
    user: { uid: 0, gid: 0, groups: [0] },
    env: [],
    workingDir: '/',
    stopSignal: 'SIGTERM',
    hostname: 'h',
  } as unknown as RunSpec;
  const request = runRequest({ runtime: 'lxc', name: 'h', limits: { memory: 32 * MiB, pidsLimit: 20 } });
  const v1 = toLxcRunConfig(spec, '/m', request, '/x', [], { binds: [], loader: '/l' }, [], 1).split('\n');
  assert.ok(v1.includes(`lxc.cgroup.memory.limit_in_bytes = ${32 * MiB}`) && v1.includes('lxc.cgroup.pids.max = 20'));
  const v2 = toLxcRunConfig(spec, '/m', request, '/x', [], { binds: [], loader: '/l' }, [], 2).split('\n');
  assert.ok(v2.includes(`lxc.cgroup2.memory.max = ${32 * MiB}`) && v2.includes('lxc.cgroup2.pids.max = 20'));
});
