import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { webDistPath } from '@compute-ledger/web';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Issuer } from '@compute-ledger/documents';
import type { Ledger } from '@compute-ledger/ledger';
import type { Logger } from 'pino';
import { readIssuer } from '../config.js';
import { ApiModule } from './app.module.js';
import type { ApiKeys } from './auth/api-keys.js';
import { answerStatusOf } from './common/answer.js';
import { loggedProblemOf, problem, problemContentType, unreadableRequestProblem, type Problem } from './common/problem.js';
import { cloudEventContentType, cloudEventsBatchContentType } from './common/cloudevents.js';
import { connectionLimits, pathParameterLengthMax, requestBodyBytesMax, requestHeaderBytesMax, requestIdLengthMax, type ConnectionLimits } from './limits.js';
import { createLogger, NestPinoLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { Webhooks } from '../webhooks/webhooks.js';

export interface ApiServerOptions {
  ledger: Ledger;
  apiKeys: ApiKeys;
  /** Default: JSON logs at info level to stdout. */
  logger?: Logger;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  version?: string;
  /** The issuer printed on documents. Default: `LEDGER_ISSUER_*` of this process, read now. */
  issuer?: Issuer;
  /** Default `connectionLimits` (limits.ts). Not a setting: in-process tests shorten them to seconds. */
  connectionLimits?: ConnectionLimits;
  /** Webhook endpoints and their delivery, started with the server and stopped as it closes. Default: none. */
  webhooks?: Webhooks;
}

export interface ApiServer {
  app: NestFastifyApplication;
  /** `http://host:port`, as the server listens. */
  url: string;
  /** Stops accepting requests, answers those in flight, then closes. The ledger stays open. */
  close(): Promise<void>;
}

const requestIdPattern = new RegExp(`^[A-Za-z0-9._:-]{1,${requestIdLengthMax}}$`);

/** Builds the API on Fastify without listening (for tests that inject requests). */
export async function createApiApp(options: ApiServerOptions): Promise<NestFastifyApplication> {
  const issuer = options.issuer ?? readIssuer(process.env);
  const logger = options.logger ?? createLogger();
  const metrics = new Metrics(options.ledger);
  await metrics.start(options.ledger);
  /** Set when the server starts to close: a request that still arrives is answered 503. */
  let closing = false;
  // One log line and one metric per request: from the onResponse hook below, and from
  // frameworkErrors, whose answers run no hook.
  const recordRequest = (request: FastifyRequest, reply: FastifyReply) => {
    const route = routeOf(request);
    const elapsedMs = reply.elapsedTime;
    metrics.observe(request.method, route, reply.statusCode, elapsedMs / 1000);
    request.log.info({ method: request.method, route, url: request.url, status: reply.statusCode, ms: Math.round(elapsedMs * 10) / 10 }, 'request');
  };
  const limits = options.connectionLimits ?? connectionLimits;
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: requestBodyBytesMax,
    // A slow client is answered 408 or dropped (limits.ts): Fastify's own defaults leave the
    // whole request without a limit.
    requestTimeout: limits.receiveTimeoutMs,
    keepAliveTimeout: limits.keepAliveIdleTimeoutMs,
    connectionTimeout: limits.socketIdleTimeoutMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // One line per request is written by the onResponse hook below, with the route and status.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // A client's request id is kept when it is a plain token, so its logs and ours line up.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && requestIdPattern.test(header) ? header : randomUUID();
    },
    routerOptions: { maxParamLength: pathParameterLengthMax },
    http: { maxHeaderSize: requestHeaderBytesMax, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.receiveTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs },
    // The router refuses a malformed percent-escape (400) and a path parameter over the limit
    // (414) before any hook runs or Nest sees the request; Nest's own handler for these sends
    // Fastify's plain JSON. Here they leave as problem details like every other refusal.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      sendProblem(reply.header('x-request-id', String(request.id)), loggedProblemOf(error, request.log));
      recordRequest(request, reply);
    },
    // Node's HTTP parser refuses what it cannot read before there is a request to route.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => answerUnreadableRequest(error, socket, logger),
    // Fastify's own 503 while closing is plain JSON written past every hook; the onRequest hook
    // below answers it as problem details instead.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.register({ ledger: options.ledger, apiKeys: options.apiKeys, metrics, issuer, version: options.version ?? '0.0.0', webhooks: options.webhooks ?? null }),
    adapter,
    // Fastify's own JSON parser (with the body limit above) is the only body parser: no forms.
    { logger: new NestPinoLogger(logger), abortOnError: false, bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON is taken: any other media type is answered 415 rather than parsed as text.
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
    if (fastify.hasContentTypeParser(contentType)) fastify.removeContentTypeParser(contentType);
  }
  for (const contentType of [cloudEventsBatchContentType, cloudEventContentType]) {
    fastify.addContentTypeParser(contentType, { parseAs: 'string', bodyLimit: requestBodyBytesMax }, fastify.getDefaultJsonParser('error', 'error'));
  }
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    // Load shedding while the server drains: the client should go to another instance.
    void reply.header('connection', 'close');
    return sendProblem(reply, problem(503, 'the server is stopping; send the request again, to another instance or after the restart'));
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    const status = answerStatusOf(request);
    if (status !== undefined && reply.statusCode < 400) void reply.status(status);
    void reply.header('x-request-id', String(request.id));
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => recordRequest(request, reply));
  serveDashboard(app, options.ledger);
  await app.init();
  const webhooks = options.webhooks;
  if (webhooks !== undefined) {
    metrics.trackWebhooks(webhooks);
    fastify.addHook('onClose', async () => webhooks.stop());
    await webhooks.start();
  }
  return app;
}

