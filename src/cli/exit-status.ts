/**
 * ExitStatus ends the CLI with a given status and nothing printed: how `undocker run` passes
 * the container's exit status through main.
 */

/** FAILED_TO_START is docker run's status for a failure before the container started. */
export const FAILED_TO_START = 125;

/** ExitStatus carries the status the process exits with; main prints nothing for it. */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
    this.name = 'ExitStatus';
  }
}
