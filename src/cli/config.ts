/**
 * `undocker config ARCHIVE [IMAGE]`: the image config, normalised.
 */
import type { Command } from 'commander';
import { toConfigView } from '../image/config-view.js';
import { shortId } from '../image/digest.js';
import { toMachineName } from '../config/machine-name.js';
import type { RunSpec } from '../config/run-spec.js';
import { describeImage } from '../image/select.js';
import { runSpecOf, Warnings } from './generate.js';
import { imageCommand, type ImageOptions, withImage } from './archive.js';
import { formatTable, printJson, printLine } from './output.js';

function printRunSpec(spec: RunSpec): void {
  const { user } = spec;
  const name = user.name !== undefined ? ` (${user.name})` : '';
  const who = `${user.uid}:${user.gid}${name}, groups ${user.groups.join(',')}`;
  const rows = [
    ...rowsOf('Image', [spec.image]),
    ...rowsOf('Argv', [JSON.stringify(spec.argv)]),
    ...rowsOf(
      'Env',
      spec.env.map(([name, value]) => `${name}=${value}`),
    ),
    ...rowsOf('WorkingDir', [spec.workingDir]),
    ...rowsOf('User', [who]),
    ...rowsOf('Home', [user.home]),
    ...rowsOf(
      'Ports',
      spec.ports.map((p) => `${p.port}${p.end !== p.port ? `-${p.end}` : ''}/${p.protocol}`),
    ),
    ...rowsOf('Volumes', spec.volumes),
    ...rowsOf('StopSignal', [spec.stopSignal]),
    ...rowsOf('Hostname', [spec.hostname]),
    ...rowsOf('Architecture', [spec.architecture]),
  ];
  for (const line of formatTable(rows)) printLine(line);
}

function rowsOf(label: string, values: string[]): string[][] {
  if (values.length === 0) return [[`${label}:`, '']];
  return values.map((value, i) => [i === 0 ? `${label}:` : '', value]);
}

/** registerConfig adds the config command. */
export function registerConfig(program: Command, signal: AbortSignal): void {
  imageCommand(program, 'config', 'show the image config: entrypoint, command, environment, ports, volumes, ...')
    .option(
      '--run-spec',
      'show what a runtime runs: argv, environment, working directory, user resolved against the image',
    )
    .action(
      async (
        input: string,
        selector: string | undefined,
        options: ImageOptions & { json?: boolean; runSpec?: boolean },
      ) => {
        await withImage(input, selector, options, signal, async (image) => {
          if (options.runSpec) {
            const warnings = new Warnings();
            const { spec } = await runSpecOf(image, input, toMachineName(describeImage(image)), warnings.add, signal);
            warnings.print();
            return options.json ? printJson(spec) : printRunSpec(spec);
          }
          const view = toConfigView(image);
          if (options.json) return printJson(view);
          const health = view.Healthcheck?.Test ? [JSON.stringify(view.Healthcheck.Test)] : [];
          const rows = [
            ...rowsOf('Image', [`${view.names.join(' ') || '<none>'} (${shortId(view.id)})`]),
            ...rowsOf('Platform', [[view.os, view.architecture, view.variant].filter(Boolean).join('/')]),
            ...rowsOf('Entrypoint', view.Entrypoint.length ? [JSON.stringify(view.Entrypoint)] : []),
            ...rowsOf('Cmd', view.Cmd.length ? [JSON.stringify(view.Cmd)] : []),
            ...rowsOf('Env', view.Env),
            ...rowsOf('WorkingDir', view.WorkingDir ? [view.WorkingDir] : []),
            ...rowsOf('User', view.User ? [view.User] : []),
            ...rowsOf('ExposedPorts', view.ExposedPorts),
            ...rowsOf('Volumes', view.Volumes),
            ...rowsOf('StopSignal', view.StopSignal ? [view.StopSignal] : []),
            ...rowsOf(
              'Labels',
              Object.entries(view.Labels).map(([k, v]) => `${k}=${v}`),
            ),
            ...rowsOf('Healthcheck', health),
          ];
          for (const line of formatTable(rows)) printLine(line);
        });
      },
    );
}
