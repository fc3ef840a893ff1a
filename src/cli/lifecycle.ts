/**
 * docker's lifecycle verbs: `start`, `stop`, `kill`, `restart`, `wait` and `rm`. Each takes
 * several containers, as docker's do: each success prints the name given, each failure one line,
 * and the exit status is 1 if any failed. `start -a` runs one container in the foreground with
 * this terminal (what a systemd unit runs), and passes its exit status through.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import {
  forceRemove,
  killContainer,
  removeStopped,
  runAttached,
  startDetached,
  stopContainer,
  waitContainer,
} from '../container/lifecycle.js';
import { type Container, findContainer, listContainers } from '../container/records.js';
import { isRunning, stoppedByHand } from '../container/ownership.js';
import { restartsAtBoot } from '../container/restart-policy.js';
import { UsageError } from '../errors.js';
import { signalName, wholeSeconds } from './argument-parsers.js';
import { forEachNamed } from './each-named.js';
import { ExitStatus } from './exit-status.js';
import { printLine } from './output.js';

/** eachContainer runs `action` on each named container, as docker does with several names. */
async function eachContainer(references: string[], action: (container: Container) => Promise<unknown>): Promise<void> {
  const root = cacheRoot();
  await forEachNamed(references, (reference) => action(findContainer(root, reference)));
}

interface StartOptions {
  attach?: boolean;
  interactive?: boolean;
  restartable?: boolean;
}

/** registerStart adds the start command. */
export function registerStart(program: Command, signal: AbortSignal): void {
  program
    .command('start')
    .description('start stopped containers in the background, or one in the foreground with -a')
    .argument('[container...]', 'container names or ids')
    .option('-a, --attach', "run in the foreground with this terminal's output, and exit with the container's status")
    .option('-i, --interactive', 'pass standard input to the container (implies -a)')
    .option(
      '--restartable',
      'start every container its restart policy starts at boot: always, and unless-stopped unless stopped by hand',
    )
    .action(async (references: string[], options: StartOptions) => {
      const root = cacheRoot();
      if (options.restartable) {
        const due = listContainers(root).filter((c) =>
          restartsAtBoot(c.config.restart, isRunning(c), stoppedByHand(c)),
        );
        await eachContainer(
          due.map((c) => c.config.name),
          (c) => startDetached(root, c),
        );
        return;
      }
      if (references.length === 0) throw new UsageError('start: name at least one container');
      if (options.attach || options.interactive) {
        if (references.length > 1) throw new UsageError('start: -a and -i take one container');
        const container = findContainer(root, references[0] as string);
        if (options.interactive) container.config.request = { ...container.config.request, interactive: true };
        throw new ExitStatus(await runAttached(root, container, signal));
      }
      await eachContainer(references, (container) => startDetached(root, container));
    });
}

/** registerStop adds the stop command. */
export function registerStop(program: Command): void {
  program
    .command('stop')
    .description('stop running containers: their stop signal, then SIGKILL after the timeout')
    .argument('[container...]', 'container names or ids')
    .option(
      '-t, --time <seconds>',
      "seconds to wait before the kill (default: the container's --stop-timeout)",
      wholeSeconds,
    )
    .option(
      '--restartable',
      'stop every running container with a restart policy, as a host shutting down does: they start again at boot',
    )
    .action(async (references: string[], options: { time?: number; restartable?: boolean }) => {
      if (options.restartable) {
        const running = listContainers(cacheRoot()).filter((c) => c.config.restart.name !== 'no' && isRunning(c));
        await eachContainer(
          running.map((c) => c.config.name),
          (c) => stopContainer(c, options.time, false),
        );
        return;
      }
      if (references.length === 0) throw new UsageError('stop: name at least one container');
      await eachContainer(references, (container) => stopContainer(container, options.time));
    });
}

/** registerRestart adds the restart command. */
export function registerRestart(program: Command): void {
  program
    .command('restart')
    .description('stop containers, then start them again in the background')
    .argument('<container...>', 'container names or ids')
    .option(
      '-t, --time <seconds>',
      "seconds to wait before the kill (default: the container's --stop-timeout)",
      wholeSeconds,
    )
    .action(async (references: string[], options: { time?: number }) => {
      const root = cacheRoot();
      await eachContainer(references, async (container) => {
        await stopContainer(container, options.time);
        await startDetached(root, container);
      });
    });
}

/** registerKill adds the kill command. */
export function registerKill(program: Command): void {
  program
    .command('kill')
    .description("send a signal to containers' main process (SIGKILL by default)")
    .argument('<container...>', 'container names or ids')
    .option('-s, --signal <signal>', 'the signal to send', signalName, 'SIGKILL')
    .action(async (references: string[], options: { signal: string }) => {
      await eachContainer(references, async (container) => killContainer(container, options.signal));
    });
}

/** registerWait adds the wait command. */
export function registerWait(program: Command, signal: AbortSignal): void {
  program
    .command('wait')
    .description('wait until containers stop, then print their exit codes')
    .argument('<container...>', 'container names or ids')
    .action(async (references: string[]) => {
      const root = cacheRoot();
      for (const reference of references)
        printLine(String(await waitContainer(findContainer(root, reference), signal)));
    });
}

/** registerRm adds the rm command. */
export function registerRm(program: Command): void {
  program
    .command('rm')
    .description('remove containers, their changes, and with -v their anonymous volumes')
    .argument('<container...>', 'container names or ids')
    .option('-f, --force', 'stop a running container first (SIGKILL)')
    .option('-v, --volumes', "remove the containers' anonymous volumes too")
    .action(async (references: string[], options: { force?: boolean; volumes?: boolean }) => {
      const root = cacheRoot();
      await eachContainer(references, async (container) => {
        if (options.force) await forceRemove(root, container, options.volumes ?? false);
        else removeStopped(root, container, options.volumes ?? false);
      });
    });
}
