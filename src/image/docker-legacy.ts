/**
 * `docker save` archives from before Docker 1.10: a `repositories` file naming tags, and one
 * `<id>/` folder per layer with `json` (holding `parent`) and `layer.tar`. The image is the
 * chain of parents from the tagged id down. Spec: moby image/spec/v1.md.
 */
import { BadArchiveError } from '../errors.js';
import { shortId } from './digest.js';
import { expectObject, readMemberJson } from './json.js';
import type { MemberSet } from './members.js';
import { DOCKER_LAYER_MEDIA_TYPE } from './docker-archive.js';
import { parseContainerConfig } from './parse-config.js';
import type { ContainerConfig, Image, ImageConfigFile, ImageName, Layer } from './types.js';

interface LegacyJson {
  id?: string;
  parent?: string;
  created?: string;
  os?: string;
  architecture?: string;
  config?: ContainerConfig;
  container_config?: { Cmd?: string[] | null };
}

/** isLegacyArchive tells whether members look like a pre-1.10 save: `<id>/json` beside `<id>/layer.tar`. */
export function isLegacyArchive(members: MemberSet): boolean {
  return members.has('repositories') || members.paths().some((p) => /^[0-9a-f]{64}\/json$/.test(p));
}

/** imagesFromLegacyArchive reads every tagged chain (or every untagged head) of a legacy save. */
export async function imagesFromLegacyArchive(members: MemberSet): Promise<Image[]> {
  const ids = members
    .paths()
    .filter((p) => /^[0-9a-f]{64}\/json$/.test(p))
    .map((p) => p.slice(0, 64));
  const jsons = new Map<string, LegacyJson>();
  for (const id of ids) {
    const { value } = await readMemberJson<LegacyJson>(members, `${id}/json`);
    jsons.set(id, expectObject(value, `${members.where}: ${id}/json`) as LegacyJson);
  }
  const names = members.has('repositories') ? await readRepositories(members) : new Map<string, ImageName[]>();
  if (names.size === 0) {
    // An untagged save: every id that is nobody's parent is an image.
    const parents = new Set([...jsons.values()].map((j) => j.parent));
    for (const id of ids) if (!parents.has(id)) names.set(id, []);
  }
  return [...names].map(([id, tags]) => imageFromChain(members, jsons, id, tags));
}

async function readRepositories(members: MemberSet): Promise<Map<string, ImageName[]>> {
  const { value } = await readMemberJson<Record<string, Record<string, string>>>(members, 'repositories');
  const byId = new Map<string, ImageName[]>();
  for (const [repository, tags] of Object.entries(expectObject(value, `${members.where}: repositories`))) {
    for (const [tag, id] of Object.entries(expectObject(tags, `${members.where}: repositories: ${repository}`))) {
      if (typeof id !== 'string')
        throw new BadArchiveError(`${members.where}: repositories: ${repository}:${tag} is not an id`);
      byId.set(id, [...(byId.get(id) ?? []), { repository, tag }]);
    }
  }
  return byId;
}

function imageFromChain(members: MemberSet, jsons: Map<string, LegacyJson>, head: string, names: ImageName[]): Image {
  const chain: string[] = [];
  for (let id: string | undefined = head; id !== undefined && id !== ''; id = jsons.get(id)?.parent) {
    if (chain.includes(id)) throw new BadArchiveError(`${members.where}: layer ${id} is its own ancestor`);
    if (!jsons.has(id))
      throw new BadArchiveError(`${members.where}: missing ${id}/json (an ancestor of ${shortId(head)})`);
    chain.unshift(id);
  }
  const top = jsons.get(head) as LegacyJson;
  const layers = chain.map((id, i): Layer => {
    const path = `${id}/layer.tar`;
    const size = members.size(path);
    if (size === undefined) throw new BadArchiveError(`${members.where}: missing ${path}`);
    const cmd = jsons.get(id)?.container_config?.Cmd;
    return {
      id,
      size,
      mediaType: DOCKER_LAYER_MEDIA_TYPE,
      ...(Array.isArray(cmd) ? { createdBy: cmd.join(' ') } : {}),
      where: `layer ${i + 1} (${shortId(id)}) of ${members.where}`,
      open: () => members.open(path),
      openFile: () => members.openFile(path),
    };
  });
  const config: ImageConfigFile = {
    ...(top.architecture ? { architecture: top.architecture } : {}),
    os: top.os ?? 'linux',
    ...(top.created ? { created: top.created } : {}),
    config: parseContainerConfig(top.config, `${members.where}: ${head}/json`),
    history: chain.map((id) => {
      const cmd = jsons.get(id)?.container_config?.Cmd;
      return { ...(Array.isArray(cmd) ? { created_by: cmd.join(' ') } : {}) };
    }),
  };
  const platform = config.architecture ? { os: config.os as string, architecture: config.architecture } : undefined;
  return { id: head, names, config, layers, ...(platform ? { platform } : {}) };
}
