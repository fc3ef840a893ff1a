/**
 * Docker's rule for the names of containers and volumes: a letter or digit, then letters,
 * digits, `_`, `.` and `-`.
 */
import { UsageError } from '../errors.js';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** checkDockerName refuses a name docker would refuse; `what` is container or volume, `where` the flag. */
export function checkDockerName(name: string, what: 'container' | 'volume', where: string): string {
  if (!DOCKER_NAME.test(name) || name.length > 128)
    throw new UsageError(
      `${where}: invalid ${what} name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  return name;
}
