import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config.js';
import { ApiKeys, loadOrCreateAdminKey, loadOrCreateDemoKeys } from './api-keys.js';
import { may } from './permissions.js';

describe('API keys', () => {
  it('reads API.md’s example configuration', () => {
    const keys = ApiKeys.parse('ops-key=operations,t1=tenant:frontier-lab');
    expect(keys.authenticate('ops-key')).toMatchObject({ role: 'operations', tenantId: null });
    expect(keys.authenticate('t1')).toMatchObject({ role: 'tenant:frontier-lab', tenantId: 'frontier-lab' });
    expect(keys.authenticate('t2')).toBeNull();
    expect(keys.authenticate('')).toBeNull();
    expect(keys.shortKeyEntries).toEqual([1, 2]);
  });

  it('records an actor that names the role, never the key', () => {
    const caller = ApiKeys.parse('a-long-secret-key-1=finance').authenticate('a-long-secret-key-1');
    expect(caller?.actor).toMatch(/^finance#[0-9a-f]{8}$/);
    expect(caller?.actor).not.toContain('secret');
  });

  it('refuses a configuration it cannot use, without echoing a key', () => {
    for (const spec of ['', 'no-role', 'key-0000001=boss', 'key-0000001=tenant:', 'key-0000001=admin,key-0000001=finance', 'has space=admin']) {
      expect(() => ApiKeys.parse(spec), spec).toThrow(ConfigError);
    }
    try {
      ApiKeys.parse('super-secret-value=boss');
    } catch (error) {
      expect((error as Error).message).not.toContain('super-secret-value');
    }
  });

  it('grants admin everything and a tenant only its reads', () => {
    const admin = { role: 'admin', tenantId: null, actor: 'a' } as const;
    const tenant = { role: 'tenant:x', tenantId: 'x', actor: 't' } as const;
    expect(may(admin, 'audit.read')).toBe(true);
    expect(may(tenant, 'invoices.read')).toBe(true);
    expect(may(tenant, 'reports.read')).toBe(false);
  });

  it('creates the admin key once, readable by its owner only, and reads it again', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-keys-'));
    try {
      const first = loadOrCreateAdminKey(join(directory, 'data'));
      expect(first.created).toBe(true);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      const second = loadOrCreateAdminKey(join(directory, 'data'));
      expect(second).toEqual({ ...first, created: false });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('keeps one demo key per role but admin, each readable by its owner only, and reads them again', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-keys-'));
    try {
      const first = loadOrCreateDemoKeys(join(directory, 'data'));
      expect(first.map((key) => key.role)).toEqual(['finance', 'operations', 'metering', 'billing', 'auditor', 'tenant:frontier-lab']);
      expect(first.map((key) => key.path.slice(directory.length))).toEqual(['finance', 'operations', 'metering', 'billing', 'auditor', 'tenant-frontier-lab'].map((name) => `/data/keys/${name}.key`));
      for (const key of first) expect(statSync(key.path).mode & 0o777).toBe(0o600);
      expect(new Set(first.map((key) => key.key)).size).toBe(first.length);
      expect(loadOrCreateDemoKeys(join(directory, 'data'))).toEqual(first.map((key) => ({ ...key, created: false })));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
