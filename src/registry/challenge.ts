/**
 * WWW-Authenticate challenges (RFC 7235) as registries send them: `Bearer realm="…",
 * service="…",scope="…"` for the token flow (distribution's token spec), `Basic realm="…"`.
 */

/** Challenge is one parsed challenge. */
export interface Challenge {
  scheme: 'bearer' | 'basic' | string;
  params: Record<string, string>;
}

/** parseChallenge reads the first challenge of a WWW-Authenticate header. */
export function parseChallenge(header: string): Challenge {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  for (const param of (match?.[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[(param[1] as string).toLowerCase()] =
      param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme: (match?.[1] ?? '').toLowerCase(), params };
}
