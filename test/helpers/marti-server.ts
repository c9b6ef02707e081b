/**
 * TAK Server's web API for data packages, for the tests: HTTPS with client certificates from the test CA
 * required (as 8443), or plain HTTP (as taky and FreeTAKServer's 8080), on 127.0.0.1 port 0. It answers
 * missionupload (multipart `assetfile`, the hash checked), upload, metadata/tool, content by hash and search,
 * as TAK Server does; each test can replace any answer.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { TestPki } from './tls-pki';

export interface StoredPackage {
  bytes: Buffer;
  name: string;
  creatorUid: string;
  tool: string | undefined;
  /** The client certificate's CN, over TLS. */
  uploader: string | undefined;
}

export interface MartiRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type MartiHandler = (request: MartiRequest, res: http.ServerResponse) => void;

export interface MartiServer {
  port: number;
  packages: Map<string, StoredPackage>;
  seen: MartiRequest[];
  /** By path; a path not here gets TAK Server's answer. */
  handlers: Map<string, MartiHandler>;
  close(): Promise<void>;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The first file part of a multipart/form-data body. */
function filePart(body: Buffer, contentType: string | undefined): Buffer | undefined {
  const boundary = /boundary=([^;]+)/.exec(contentType ?? '')?.[1];
  if (!boundary) return undefined;
  const start = body.indexOf(`--${boundary}`);
  const headersEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(`\r\n--${boundary}`, headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) return undefined;
  const headers = body.subarray(start, headersEnd).toString('utf8');
  if (!/name="assetfile"/.test(headers)) return undefined;
  return body.subarray(headersEnd + 4, end);
}

export async function startMartiServer(pki: TestPki | undefined): Promise<MartiServer> {
  const packages = new Map<string, StoredPackage>();
  const seen: MartiRequest[] = [];
  const handlers = new Map<string, MartiHandler>();
  const sockets = new Set<net.Socket>();
  let port = 0;
  const scheme = pki ? 'https' : 'http';

  const takServer: MartiHandler = (request, res) => {
    const path = request.url.pathname;
    const query = request.url.searchParams;
    if (request.method === 'POST' && path === '/Marti/sync/missionupload') {
      const file = filePart(request.body, request.headers['content-type']);
      const hash = query.get('hash') ?? '';
      if (!file || sha256(file) !== hash) {
        res.writeHead(400).end('hash does not match the file');
        return;
      }
      packages.set(hash, {
        bytes: Buffer.from(file),
        name: query.get('filename') ?? '',
        creatorUid: query.get('creatorUid') ?? '',
        tool: undefined,
        uploader: (request as MartiRequest & { cn?: string }).cn,
      });
      res
        .writeHead(200, { 'Content-Type': 'text/plain' })
        .end(`${scheme}://127.0.0.1:${port}/Marti/sync/content?hash=${hash}`);
      return;
    }
    const tool = /^\/Marti\/api\/sync\/metadata\/([0-9a-f]{64})\/tool$/.exec(path);
    if (request.method === 'PUT' && tool) {
      const stored = packages.get(tool[1] as string);
      if (!stored) {
        res.writeHead(404).end();
        return;
      }
      stored.tool = request.body.toString('utf8');
      res.writeHead(200).end();
      return;
    }
    if (request.method === 'GET' && path === '/Marti/sync/content') {
      const stored = packages.get(query.get('hash') ?? '');
      if (!stored) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/zip' }).end(stored.bytes);
      return;
    }
    if (request.method === 'GET' && path === '/Marti/sync/search') {
      const results = [...packages.entries()]
        .filter(([, stored]) => stored.tool === 'public')
        .map(([hash, stored]) => ({
          Hash: hash,
          Name: stored.name,
          Size: stored.bytes.length,
          CreatorUid: stored.creatorUid,
          Tool: stored.tool,
        }));
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ resultCount: results.length, results }));
      return;
    }
    res.writeHead(404).end();
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: MartiRequest & { cn?: string } = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const socket = req.socket as net.Socket & { getPeerCertificate?: () => { subject?: { CN?: string } } };
      const cn = socket.getPeerCertificate?.()?.subject?.CN;
      if (cn !== undefined) request.cn = cn;
      seen.push(request);
      (handlers.get(request.url.pathname) ?? takServer)(request, res);
    });
  };
  const server = pki
    ? https.createServer(
        {
          key: pki.server.key,
          cert: pki.server.cert,
          ca: pki.ca.cert,
          requestCert: true,
          rejectUnauthorized: true,
        },
        listener,
      )
    : http.createServer(listener);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    packages,
    seen,
    handlers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
