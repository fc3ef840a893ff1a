/**
 * The progress line on a terminal, for pulls and flattens: layers done, bytes, rate, redrawn in
 * place on standard error at most ten times a second. Silent when standard error is not a
 * terminal or when asked.
 */
import type { PullProgress } from '../registry/pull.js';
import { formatBytes } from './output.js';

/** terminalProgress returns a progress display, or undefined where none should be shown. */
export function terminalProgress(label: string, quiet = false): PullProgress | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  let layers = 0;
  let done = 0;
  let total = 0;
  let bytes = 0;
  const started = Date.now();
  let drawn = 0;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - drawn < 100) return;
    drawn = now;
    const rate = bytes / Math.max((now - started) / 1000, 0.001);
    const amount = total > 0 ? `${formatBytes(bytes)} of ${formatBytes(total)}` : formatBytes(bytes);
    process.stderr.write(`\r\x1b[K${label}: ${done}/${layers} layers, ${amount}, ${formatBytes(rate)}/s`);
    if (force && done === layers) process.stderr.write('\n');
  };
  return {
    start(count, size) {
      // A directory flatten that starts again (streamed-names.ts) counts from nothing again.
      layers = count;
      total = size;
      done = 0;
      bytes = 0;
      if (count > 0) draw(true);
    },
    bytes(count) {
      bytes += count;
      draw(false);
    },
    layerDone() {
      done++;
      draw(done === layers);
    },
  };
}
