import { keys, type KeyName } from './ledger-server.js';

/** Requests to a ledger process over loopback HTTP, as any client sends them. */

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Answer<T = Json> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** The role whose key is sent; null sends no key. Default admin. */
  as?: KeyName | null;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is (malformed JSON, junk bytes); the content type defaults to JSON. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class Client {
  constructor(readonly url: string) {}

  async request<T = Json>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const as = options.as === undefined ? 'admin' : options.as;
    if (as !== null && !hasHeader(headers, 'authorization')) headers['authorization'] = `Bearer ${keys[as]}`;
    let body: string | Uint8Array | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }), ...(options.signal === undefined ? {} : { signal: options.signal }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (metrics, docs): the text is the body.
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = Json>(path: string, as: KeyName | null = 'admin'): Promise<Answer<T>> {
    return this.request<T>('GET', path, { as });
  }

  post<T = Json>(path: string, as: KeyName | null, body: unknown, headers?: Record<string, string>): Promise<Answer<T>> {
    return this.request<T>('POST', path, { as, body, ...(headers === undefined ? {} : { headers }) });
  }

  /** A request that must answer `status`; anything else fails with the answer's text. */
  async expect<T = Json>(status: number | readonly number[], method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const answer = await this.request<T>(method, path, options);
    const expected = typeof status === 'number' ? [status] : status;
    if (!expected.includes(answer.status)) throw new Error(`${method} ${path}: expected ${expected.join(' or ')}, got ${answer.status}: ${answer.text.slice(0, 2_000)}`);
    return answer;
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}
