/**
 * A run request as `undocker run` with no flags makes it, for tests of the argv and config
 * builders; each test changes what it is about.
 */
import { DOCKER_SHM_SIZE } from '../../src/config/tmpfs-ulimits.js';
import { DEFAULT_SECURITY, type RunRequest } from '../../src/launch/run-request.js';

/** runRequest is docker run's defaults for container `name` on systemd-nspawn, with `changes` applied. */
export function runRequest(changes: Partial<RunRequest> = {}): RunRequest {
  return {
    runtime: 'nspawn',
    network: 'host',
    volumes: [],
    publish: [],
    tty: false,
    interactive: false,
    readOnly: false,
    name: 'web-1',
    stopTimeout: 10,
    security: DEFAULT_SECURITY,
    tmpfs: [],
    ulimits: [],
    limits: {},
    shmSize: DOCKER_SHM_SIZE,
    devices: [],
    init: false,
    ...changes,
  };
}
