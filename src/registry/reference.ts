/**
 * Image references as people write them (distribution/reference's normalisation): `nginx`,
 * `nginx:1.27`, `library/nginx`, `ghcr.io/org/app:v1`, `localhost:5000/app@sha256:…`. A first
 * component with a `.` or a `:`, or `localhost`, is a registry; otherwise the registry is Docker
 * Hub, and a one-component name is in `library/`. The tag is `latest` unless a digest is given.
 */
import { UsageError } from '../errors.js';

/** DOCKER_HUB is Docker Hub's name in references, and API_HOST where its API lives. */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

/** REGISTRY_PREFIX marks an input that names an image in a registry. */
export const REGISTRY_PREFIX = 'docker://';

/** Reference is a parsed image reference. */
export interface Reference {
  /** registry as written, docker.io for Docker Hub */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** parseReference reads a reference; an http:// or https:// prefix is left to the caller. */
export function parseReference(text: string): Reference {
  const bad = (why: string): UsageError => new UsageError(`${text}: not an image reference: ${why}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: and 64 hex digits');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag ${JSON.stringify(tag)}`);
  }
  const parts = rest.split('/');
  const first = parts[0] as string;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : DOCKER_HUB;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (path.length === 0 || !path.every((part) => COMPONENT.test(part)))
    throw bad('the name must be lowercase letters, digits and separators');
  const repository = registry === DOCKER_HUB && path.length === 1 ? `library/${path[0]}` : path.join('/');
  return {
    registry,
    repository,
    ...(tag !== undefined || digest === undefined ? { tag: tag ?? 'latest' } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** apiHost is where a registry's HTTP API answers. */
export function apiHost(reference: Reference): string {
  return reference.registry === DOCKER_HUB ? DOCKER_HUB_API : reference.registry;
}

/** formatReference writes a reference back in full: docker.io/library/nginx:1.27. */
export function formatReference(reference: Reference): string {
  const tag = reference.tag !== undefined ? `:${reference.tag}` : '';
  return `${reference.registry}/${reference.repository}${tag}${reference.digest ? `@${reference.digest}` : ''}`;
}

/** isLoopback tells whether a registry host is this machine. */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** familiarName is the short form Docker shows: nginx:1.27 for docker.io/library/nginx:1.27. */
export function familiarName(reference: Reference): string {
  const repository =
    reference.registry === DOCKER_HUB
      ? reference.repository.replace(/^library\//, '')
      : `${reference.registry}/${reference.repository}`;
  return `${repository}:${reference.tag ?? 'latest'}`;
}
