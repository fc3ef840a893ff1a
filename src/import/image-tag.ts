/**
 * Tags as `docker tag` takes them: [HOST[:PORT]/]PATH[:TAG], path components lowercase
 * letters, digits and separators (the distribution reference grammar), tag `latest` by default.
 */
import { UsageError } from '../errors.js';

const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\\d+)?/)';
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^(${HOST}?${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?$`);

/** parseTag checks a -t value and returns it as NAME:TAG. */
export function parseTag(text: string): string {
  const match = REFERENCE.exec(text);
  // A first component with a dot or port is a registry host only when more components follow.
  if (match === null || (match[1] as string).length > 255) {
    throw new UsageError(
      `-t ${text}: not a valid image name: use [REGISTRY/]NAME[:TAG], the name in lowercase letters, digits, ., _ ` +
        `and -`,
    );
  }
  return `${match[1]}:${match[2] ?? 'latest'}`;
}
