import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { RuleViolationError } from '@compute-ledger/ledger';

/**
 * Where the ledger may send webhooks (SSRF safety). Only https, and http only to a host the
 * operator allows in LEDGER_WEBHOOK_ALLOW (`host` for any port, `host:port` for one). Private,
 * loopback, link-local and other non-public addresses are refused unless the host is allowed
 * there: checked at registration on the resolved addresses, and again at each delivery on the
 * address actually connected to (see `vettedLookup`), so a name that later resolves elsewhere
 * (DNS rebinding) reaches nothing it should not.
 */

export class WebhookUrlRefusedError extends RuleViolationError {
  override readonly name: string = 'WebhookUrlRefusedError';
}

export interface AllowEntry {
  host: string;
  /** Null: any port. */
  port: string | null;
}

/** Parses `LEDGER_WEBHOOK_ALLOW`: comma-separated `host` or `host:port` entries (IPv6 in brackets). */
export function parseWebhookAllowList(value: string | undefined): AllowEntry[] {
  if (value === undefined || value.trim() === '') return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
      if (match === null) throw new Error(`LEDGER_WEBHOOK_ALLOW entry ${entry} is not host or host:port`);
      return { host: normalHost(match[1]!), port: match[2] ?? null };
    });
}

/** Addresses no webhook reaches unless allowed: everything that is not the public internet. */
const nonPublic = (() => {
  const list = new BlockList();
  for (const [network, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv4');
  }
  for (const [network, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv6');
  }
  return list;
})();

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it carries. (Node's
  // BlockList already matches IPv4 addresses against an IPv6 rule for ::ffff:0:0/96, so that
  // range cannot be listed as such: it would refuse every IPv4 address.)
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return isPublicAddress(mapped[1]!);
  if (family === 6 && /^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(address)) return false;
  return !nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

/**
 * A registration waits this long for DNS and then refuses the URL: the request should not hang
 * on a resolver that does not answer. (A delivery's lookup is inside the attempt's deadline.)
 */
export const registrationResolveTimeoutMs = 5_000;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

export class WebhookUrlPolicy {
  constructor(
    private readonly allow: readonly AllowEntry[],
    private readonly resolve: Resolve = systemResolve,
  ) {}

  /** The URL parsed, or a refusal that says why (registration: 422). */
  async check(raw: string): Promise<URL> {
    const url = this.checkForm(raw);
    const addresses = await this.addressesOf(url);
    if (addresses.length === 0) throw new WebhookUrlRefusedError(`webhook url ${raw}: ${url.hostname} does not resolve`);
    for (const { address } of addresses) this.checkAddress(url, address);
    return url;
  }

  /** What can be told from the URL alone: scheme, credentials, allow-list for http. */
  checkForm(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlRefusedError(`webhook url ${raw} is not an absolute URL`);
    }
    if (url.username !== '' || url.password !== '') throw new WebhookUrlRefusedError('a webhook url carries no user name or password: deliveries are signed instead');
    if (url.hash !== '') throw new WebhookUrlRefusedError('a webhook url has no fragment');
    if (url.protocol === 'https:') return url;
    if (url.protocol !== 'http:') throw new WebhookUrlRefusedError(`webhook url ${raw}: only https is accepted (and http to hosts in LEDGER_WEBHOOK_ALLOW)`);
    if (!this.allows(url)) throw new WebhookUrlRefusedError(`webhook url ${raw}: http is accepted only to hosts listed in LEDGER_WEBHOOK_ALLOW; use https`);
    return url;
  }

  /** Refuses a non-public address unless the URL's host is allowed. */
  checkAddress(url: URL, address: string): void {
    if (isPublicAddress(address) || this.allows(url)) return;
    throw new WebhookUrlRefusedError(`webhook url ${url.origin}: ${url.hostname} resolves to ${address}, a private, loopback or link-local address, which is refused unless the host is listed in LEDGER_WEBHOOK_ALLOW`);
  }

  /**
   * The `lookup` of an outgoing request: resolves as usual, then refuses any address the policy
   * refuses, so the connection is made only to an address that was checked.
   */
  vettedLookup(url: URL) {
    return (hostname: string, _options: unknown, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      this.resolve(hostname).then(
        (addresses) => {
          try {
            if (addresses.length === 0) throw new WebhookUrlRefusedError(`${hostname} does not resolve`);
            for (const { address } of addresses) this.checkAddress(url, address);
            const first = addresses[0]!;
            // Node asks with `all: true` when it tries several addresses (autoSelectFamily).
            if ((_options as { all?: boolean } | undefined)?.all === true) callback(null, addresses);
            else callback(null, first.address, first.family);
          } catch (error) {
            callback(error as Error, '', 0);
          }
        },
        (error: Error) => callback(error, '', 0),
      );
    };
  }

  private async addressesOf(url: URL): Promise<LookupAddress[]> {
    const host = normalHost(url.hostname);
    const family = isIP(host);
    if (family !== 0) return [{ address: host, family }];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new WebhookUrlRefusedError(`webhook url ${url.origin}: ${url.hostname} did not resolve within ${registrationResolveTimeoutMs} ms`)), registrationResolveTimeoutMs);
    });
    try {
      return await Promise.race([this.resolve(host), timeout]);
    } catch (error) {
      if (error instanceof WebhookUrlRefusedError) throw error;
      throw new WebhookUrlRefusedError(`webhook url ${url.origin}: ${url.hostname} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }

  private allows(url: URL): boolean {
    const host = normalHost(url.hostname);
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    return this.allow.some((entry) => entry.host === host && (entry.port === null || entry.port === port));
  }
}

/** Lower case, IPv6 without brackets: the form URLs and the allow-list are compared in. */
function normalHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}
