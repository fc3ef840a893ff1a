/**
 * Image names as Docker writes them in RepoTags and as users type them: `busybox`,
 * `busybox:1.36`, `docker.io/library/busybox:latest`, `localhost:5000/app:v1`.
 */
import type { ImageName } from './types.js';

/** parseImageName splits "repository:tag" (tag `latest` when absent); a port is not a tag. */
export function parseImageName(text: string): ImageName {
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  if (colon > slash) return { repository: text.slice(0, colon), tag: text.slice(colon + 1) };
  return { repository: text, tag: 'latest' };
}

/** normalizeRepository drops Docker Hub's implied `docker.io/` and `library/` so names compare equal. */
export function normalizeRepository(repository: string): string {
  return repository.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

/** formatImageName renders a name as `repository:tag`, or `:tag` when it has no repository. */
export function formatImageName(name: ImageName): string {
  return `${name.repository ?? ''}:${name.tag}`;
}

/** nameFromReference reads an OCI ref-name annotation: a full reference, or a bare tag. */
export function nameFromReference(reference: string): ImageName {
  return reference.includes('/') || reference.includes(':') ? parseImageName(reference) : { tag: reference };
}
