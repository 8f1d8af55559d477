import { describe, expect, it, vi } from 'vitest';
import { isPublicAddress, parseWebhookAllowList, registrationResolveTimeoutMs, WebhookUrlPolicy, WebhookUrlRefusedError, type Resolve } from './url-policy.js';
import { signature } from './signing.js';

/** A resolver that answers what the test says, as DNS would (and may change its answer). */
function resolverOf(answers: Record<string, string[]>): Resolve {
  return async (hostname) => (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

function lookupThrough(policy: WebhookUrlPolicy, url: string): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) =>
    policy.vettedLookup(target)(target.hostname, {}, (error, address) => (error === null ? resolve(String(address)) : reject(error))),
  );
}

describe('webhook URL policy', () => {
  it('parses the allow-list: host for any port, host:port for one', () => {
    expect(parseWebhookAllowList(' 127.0.0.1, hooks.internal:8443 ,[::1]:9000')).toEqual([
      { host: '127.0.0.1', port: null },
      { host: 'hooks.internal', port: '8443' },
      { host: '::1', port: '9000' },
    ]);
    expect(parseWebhookAllowList(undefined)).toEqual([]);
    expect(() => parseWebhookAllowList('http://x')).toThrow(/LEDGER_WEBHOOK_ALLOW/);
  });

  it('tells public addresses from private, loopback, link-local and mapped ones', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2606:2800:220:1:248:1893:25c8:1946')).toBe(true);
    for (const address of ['127.0.0.1', '10.0.0.5', '172.16.3.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('allows http and private addresses only for listed hosts, and a host:port entry only on its port', async () => {
    const policy = new WebhookUrlPolicy(parseWebhookAllowList('127.0.0.1:8080,hooks.internal'), resolverOf({ 'hooks.internal': ['10.0.0.7'] }));
    await expect(policy.check('http://127.0.0.1:8080/in')).resolves.toBeInstanceOf(URL);
    await expect(policy.check('http://127.0.0.1:8081/in')).rejects.toThrow(WebhookUrlRefusedError);
    await expect(policy.check('http://hooks.internal/in')).resolves.toBeInstanceOf(URL);
    await expect(policy.check('https://hooks.internal:9443/in')).resolves.toBeInstanceOf(URL);
  });

  it('refuses a name that resolves to a private address, and one that does not resolve', async () => {
    const policy = new WebhookUrlPolicy([], resolverOf({ 'intranet.example.com': ['93.184.216.34', '10.0.0.9'] }));
    await expect(policy.check('https://intranet.example.com/in')).rejects.toThrow(/resolves to 10\.0\.0\.9/);
    await expect(policy.check('https://nowhere.example.com/in')).rejects.toThrow(/does not resolve/);
  });

  it('refuses a name whose resolver does not answer in time', async () => {
    vi.useFakeTimers();
    try {
      const policy = new WebhookUrlPolicy([], () => new Promise(() => undefined));
      const checked = policy.check('https://silent.example.com/in');
      const refused = expect(checked).rejects.toThrow(/did not resolve within 5000 ms/);
      await vi.advanceTimersByTimeAsync(registrationResolveTimeoutMs);
      await refused;
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks the address again at delivery: a name that now resolves to loopback is not connected to (DNS rebinding)', async () => {
    const answers: Record<string, string[]> = { 'hooks.example.com': ['93.184.216.34'] };
    const policy = new WebhookUrlPolicy([], resolverOf(answers));
    await expect(policy.check('https://hooks.example.com/in')).resolves.toBeInstanceOf(URL);
    await expect(lookupThrough(policy, 'https://hooks.example.com/in')).resolves.toBe('93.184.216.34');
    answers['hooks.example.com'] = ['127.0.0.1'];
    await expect(lookupThrough(policy, 'https://hooks.example.com/in')).rejects.toThrow(/resolves to 127\.0\.0\.1/);
  });
});

describe('webhook signature', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The example of the Standard Webhooks specification (standard-webhooks/standard-webhooks, spec/standard-webhooks.md).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
