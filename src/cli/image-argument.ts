/**
 * The IMAGE argument of `undocker run` and `install`: an archive path, or ARCHIVE:NAME[:TAG]
 * when the archive holds several images. A path that exists as written is always a path, so
 * file names with colons keep working.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** ImageArgument is an archive and, when named, the image in it. */
export interface ImageArgument {
  input: string;
  selector?: string;
}

/** parseImageArgument splits IMAGE into archive and image name; `--image` wins over a name in IMAGE. */
export function parseImageArgument(
  text: string,
  image: string | undefined,
  exists: (path: string) => boolean = existsSync,
): ImageArgument {
  if (text === '-' || exists(text)) return { input: text, ...(image !== undefined ? { selector: image } : {}) };
  for (let colon = text.indexOf(':'); colon > 0; colon = text.indexOf(':', colon + 1)) {
    const input = text.slice(0, colon);
    if (!exists(input)) continue;
    if (image !== undefined)
      throw new UsageError(`${text}: name the image either after the archive or with --image, not both`);
    return { input, selector: text.slice(colon + 1) };
  }
  return { input: text, ...(image !== undefined ? { selector: image } : {}) };
}
