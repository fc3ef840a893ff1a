/**
 * ConfigView is the image config as `undocker config` shows it: the fields that matter for
 * running the image, with Docker's absent-versus-empty differences smoothed out.
 */
import { formatImageName } from './names.js';
import type { HealthcheckConfig, Image } from './types.js';

/** ConfigView is a normalised image config. */
export interface ConfigView {
  id: string;
  names: string[];
  os: string;
  architecture: string;
  variant?: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  WorkingDir: string;
  User: string;
  ExposedPorts: string[];
  Volumes: string[];
  StopSignal: string;
  Labels: Record<string, string>;
  Healthcheck?: HealthcheckConfig;
}

/** toConfigView normalises an image's config. */
export function toConfigView(image: Image): ConfigView {
  const config = image.config.config ?? {};
  const view: ConfigView = {
    id: image.id,
    names: image.names.map(formatImageName),
    os: image.config.os ?? image.platform?.os ?? 'linux',
    architecture: image.config.architecture ?? image.platform?.architecture ?? 'unknown',
    Entrypoint: config.Entrypoint ?? [],
    Cmd: config.Cmd ?? [],
    Env: config.Env ?? [],
    WorkingDir: config.WorkingDir ?? '',
    User: config.User ?? '',
    ExposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
    Volumes: Object.keys(config.Volumes ?? {}).sort(),
    StopSignal: config.StopSignal ?? '',
    Labels: config.Labels ?? {},
  };
  const variant = image.config.variant ?? image.platform?.variant;
  if (variant !== undefined) view.variant = variant;
  if (config.Healthcheck !== undefined) view.Healthcheck = config.Healthcheck;
  return view;
}
