import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver on loopback for the tests: records every request it gets, and behaves as
 * told (answers 2xx, is down, answers 500, or is too slow). Its signature check is written
 * here from the Standard Webhooks spec with node:crypto alone, independent of the ledger's code.
 */

export type ReceiverMode = 'ok' | 'down' | 'error' | 'slow';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** Whether the receiver answered 2xx to this request. */
  accepted: boolean;
}

export interface Receiver {
  url: string;
  port: number;
  mode: ReceiverMode;
  /** How long a slow answer takes. */
  slowMs: number;
  /** In `ok` mode, how long the receiver takes to answer 2xx (it has taken the event when it answers). */
  answerDelayMs: number;
  received: Received[];
  /** The ids answered 2xx, first time each, in the order they arrived (the receiver's dedup by webhook-id). */
  acceptedOnce(): string[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    port: 0,
    mode: 'ok',
    slowMs: 2_000,
    answerDelayMs: 0,
    received,
    acceptedOnce() {
      const seen = new Set<string>();
      const ids: string[] = [];
      for (const entry of received) {
        if (!entry.accepted || seen.has(entry.id)) continue;
        seen.add(entry.id);
        ids.push(entry.id);
      }
      return ids;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const mode = receiver.mode;
      if (mode === 'down') {
        request.socket.destroy();
        return;
      }
      const entry: Received = {
        id: String(request.headers['webhook-id']),
        timestamp: String(request.headers['webhook-timestamp']),
        signature: String(request.headers['webhook-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
        accepted: mode === 'ok',
      };
      if (mode === 'slow') {
        // Answered 2xx too late: the sender has given up, so this is not an acceptance it saw.
        setTimeout(() => response.writeHead(204).end(), receiver.slowMs).unref();
        received.push({ ...entry, accepted: false });
        return;
      }
      if (mode === 'ok' && receiver.answerDelayMs > 0) {
        setTimeout(() => {
          received.push(entry);
          response.writeHead(204).end();
        }, receiver.answerDelayMs).unref();
        return;
      }
      received.push(entry);
      response.writeHead(mode === 'ok' ? 204 : 500).end();
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  return receiver;
}

/** Standard Webhooks verification: base64 HMAC-SHA256 of `id.timestamp.body`, keyed by the secret's bytes. */
export function verifySignature(secret: string, entry: Pick<Received, 'id' | 'timestamp' | 'signature' | 'body'>): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${entry.id}.${entry.timestamp}.${entry.body}`).digest();
  return entry.signature.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',');
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
