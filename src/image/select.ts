/**
 * Choosing one image of an archive: by name (`busybox`, `busybox:1.36`, a bare OCI tag), by an
 * id or digest prefix, or the only one; several platforms of one name are told apart by
 * platform. Every failure lists what the archive does hold.
 */
import { UndockerError } from '../errors.js';
import { hexOf, shortId } from './digest.js';
import { formatImageName, normalizeRepository, parseImageName } from './names.js';
import { formatPlatform, hostPlatform, platformMatches } from './platform.js';
import type { Image, ImageArchive, ImageName, Platform } from './types.js';

/** describeImage names an image for lists: its first name, or its short id. */
export function describeImage(image: Image): string {
  const name = image.names[0];
  return name !== undefined ? formatImageName(name) : shortId(image.id);
}

function matchesName(name: ImageName, selector: string): boolean {
  const wanted = parseImageName(selector);
  if (name.repository === undefined) return selector === name.tag || selector === `:${name.tag}`;
  return (
    normalizeRepository(name.repository) === normalizeRepository(wanted.repository ?? '') && name.tag === wanted.tag
  );
}

function matchesId(image: Image, selector: string): boolean {
  const hex = hexOf(selector);
  if (!/^[0-9a-f]{4,64}$/.test(hex)) return false;
  return [image.id, image.manifestDigest].some((id) => id !== undefined && hexOf(id).startsWith(hex));
}

function listChoices(images: Image[]): string {
  // Platforms only tell images apart when they differ.
  const platforms = new Set(images.map((image) => (image.platform ? formatPlatform(image.platform) : '')));
  return images
    .map(
      (image) =>
        describeImage(image) + (platforms.size > 1 && image.platform ? ` (${formatPlatform(image.platform)})` : ''),
    )
    .join(', ');
}

/** selectImage picks one image, or throws a one-line error naming the choices. */
export function selectImage(archive: ImageArchive, selector?: string, platform?: Platform): Image {
  const all = archive.images;
  let candidates =
    selector === undefined ? all : all.filter((image) => image.names.some((name) => matchesName(name, selector)));
  if (selector !== undefined && candidates.length === 0) candidates = all.filter((image) => matchesId(image, selector));
  if (candidates.length === 0) throw notFound(archive, selector as string);
  if (candidates.length === 1 && platform === undefined) return candidates[0] as Image;
  const wanted = platform ?? hostPlatform();
  const fitting = candidates.filter((image) => platformMatches(image.platform, wanted));
  if (fitting.length === 1) return fitting[0] as Image;
  if (fitting.length === 0) {
    const have = [
      ...new Set(candidates.map((image) => (image.platform ? formatPlatform(image.platform) : 'unknown'))),
    ].join(', ');
    throw new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `${archive.where}: no image for platform ${formatPlatform(wanted)}; it has ${have} (use --platform)`,
    );
  }
  throw new UndockerError(
    'UNDOCKER_AMBIGUOUS',
    `${archive.where}: archive holds ${fitting.length} images: ${listChoices(fitting)}; name one`,
  );
}

function notFound(archive: ImageArchive, selector: string): UndockerError {
  const wanted = parseImageName(selector);
  const sameRepository = archive.images
    .flatMap((image) => image.names)
    .filter(
      (name) =>
        name.repository !== undefined &&
        normalizeRepository(name.repository) === normalizeRepository(wanted.repository ?? ''),
    );
  if (sameRepository.length > 0) {
    const tags = [...new Set(sameRepository.map((name) => name.tag))].join(', ');
    return new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `${archive.where}: ${wanted.repository} has no tag ${wanted.tag}; tags: ${tags}`,
    );
  }
  return new UndockerError(
    'UNDOCKER_NOT_FOUND',
    `${archive.where}: no image ${selector}; it holds: ${listChoices(archive.images)}`,
  );
}
