/**
 * docker run's resource limits (--memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus,
 * --pids-limit) as cgroup settings, for cgroup v1 (a file per controller) and v2 (one unified
 * tree), with the values Docker 20.10 writes: --memory alone allows as much swap again
 * (memsw = 2 x memory), --cpus is a CFS quota over a 100 ms period, and shares become v2 weights
 * by runc's formula.
 */
import { UsageError } from '../errors.js';

/** ResourceLimits are the limits a run asks for; absent ones are left to the host. */
export interface ResourceLimits {
  /** memory in bytes */
  memory?: number;
  /** memory plus swap in bytes; -1 is unlimited swap */
  memorySwap?: number;
  /** cpus is a number of CPUs, fractions allowed */
  cpus?: number;
  cpuShares?: number;
  /** cpusetCpus is a CPU list as cpuset(7) writes it: 0-2,4 */
  cpusetCpus?: string;
  /** pidsLimit above 0 caps the number of tasks */
  pidsLimit?: number;
}

/** CgroupSetting is one file to write: `controller` names the v1 hierarchy; v2 has one. */
export interface CgroupSetting {
  controller: 'memory' | 'cpu' | 'cpuset' | 'pids' | 'devices';
  file: string;
  value: string;
  /** flag is the docker run option the setting comes from, for messages */
  flag: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const CFS_PERIOD = 100_000;

/** parseBytes reads a size as docker run does (RAMInBytes): 512, 64m, 1.5g, 32MB; units are powers of 1024. */
export function parseBytes(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(text.trim());
  const value = match ? Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? NaN)) : NaN;
  if (!Number.isSafeInteger(value)) throw new UsageError(`${flag} ${text}: give a size like 512m or 2g`);
  return value;
}

/** checkLimits refuses what Docker refuses: memory under 6 MiB, swap below memory, a swap limit alone. */
export function checkLimits(limits: ResourceLimits): ResourceLimits {
  const { memory, memorySwap, cpus, pidsLimit } = limits;
  if (memory !== undefined && memory < 6 * 1024 ** 2)
    throw new UsageError('--memory: the minimum is 6m, as Docker has it');
  if (memorySwap !== undefined && memorySwap !== -1) {
    if (memory === undefined) throw new UsageError('--memory-swap needs --memory, as in docker run');
    if (memorySwap < memory) throw new UsageError('--memory-swap must be at least --memory (it counts both)');
  }
  if (cpus !== undefined && !(cpus > 0)) throw new UsageError('--cpus: give a number of CPUs above 0, like 1.5');
  if (pidsLimit !== undefined && !Number.isInteger(pidsLimit))
    throw new UsageError('--pids-limit: give a whole number');
  return limits;
}

/** v2Weight turns v1 cpu.shares (2 to 262144) into a v2 cpu.weight (1 to 10000), as runc does. */
export function v2Weight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** toCgroupSettings lists the files to write, in order, for cgroup `version`. */
export function toCgroupSettings(limits: ResourceLimits, version: 1 | 2): CgroupSetting[] {
  const out: CgroupSetting[] = [];
  const set = (controller: CgroupSetting['controller'], file: string, value: number | string, flag: string): void => {
    out.push({ controller, file, value: String(value), flag });
  };
  const { memory, memorySwap, cpus, cpuShares, cpusetCpus, pidsLimit } = limits;
  // Docker: --memory alone allows as much swap again; --memory-swap -1 leaves swap unlimited.
  const swapTotal = memory === undefined ? undefined : (memorySwap ?? 2 * memory);
  if (version === 1) {
    if (memory !== undefined) set('memory', 'memory.limit_in_bytes', memory, '--memory');
    if (swapTotal !== undefined && swapTotal !== -1)
      set('memory', 'memory.memsw.limit_in_bytes', swapTotal, '--memory-swap');
    if (cpus !== undefined) {
      set('cpu', 'cpu.cfs_period_us', CFS_PERIOD, '--cpus');
      set('cpu', 'cpu.cfs_quota_us', Math.round(cpus * CFS_PERIOD), '--cpus');
    }
    if (cpuShares !== undefined) set('cpu', 'cpu.shares', cpuShares, '--cpu-shares');
    if (cpusetCpus !== undefined) set('cpuset', 'cpuset.cpus', cpusetCpus, '--cpuset-cpus');
    if (pidsLimit !== undefined) set('pids', 'pids.max', pidsLimit > 0 ? pidsLimit : 'max', '--pids-limit');
    return out;
  }
  if (memory !== undefined) set('memory', 'memory.max', memory, '--memory');
  if (memory !== undefined && swapTotal !== undefined) {
    set('memory', 'memory.swap.max', swapTotal === -1 ? 'max' : swapTotal - memory, '--memory-swap');
  }
  if (cpus !== undefined) set('cpu', 'cpu.max', `${Math.round(cpus * CFS_PERIOD)} ${CFS_PERIOD}`, '--cpus');
  if (cpuShares !== undefined) set('cpu', 'cpu.weight', v2Weight(cpuShares), '--cpu-shares');
  if (cpusetCpus !== undefined) set('cpuset', 'cpuset.cpus', cpusetCpus, '--cpuset-cpus');
  if (pidsLimit !== undefined) set('pids', 'pids.max', pidsLimit > 0 ? pidsLimit : 'max', '--pids-limit');
  return out;
}
