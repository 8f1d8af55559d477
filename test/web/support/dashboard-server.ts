import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

/**
 * Serves the built dashboard on its own loopback port and forwards /v1 and config.json to the
 * ledger's API, so the page talks to the API on its own origin, as it will once the API serves
 * it at `/`, and no CORS is needed. Test-only: the API's own static serving replaces it.
 */

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export async function serveDashboard(distDirectory: string, apiUrl: string): Promise<DashboardServer> {
  const api = new URL(apiUrl);
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    // The API answers /v1 and, unless a file beside index.html overrides it, the page's config.json.
    if (path === '/v1' || path.startsWith('/v1/') || (path === '/config.json' && !existsSync(join(distDirectory, 'config.json')))) forward(request, response, api);
    else serveFile(distDirectory, path, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

function forward(request: IncomingMessage, response: ServerResponse, api: URL): void {
  const upstream = httpRequest({ hostname: api.hostname, port: api.port, method: request.method, path: request.url, headers: { ...request.headers, host: api.host } }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', (error) => {
    response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`the ledger API did not answer: ${error.message}`);
  });
  request.pipe(upstream);
}

function serveFile(distDirectory: string, path: string, response: ServerResponse): void {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
  } catch {
    relative = '';
  }
  const file = join(distDirectory, relative === '' ? 'index.html' : relative);
  // A path that climbs out of dist/ is answered as missing.
  if (!file.startsWith(distDirectory + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
    return;
  }
  response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(response);
}
