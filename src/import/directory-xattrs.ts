/**
 * The extended attributes of a whole tree, read with one `getfattr -R` (Node has no xattr
 * calls): a map from each path below the root (a byte string) to its attributes. Only paths
 * that have attributes are held.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { UndockerError } from '../errors.js';

/** unescapeGetfattr undoes getfattr's octal escapes (`\012`) in a file name; the result is a byte string. */
function unescapeGetfattr(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** readTreeXattrs returns the attributes of every path below `root`, keyed by path relative to it. */
export async function readTreeXattrs(root: string): Promise<Map<string, Map<string, Buffer>>> {
  const child = spawn('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const found = new Map<string, Map<string, Buffer>>();
  const prefix = `${Buffer.from(root.replace(/\/+$/, ''), 'utf8').toString('latin1')}/`;
  let current: Map<string, Buffer> | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new UndockerError('UNDOCKER_MISSING_TOOL', 'getfattr not found: install the attr package', { cause: error })
          : error,
      ),
    );
    child.once('close', resolve);
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
    if (line.startsWith('# file: ')) {
      const path = unescapeGetfattr(line.slice(8));
      current = new Map();
      if (path.startsWith(prefix)) found.set(path.slice(prefix.length), current);
    } else if (current !== undefined && line.includes('=0x')) {
      const equals = line.indexOf('=0x');
      current.set(unescapeGetfattr(line.slice(0, equals)), Buffer.from(line.slice(equals + 3), 'hex'));
    }
  }
  const status = await exited;
  if (status !== 0 && status !== 1)
    throw new UndockerError('UNDOCKER_IO', `getfattr ${root} failed: ${stderr.trim().split('\n')[0] ?? ''}`);
  return found;
}
