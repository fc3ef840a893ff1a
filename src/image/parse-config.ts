/**
 * Image configs checked at the source boundary, once, so nothing past a source meets a field of
 * the wrong type. What the Docker engine itself accepts passes as it does: `null` and missing
 * fields, and Entrypoint, Cmd and Healthcheck.Test given as one string, which become a
 * one-element list (moby's `strslice.StrSlice`). Anything else fails with one line naming the
 * document and the field. Fields undocker does not read are kept as they are, so a config
 * carried into a new image (`import --base`) loses nothing. Spec: moby image/spec/spec.md.
 */
import { BadArchiveError } from '../errors.js';
import type { ContainerConfig, ImageConfigFile } from './types.js';

type Json = Record<string, unknown>;

/** FieldError names the field of a config that has the wrong shape; withWhere adds the document. */
class FieldError extends Error {}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const absent = (value: unknown): boolean => value === undefined || value === null;

type Check = (value: unknown, field: string) => unknown;

const string: Check = (value, field) => {
  if (!absent(value) && typeof value !== 'string') throw new FieldError(`${field}: expected a string`);
  return value;
};

const strings: Check = (value, field) => {
  if (!absent(value) && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
    throw new FieldError(`${field}: expected an array of strings`);
  }
  return value;
};

/** strSlice is a list that Docker also accepts as a single string (strslice.StrSlice). */
const strSlice: Check = (value, field) => (typeof value === 'string' ? [value] : strings(value, field));

const number: Check = (value, field) => {
  if (!absent(value) && !(typeof value === 'number' && Number.isFinite(value)))
    throw new FieldError(`${field}: expected a number`);
  return value;
};

const object: Check = (value, field) => {
  if (!absent(value) && !isObject(value)) throw new FieldError(`${field}: expected an object`);
  return value;
};

const stringMap: Check = (value, field) => {
  if (isObject(object(value, field))) {
    for (const [key, item] of Object.entries(value as Json))
      if (typeof item !== 'string') throw new FieldError(`${field}.${key}: expected a string`);
  }
  return value;
};

/** checked applies a check to each named field of an object, keeping its other fields. */
function checked(value: Json, checks: Record<string, Check>, prefix = ''): Json {
  const out: Json = { ...value };
  for (const [field, check] of Object.entries(checks)) {
    if (field in value) out[field] = check(value[field], `${prefix}${field}`);
  }
  return out;
}

const healthcheck: Check = (value, field) =>
  isObject(object(value, field))
    ? checked(
        value as Json,
        { Test: strSlice, Interval: number, Timeout: number, StartPeriod: number, Retries: number },
        `${field}.`,
      )
    : value;

/** CONTAINER_CHECKS are the checks of the fields of a config's `config` that undocker reads. */
const CONTAINER_CHECKS: Record<string, Check> = {
  User: string,
  ExposedPorts: object,
  Env: strings,
  Entrypoint: strSlice,
  Cmd: strSlice,
  Volumes: object,
  WorkingDir: string,
  Labels: stringMap,
  StopSignal: string,
  Healthcheck: healthcheck,
};

const history: Check = (value, field) => {
  if (absent(value)) return value;
  if (!Array.isArray(value)) throw new FieldError(`${field}: expected an array`);
  return value.map((entry: unknown, i) =>
    isObject(object(entry, `${field}[${i}]`))
      ? checked(entry as Json, { created: string, created_by: string, comment: string }, `${field}[${i}].`)
      : entry,
  );
};

const rootfs: Check = (value, field) =>
  isObject(object(value, field)) ? checked(value as Json, { type: string, diff_ids: strings }, `${field}.`) : value;

const containerConfig: Check = (value, field) =>
  isObject(object(value, field)) ? checked(value as Json, CONTAINER_CHECKS) : value;

/** withWhere turns a field error into the one-line error that names the document. */
function withWhere<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof FieldError) throw new BadArchiveError(`${where}: ${error.message}`);
    throw error;
  }
}

/** parseImageConfig checks an image config document; `where` names it ("nginx.tar: config 3f2a….json"). */
export function parseImageConfig(value: unknown, where: string): ImageConfigFile {
  return withWhere(where, () => {
    if (!isObject(value)) throw new FieldError('expected a JSON object');
    return checked(value, {
      architecture: string,
      os: string,
      variant: string,
      created: string,
      author: string,
      config: containerConfig,
      rootfs,
      history,
    }) as ImageConfigFile;
  });
}

/** parseContainerConfig checks the `config` part alone, as legacy saves and ACI manifests carry it. */
export function parseContainerConfig(value: unknown, where: string): ContainerConfig {
  return withWhere(where, () => (containerConfig(value, 'config') ?? {}) as ContainerConfig);
}
