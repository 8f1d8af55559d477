import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApiKeys, connectionLimits, createLogger, openLedgerAt, startApiServer, type ApiServer, type ConnectionLimits } from '@compute-ledger/api';
import type { Ledger } from '@compute-ledger/ledger';

/**
 * Slow clients over raw sockets: headers sent a byte at a time, a body at one byte every 2 s, a
 * kept-alive connection left idle, more connections than the cap. Each is answered 408 or
 * dropped within its limit, and the server answers others all the while. The limits are the
 * server's own (limits.ts), shortened in-process so the test takes seconds.
 */

const limits: ConnectionLimits = { headersTimeoutMs: 1_000, receiveTimeoutMs: 2_000, keepAliveIdleTimeoutMs: 1_000, socketIdleTimeoutMs: 10_000, checkIntervalMs: 200, connectionsMax: 8 };
/** What the server may take beyond a limit to act on it: one check interval, and a loaded machine. */
const slackMs = 1_500;
const adminKey = 'slow-clients-admin-key-0001';

let ledger: Ledger;
let server: ApiServer;
let port: number;

beforeAll(async () => {
  ledger = await openLedgerAt('sqlite::memory:');
  server = await startApiServer({ ledger, apiKeys: ApiKeys.parse(`${adminKey}=admin`), logger: createLogger('silent'), port: 0, connectionLimits: limits });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
  await ledger?.close();
});

interface Watched {
  socket: Socket;
  received: () => string;
  /** Resolves with the milliseconds from the start until the server closed the connection. */
  closed: Promise<number>;
}

function open(): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now() - startedMs)));
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

/** Writes `text` a byte every `everyMs` while the socket is open. */
function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) return clearInterval(timer);
    socket.write(text[index]!);
    index += 1;
  }, everyMs);
  return () => clearInterval(timer);
}

async function healthy(): Promise<void> {
  const answer = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  expect(answer.status).toBe(200);
}

describe('slow and idle clients', () => {
  it('drops a client that sends its headers a byte at a time, with 408, within the header limit', async () => {
    const client = await open();
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const stop = trickle(client.socket, `X-Slow: ${'a'.repeat(200)}\r\n\r\n`, 100);
    const closedAfterMs = await client.closed;
    stop();
    expect(closedAfterMs).toBeLessThan(limits.headersTimeoutMs + slackMs);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    await healthy();
  });

  it('drops a client that sends its body at one byte every 2 s, with 408, within the request limit', async () => {
    const client = await open();
    client.socket.write(`POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const stop = trickle(client.socket, '"tenantId":"slow"'.padEnd(99, ' '), 2_000);
    await healthy();
    const closedAfterMs = await client.closed;
    stop();
    expect(closedAfterMs).toBeLessThan(limits.receiveTimeoutMs + slackMs);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(await ledger.store.headPosition()).toBe(-1);
  });

  it('closes a kept-alive connection left idle after its answer, within the keep-alive limit', async () => {
    const client = await open();
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const closedAfterMs = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfterMs).toBeLessThan(limits.keepAliveIdleTimeoutMs + slackMs);
  });

  it('closes connections beyond the cap at once, and serves again once they are gone', async () => {
    const held = await Promise.all(Array.from({ length: limits.connectionsMax }, () => open()));
    // Each holds its connection with a request it never finishes.
    for (const client of held) client.socket.write('GET /healthz HTTP/1.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const beyond = await open();
    beyond.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await beyond.closed).toBeLessThan(1_000);
    expect(beyond.received()).toBe('');
    // The held ones are dropped by the header limit; then the server takes connections again.
    await Promise.all(held.map((client) => client.closed));
    await healthy();
  });

  it('ships with limits that drop a slow client within a minute, and a cap on connections', () => {
    expect(connectionLimits.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(connectionLimits.receiveTimeoutMs).toBeLessThanOrEqual(60_000);
    expect(connectionLimits.checkIntervalMs).toBeLessThanOrEqual(1_000);
    expect(connectionLimits.connectionsMax).toBeGreaterThan(0);
  });
});
