/**
 * App Container Images (appc ACI): a tar holding `manifest` (JSON) and `rootfs/`. The whole
 * archive is the one layer, read with its `rootfs/` prefix removed; the manifest's `app`
 * section supplies the config. Spec: appc/spec spec/aci.md and spec/ace.md.
 */
import { BadArchiveError, UndockerError } from '../errors.js';
import { expectObject, readMemberJson } from './json.js';
import type { MemberSet } from './members.js';
import { parseContainerConfig } from './parse-config.js';
import type { ContainerConfig, Image, ImageConfigFile } from './types.js';

interface NameValue {
  name: string;
  value: string;
}
interface AciManifest {
  acKind?: string;
  name?: string;
  labels?: NameValue[];
  annotations?: NameValue[];
  dependencies?: Array<{ imageName?: string }>;
  app?: {
    exec?: string[];
    user?: string;
    group?: string;
    workingDirectory?: string;
    environment?: NameValue[];
    ports?: Array<{ name?: string; protocol?: string; port?: number }>;
    mountPoints?: Array<{ name?: string; path?: string }>;
  };
}

/** ACI_ARCHITECTURES maps appc arch labels to OCI architecture and variant. */
const ACI_ARCHITECTURES: Record<string, [string, string?]> = {
  amd64: ['amd64'],
  i386: ['386'],
  aarch64: ['arm64'],
  armv7l: ['arm', 'v7'],
  armv7b: ['arm', 'v7'],
  armv6l: ['arm', 'v6'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
};

/** isAciArchive tells whether members hold an ACI manifest. */
export function isAciArchive(members: MemberSet): boolean {
  return members.has('manifest') && members.openWhole !== undefined;
}

/** imagesFromAci reads the ACI manifest into an image with a single layer. */
export async function imagesFromAci(members: MemberSet): Promise<Image[]> {
  const { value, digest } = await readMemberJson<AciManifest>(members, 'manifest');
  const manifest = expectObject(value, `${members.where}: manifest`) as AciManifest;
  if (manifest.acKind !== 'ImageManifest')
    throw new BadArchiveError(
      `${members.where}: manifest: acKind is ${JSON.stringify(manifest.acKind)}, not "ImageManifest"`,
    );
  if ((manifest.dependencies ?? []).length > 0) {
    const names = (manifest.dependencies ?? []).map((d) => d.imageName).join(', ');
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `${members.where}: the ACI depends on other images (${names}); undocker reads only self-contained ACIs`,
    );
  }
  const labels = new Map((manifest.labels ?? []).map((l) => [l.name, l.value]));
  const [architecture, variant] = ACI_ARCHITECTURES[labels.get('arch') ?? 'amd64'] ?? [labels.get('arch') ?? 'amd64'];
  const config: ImageConfigFile = {
    os: labels.get('os') ?? 'linux',
    architecture,
    ...(variant ? { variant } : {}),
    config: parseContainerConfig(containerConfigOf(manifest), `${members.where}: manifest`),
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const openWhole = members.openWhole?.bind(members) as () => import('node:stream').Readable;
  return [
    {
      id: digest,
      names: manifest.name ? [{ repository: manifest.name, tag: labels.get('version') ?? 'latest' }] : [],
      platform: { os: config.os as string, architecture, ...(variant ? { variant } : {}) },
      config,
      layers: [
        {
          id: 'rootfs',
          size: 0,
          mediaType: 'application/vnd.appc.image.rootfs',
          pathPrefix: 'rootfs/',
          where: `rootfs of ${members.where}`,
          open: openWhole,
        },
      ],
    },
  ];
}

function containerConfigOf(manifest: AciManifest): ContainerConfig {
  const app = manifest.app ?? {};
  const user = app.user !== undefined ? (app.group !== undefined ? `${app.user}:${app.group}` : app.user) : undefined;
  const labels = Object.fromEntries((manifest.annotations ?? []).map((a) => [a.name, a.value]));
  return {
    // exec is the whole command line; as Cmd it is replaced whole by a command given at run time.
    ...(app.exec ? { Cmd: app.exec } : {}),
    ...(user ? { User: user } : {}),
    ...(app.workingDirectory ? { WorkingDir: app.workingDirectory } : {}),
    Env: (app.environment ?? []).map((e) => `${e.name}=${e.value}`),
    ExposedPorts: Object.fromEntries((app.ports ?? []).map((p) => [`${p.port}/${p.protocol ?? 'tcp'}`, {}])),
    Volumes: Object.fromEntries((app.mountPoints ?? []).filter((m) => m.path).map((m) => [m.path as string, {}])),
    Labels: labels,
  };
}
