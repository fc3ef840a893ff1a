/**
 * Platforms as `os/architecture[/variant]`, with the host's as the default choice.
 */
import { UsageError } from '../errors.js';
import type { Platform } from './types.js';

const NODE_TO_OCI_ARCH: Record<string, Platform['architecture']> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** hostPlatform is the platform of the machine undocker runs on. */
export function hostPlatform(): Platform {
  const architecture = NODE_TO_OCI_ARCH[process.arch] ?? process.arch;
  return { os: 'linux', architecture, ...(architecture === 'arm64' ? { variant: 'v8' } : {}) };
}

/** parsePlatform reads `os/arch[/variant]`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new UsageError(`--platform ${text}: expected os/architecture[/variant], for example linux/amd64`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** formatPlatform renders a platform as `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** platformMatches tells whether an image's platform satisfies a wanted one; arm64's v8 is its default variant. */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (have === undefined) return true;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  const variant = (p: Platform): string | undefined =>
    p.architecture === 'arm64' && p.variant === undefined ? 'v8' : p.variant;
  return want.variant === undefined || variant(have) === undefined || variant(have) === variant(want);
}
