/**
 * An HTTP client for one repository of a registry (distribution's HTTP API v2). It pings
 * `/v2/` first and answers the challenge there — a bearer token for the repository's scope from
 * the realm (anonymous, or with the credentials as basic auth), or basic auth itself — so every
 * later request, streamed uploads included, carries its credentials. A token is fetched again
 * before it expires (`expires_in`, 60 s when not said, as the token spec has it) and once on a
 * 401 for a token thought valid. A 429, 502, 503, 504 or a connection reset is retried with
 * backoff, honouring Retry-After, for a bounded time; a streamed upload is never replayed.
 */
import type { Readable } from 'node:stream';
import { UndockerError } from '../errors.js';
import { parseChallenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { apiHost, type Reference } from './reference.js';
import { Backoff, DEFAULT_RETRY, parseRetryAfter, RETRY_STATUSES, type RetryPolicy, sleep } from './retry.js';

/** NETWORK_ERRORS words the system's error codes for people. */
const NETWORK_ERRORS: Record<string, string> = {
  ENOTFOUND: 'no such host (ENOTFOUND)',
  EAI_AGAIN: 'the name does not resolve now (EAI_AGAIN)',
  ECONNREFUSED: 'connection refused (ECONNREFUSED)',
  ECONNRESET: 'the connection was reset (ECONNRESET)',
  ETIMEDOUT: 'timed out (ETIMEDOUT)',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  EHOSTUNREACH: 'no route to host (EHOSTUNREACH)',
  ENETUNREACH: 'network unreachable (ENETUNREACH)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak HTTPS (a plain-HTTP registry needs --insecure)',
};

/** ClientOptions say how to reach and authenticate to the registry. */
export interface ClientOptions {
  credentials?: Credentials;
  /** insecure speaks plain HTTP, as asked for a registry on loopback */
  insecure?: boolean;
  signal?: AbortSignal;
  /** retry bounds retries (tests shorten it) */
  retry?: RetryPolicy;
}

/** RETRY_ERRORS are the connection failures worth another try: the peer went away mid-request. */
const RETRY_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** TOKEN_MARGIN_MS renews a token this long before it expires, so no request carries one that lapses on the way. */
const TOKEN_MARGIN_MS = 5_000;
/** DEFAULT_TOKEN_SECONDS is a token's life when the issuer does not say (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;

/** RequestInit is what one API request needs. */
export interface ApiRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** statuses that are success; others become one-line errors */
  expect: number[];
  /** what the request is, naming the image, for messages: "manifest docker.io/library/nginx:1.27" */
  what: string;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

/** RegistryClient talks to one repository. */
export class RegistryClient {
  readonly host: string;
  readonly base: string;
  private authorization: string | undefined;
  private ready: Promise<void> | undefined;
  /** bearer is the challenge a token answers, kept to fetch the next one; tokenExpires when this one lapses */
  private bearer: Record<string, string> | undefined;
  private tokenExpires = Infinity;
  private renewing: Promise<void> | undefined;
  readonly retry: RetryPolicy;

  constructor(
    readonly reference: Reference,
    private readonly options: ClientOptions,
    private readonly scope: 'pull' | 'push',
  ) {
    this.host = apiHost(reference);
    this.base = `${options.insecure ? 'http' : 'https'}://${this.host}`;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  private async send(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: Buffer | Readable },
  ): Promise<Response> {
    try {
      return await fetch(url, {
        method: init.method,
        headers: init.headers,
        redirect: 'follow',
        signal: this.options.signal,
        ...(init.body !== undefined ? { body: init.body as unknown as BodyInit, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (cause?.code !== undefined ? NETWORK_ERRORS[cause.code] : undefined) ??
        cause?.code ??
        cause?.message ??
        (error as Error).message;
      const failure = new UndockerError(
        'UNDOCKER_NETWORK',
        `cannot reach ${this.reference.registry} (${this.base}): ${why}`,
        { cause: error },
      );
      throw Object.assign(failure, { retryable: cause?.code !== undefined && RETRY_ERRORS.has(cause.code) });
    }
  }

  private basic(): string | undefined {
    const credentials = this.options.credentials;
    return credentials === undefined
      ? undefined
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private async fetchToken(params: Record<string, string>): Promise<void> {
    const realm = params.realm;
    if (realm === undefined)
      throw new UndockerError('UNDOCKER_AUTH', `${this.reference.registry}: its bearer challenge names no realm`);
    const url = new URL(realm);
    if (params.service !== undefined) url.searchParams.set('service', params.service);
    url.searchParams.set(
      'scope',
      `repository:${this.reference.repository}:${this.scope === 'push' ? 'pull,push' : 'pull'}`,
    );
    const basic = this.basic();
    const response = await this.send(url.toString(), { method: 'GET', headers: basic ? { authorization: basic } : {} });
    if (!response.ok) {
      throw new UndockerError(
        'UNDOCKER_AUTH',
        `${this.reference.registry}: the token service ${url.origin} refused ` +
          `${basic ? 'the credentials' : 'anonymous access'} (HTTP ${response.status}): give --creds USER:PASSWORD ` +
          `or --authfile`,
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.token ?? body.access_token;
    if (token === undefined)
      throw new UndockerError(
        'UNDOCKER_AUTH',
        `${this.reference.registry}: the token service ${url.origin} sent no token`,
      );
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    this.bearer = params;
    this.authorization = `Bearer ${token}`;
    this.tokenExpires = Date.now() + seconds * 1000 - Math.min(TOKEN_MARGIN_MS, seconds * 500);
  }

  /** renewToken fetches a new token for the same challenge; concurrent callers share one fetch. */
  private renewToken(): Promise<void> {
    this.renewing ??= this.fetchToken(this.bearer as Record<string, string>).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** authenticate pings /v2/ and answers its challenge, once. */
  private authenticate(): Promise<void> {
    this.ready ??= (async () => {
      const response = await this.send(`${this.base}/v2/`, { method: 'GET', headers: {} });
      await response.body?.cancel();
      if (response.status !== 401) return;
      const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
      if (challenge.scheme === 'bearer') await this.fetchToken(challenge.params);
      else if (challenge.scheme === 'basic') {
        this.authorization = this.basic();
        if (this.authorization === undefined)
          throw new UndockerError(
            'UNDOCKER_AUTH',
            `${this.reference.registry} needs credentials: give --creds USER:PASSWORD or --authfile`,
          );
      }
    })();
    return this.ready;
  }

  /**
   * request sends one API request (a path below /v2/<repository>/, or an absolute URL) and checks
   * its status, renewing the token and retrying where that can help.
   */
  async request(pathOrUrl: string, request: ApiRequest): Promise<Response> {
    await this.authenticate();
    const url = /^https?:\/\//.test(pathOrUrl)
      ? pathOrUrl
      : `${this.base}/v2/${this.reference.repository}/${pathOrUrl}`;
    // A streamed body can be sent once only.
    const replayable = request.body === undefined || Buffer.isBuffer(request.body);
    const backoff = new Backoff(this.retry);
    let renewed = false;
    for (;;) {
      if (this.bearer !== undefined && Date.now() >= this.tokenExpires) await this.renewToken();
      const headers = { ...request.headers, ...(this.authorization ? { authorization: this.authorization } : {}) };
      let response: Response;
      try {
        response = await this.send(url, {
          method: request.method ?? 'GET',
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
      } catch (error) {
        const delay = replayable && (error as { retryable?: boolean }).retryable ? backoff.next() : undefined;
        if (delay === undefined)
          throw backoff.attempts > 0 ? this.givingUp(request.what, (error as Error).message, backoff, error) : error;
        await sleep(delay, this.options.signal);
        continue;
      }
      if (request.expect.includes(response.status)) return response;
      if (response.status === 401 && this.bearer !== undefined && !renewed && replayable) {
        // The token lapsed early, or was revoked: one new one, then the answer stands.
        await response.body?.cancel();
        renewed = true;
        await this.renewToken();
        continue;
      }
      const delay =
        replayable && RETRY_STATUSES.has(response.status)
          ? backoff.next(parseRetryAfter(response.headers.get('retry-after')))
          : undefined;
      if (delay === undefined) {
        if (RETRY_STATUSES.has(response.status) && backoff.attempts > 0)
          throw this.givingUp(
            request.what,
            `HTTP ${response.status}`,
            backoff,
            await this.failure(response, request.what),
          );
        throw await this.failure(response, request.what);
      }
      await response.body?.cancel();
      await sleep(delay, this.options.signal);
    }
  }

  /** givingUp is the one line that ends a request retried until its time ran out. */
  private givingUp(what: string, last: string, backoff: Backoff, cause: unknown): UndockerError {
    return new UndockerError(
      'UNDOCKER_NETWORK',
      `${what}: ${this.reference.registry} still failed after ${backoff.attempts + 1} attempts in ` +
        `${backoff.elapsedSeconds()} s (last: ${last}): giving up`,
      { cause },
    );
  }

  private async failure(response: Response, what: string): Promise<UndockerError> {
    const body = await response.text().catch(() => '');
    let detail = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
    try {
      const errors = (JSON.parse(body) as RegistryErrorBody).errors ?? [];
      if (errors.length > 0) detail = errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      /* not JSON */
    }
    if (response.status === 401 || response.status === 403) {
      return new UndockerError(
        'UNDOCKER_AUTH',
        `${what}: access denied (HTTP ${response.status}${detail ? `, ${detail}` : ''}): check --creds or --authfile`,
      );
    }
    if (response.status === 404)
      return new UndockerError('UNDOCKER_NOT_FOUND', `${what}: not found (HTTP 404${detail ? `, ${detail}` : ''})`);
    return new UndockerError('UNDOCKER_NETWORK', `${what}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`);
  }
}
