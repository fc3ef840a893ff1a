/**
 * Docker's way with commands that take several names (`rm a b c`, `volume rm x y`): each is
 * tried in turn, each success prints its name, each failure one line, and the exit status is 1
 * if any failed.
 */
import { UndockerError } from '../errors.js';
import { ExitStatus } from './exit-status.js';
import { printError, printLine } from './output.js';

/** forEachNamed runs `action` on each name as docker does. */
export async function forEachNamed(names: string[], action: (name: string) => unknown): Promise<void> {
  let failed = 0;
  for (const name of names) {
    try {
      await action(name);
      printLine(name);
    } catch (error) {
      if (!(error instanceof UndockerError)) throw error;
      printError(error.message);
      failed += 1;
    }
  }
  if (failed > 0) throw new ExitStatus(1);
}