/**
 * The dashboard's static files at `/`, when they are built (npm install and npm start build
 * them). They need no key: the page asks for one and sends it with every /v1 request.
 *
 * The page reads its settings from `config.json` beside index.html (apps/web/src/config.ts).
 * Unless an operator put such a file there, the API answers it: the same origin, and the
 * ledger's own currency, so amounts carry the right symbol before a document names it.
 */
function serveDashboard(app: NestFastifyApplication, ledger: Ledger): void {
  const root = webDistPath();
  const fastify = app.getHttpAdapter().getInstance();
  if (!existsSync(join(root, 'config.json'))) {
    fastify.get('/config.json', async (_request, reply) => reply.header('cache-control', 'no-store').send({ apiBaseUrl: '', currency: ledger.currency } satisfies DashboardSettings));
  }
  if (existsSync(join(root, 'index.html'))) {
    app.useStaticAssets({ root, prefix: '/', index: ['index.html'], wildcard: false });
    return;
  }
  fastify.get('/', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send('The dashboard is not built: run `npm run build` at the project root. The API is at /v1, its docs at /docs.\n'),
  );
}

/** What `config.json` holds for the dashboard (apps/web/src/config.ts reads it). */
interface DashboardSettings {
  /** `''`: the page calls /v1 on the origin that served it. */
  apiBaseUrl: string;
  currency: string;
}

/** Builds the API and listens. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const app = await createApiApp(options);
  // Beyond the cap a new connection is closed at once.
  app.getHttpServer().maxConnections = (options.connectionLimits ?? connectionLimits).connectionsMax;
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app,
    url: `http://${host}:${address.port}`,
    close: () => app.close(),
  };
}

function sendProblem(reply: FastifyReply, answer: Problem): FastifyReply {
  return reply.status(answer.status).header('content-type', problemContentType).send(answer);
}

/**
 * Node's HTTP parser refuses a request it cannot read (request line and headers over
 * requestHeaderBytesMax: 431; not HTTP: 400; too slow: 408) before Fastify has a request to
 * route, and would answer in plain JSON. The answer is problem details, written on the socket
 * as Node does it: only when no answer has begun on it, then the connection is closed, since
 * what the client sends next cannot be told apart from the rest of the unreadable request.
 */
function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Socket, logger: Logger): void {
  // A connection the client reset has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = unreadableRequestProblem(error.code);
  logger.debug({ code: error.code, status: answer.status }, 'unreadable request refused');
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && answering?.headersSent !== true) {
    const body = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n` +
        `content-type: ${problemContentType}; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The route pattern (`/v1/leases/:leaseId`), never the raw URL: metrics stay bounded. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}
