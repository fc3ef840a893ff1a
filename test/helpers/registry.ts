/**
 * Real registries for tests: Debian's docker-registry (the distribution registry) on loopback,
 * open, behind htpasswd, or behind a token issuer started here (RS256 tokens with an x5c chain
 * the registry trusts); and a TCP proxy that can cut a connection mid-response.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './archives.js';

/** Registry is a running registry. */
export interface Registry {
  /** host is HOST:PORT, as references name it */
  host: string;
  /** storage is the registry's data folder */
  storage: string;
  /** tokensIssued counts the tokens its issuer gave out (token auth only) */
  tokensIssued(): number;
  stop(): Promise<void>;
}

/** USER and PASSWORD are the credentials protected registries accept. */
export const USER = 'tester';
export const PASSWORD = 'pa$$ word';

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (i > 100 || child.exitCode !== null)
        throw new Error(`docker-registry did not start: ${log()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function base64url(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
}

/** startTokenIssuer serves tokens: pull for anyone, pull and push with USER and PASSWORD, 401 for other credentials. */
async function startTokenIssuer(
  dir: string,
  service: string,
  lifetime: number,
): Promise<{ realm: string; cert: string; issued(): number; close(): Promise<void> }> {
  let issued = 0;
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=undocker-test-issuer',
    ],
    { stdio: 'ignore' },
  );
  const der = execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER']);
  const privateKey = readFileSync(key);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const given = request.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(request.headers.authorization.slice(6), 'base64').toString('utf8')
      : undefined;
    if (given !== undefined && given !== `${USER}:${PASSWORD}`) {
      response.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
      return;
    }
    const access = url.searchParams.getAll('scope').map((scope) => {
      const [type, name, actions] = scope.split(':');
      const wanted = (actions ?? '').split(',');
      return { type, name, actions: wanted.filter((action) => action === 'pull' || given !== undefined) };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    issued++;
    const claims = {
      iss: 'undocker-test-issuer',
      sub: given?.split(':')[0] ?? '',
      aud: service,
      exp: now + lifetime,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const unsigned = `${base64url(header)}.${base64url(claims)}`;
    const token = `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: lifetime }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    cert,
    issued: () => issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** startRegistry starts docker-registry on a free loopback port, with the auth asked for. */
export async function startRegistry(
  auth: 'none' | 'htpasswd' | 'token' = 'none',
  options: { tokenLifetime?: number } = {},
): Promise<Registry> {
  const dir = tempDir('undocker-registry-');
  const port = await freePort();
  const storage = join(dir, 'data');
  let authConfig = '';
  let issuer: Awaited<ReturnType<typeof startTokenIssuer>> | undefined;
  if (auth === 'htpasswd') {
    writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', USER, PASSWORD]));
    authConfig = `auth:\n  htpasswd:\n    realm: undocker-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    issuer = await startTokenIssuer(dir, 'undocker-test', options.tokenLifetime ?? 600);
    authConfig =
      `auth:\n  token:\n    realm: ${issuer.realm}\n    service: undocker-test\n` +
      `    issuer: undocker-test-issuer\n    rootcertbundle: ${issuer.cert}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    ` +
      `enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authConfig}`,
  );
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  await waitFor(`http://127.0.0.1:${port}/v2/`, child, () => log);
  return {
    host: `127.0.0.1:${port}`,
    storage,
    tokensIssued: () => issuer?.issued() ?? 0,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await issuer?.close();
      execFileSync('rm', ['-rf', dir]);
    },
  };
}

/** Proxy forwards loopback TCP to a registry, counting the bytes it sends back, and can cut connections. */
export interface Proxy {
  host: string;
  /** bytesToClient and bytesToServer count what went through each way */
  bytesToClient: number;
  bytesToServer: number;
  /** cutAfter, when set, ends a connection once it has sent this many bytes back */
  cutAfter?: number;
  /** pauseMs, when set, holds each chunk back this long, so a download takes a while */
  pauseMs?: number;
  close(): Promise<void>;
}

/** startProxy starts a TCP proxy to `target` (HOST:PORT). */
export async function startProxy(target: string): Promise<Proxy> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const proxy: Proxy = { host: '', bytesToClient: 0, bytesToServer: 0, close: async () => undefined };
  const server: Server = createTcpServer((client) => {
    const upstream = connect(Number(port), host);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      proxy.bytesToServer += chunk.length;
    });
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      proxy.bytesToClient += chunk.length;
      if (proxy.cutAfter !== undefined && sent > proxy.cutAfter) {
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
      if (proxy.pauseMs !== undefined) {
        upstream.pause();
        setTimeout(() => upstream.resume(), proxy.pauseMs);
      }
    });
    for (const socket of [client, upstream])
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    upstream.on('end', () => client.end());
  });
  const free = await freePort();
  await new Promise<void>((resolve) => server.listen(free, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${free}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** Fault is what a FaultProxy answers instead of the registry, `times` times, for requests whose path matches. */
export interface Fault {
  match: RegExp;
  status: number;
  retryAfter?: string;
  times: number;
}

/** FaultProxy is an HTTP proxy to a registry that answers with faults first, and counts what it forwarded. */
export interface FaultProxy {
  host: string;
  faults: Fault[];
  /** delayMs holds every forwarded request back this long */
  delayMs: number;
  /** log lists "STATUS PATH" of every answer, faults included */
  log: string[];
  close(): Promise<void>;
}

/** startFaultProxy starts an HTTP proxy to `target` (HOST:PORT) that injects the faults it is given. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [host, port] = target.split(':') as [string, string];
  const proxy: FaultProxy = { host: '', faults: [], delayMs: 0, log: [], close: async () => undefined };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    const fault = proxy.faults.find((f) => f.times > 0 && f.match.test(path));
    if (fault !== undefined) {
      fault.times--;
      proxy.log.push(`${fault.status} ${path}`);
      request.resume();
      response
        .writeHead(fault.status, fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {})
        .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"injected fault"}]}');
      return;
    }
    setTimeout(() => {
      const upstream = httpRequest(
        { host, port: Number(port), method: request.method, path, headers: { ...request.headers, host: target } },
        (answer) => {
          proxy.log.push(`${answer.statusCode ?? 0} ${path}`);
          // Redirects point at the registry itself: keep them through the proxy.
          const headers = { ...answer.headers };
          if (typeof headers.location === 'string')
            headers.location = headers.location.replace(`//${target}`, `//${proxy.host}`);
          response.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    }, proxy.delayMs);
  });
  const free = await freePort();
  await new Promise<void>((resolve) => server.listen(free, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${free}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
