/**
 * The "show" test image: Debian's busybox-static, an entrypoint that reports its argv,
 * environment, working directory and ids (hex-encoded, so any byte survives), a user `app`
 * with a supplementary group, and a small getent (systemd-nspawn runs getent in the container
 * to switch users; busybox has none).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ContainerConfig } from '../../src/image/types.js';
import { writeDockerSave } from './archives.js';
import type { EntrySpec } from './tar-builder.js';

/** REPORT_FILE is where the entrypoint also leaves its report, for runs whose stdout is a console. */
export const REPORT_FILE = 'tmp/undocker-show.out';

const SHOW = `#!/bin/sh
{
  for a in "$@"; do printf 'arg '; printf '%s' "$a" | od -An -v -tx1 | tr -d ' \\n'; echo; done
  printf 'env '; od -An -v -tx1 /proc/$$/environ | tr -d ' \\n'; echo
  echo "cwd $(pwd)"
  echo "ids $(id -u) $(id -g) $(id -G)"
} > /${REPORT_FILE}
cat /${REPORT_FILE}
`;

const GETENT = `#!/bin/sh
# getent DATABASE KEY, for passwd, group and initgroups: what systemd-nspawn's User= asks.
case "$1" in
  passwd|group) exec awk -F: -v k="$2" '$1 == k || $3 == k { print; found = 1; exit } END { exit !found }' "/etc/$1" ;;
  initgroups) exec awk -F: -v u="$2" 'BEGIN { printf "%s", u }
    { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) printf " %s", $3 }
    END { print "" }' /etc/group ;;
esac
exit 2
`;

function busyboxEntries(): EntrySpec[] {
  const applets = execFileSync('/bin/busybox', ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a !== '' && a !== 'bin/busybox');
  return [
    { path: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.map((applet) => ({ path: applet, linkname: '/bin/busybox' })),
  ];
}

/**
 * showImageStack is the image's two layers, as a Dockerfile makes them: a busybox base, then the users, getent and
 * the entrypoint (an `etc/` the top layer does not declare, and a whiteout), so a run stacks two diffs.
 */
export function showImageStack(): EntrySpec[][] {
  const base: EntrySpec[] = [
    ...['bin/', 'sbin/', 'usr/', 'usr/bin/', 'usr/sbin/', 'etc/', 'root/', 'work/', 'proc/', 'sys/', 'dev/'].map(
      (path) => ({ path }),
    ),
    { path: 'home/' },
    { path: 'home/app/', uid: 1000, gid: 1000 },
    { path: 'tmp/', mode: 0o1777 },
    ...busyboxEntries(),
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { path: 'etc/motd', content: 'removed by the top layer\n' },
  ];
  const top: EntrySpec[] = [
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n' },
    { path: 'etc/group', content: 'root:x:0:\napp:x:1000:\nextra:x:1500:app\n' },
    { path: 'etc/.wh.motd' },
    { path: 'usr/bin/getent', content: GETENT, mode: 0o755 },
    { path: 'show', content: SHOW, mode: 0o755 },
  ];
  return [base, top];
}

/** showImageLayers is the image as one layer. */
export function showImageLayers(): EntrySpec[] {
  const [base = [], top = []] = showImageStack();
  return [
    ...base.filter((entry) => entry.path !== 'etc/motd'),
    ...top.filter((entry) => entry.path !== 'etc/.wh.motd'),
  ];
}

/** writeShowImage writes a docker save archive of the show image, in its two layers, with `config`. */
export function writeShowImage(config: ContainerConfig, tag = 'show:latest'): string {
  return writeDockerSave([{ layers: showImageStack(), tags: [tag], config }]);
}

/** ShowReport is what the entrypoint reported. */
export interface ShowReport {
  args: string[];
  env: Map<string, string>;
  cwd: string;
  ids: string;
}

/** parseShowReport decodes the entrypoint's report. */
export function parseShowReport(text: string): ShowReport {
  const report: ShowReport = { args: [], env: new Map(), cwd: '', ids: '' };
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    const [key, value] = [line.slice(0, space < 0 ? line.length : space), space < 0 ? '' : line.slice(space + 1)];
    if (key === 'arg') report.args.push(Buffer.from(value, 'hex').toString('utf8'));
    else if (key === 'env') {
      for (const entry of Buffer.from(value, 'hex').toString('utf8').split('\0').filter(Boolean)) {
        const equals = entry.indexOf('=');
        report.env.set(entry.slice(0, equals), entry.slice(equals + 1));
      }
    } else if (key === 'cwd') report.cwd = value;
    else if (key === 'ids') report.ids = value;
  }
  return report;
}
