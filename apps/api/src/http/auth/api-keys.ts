import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Identifier } from '@compute-ledger/contracts';
import { dataDirectoryMode } from '@compute-ledger/ledger';
import { ConfigError } from '../../config.js';

/**
 * API keys and the roles they carry. Only a SHA-256 digest of each key is kept in memory, and a
 * presented key is compared with every known digest in constant time, so neither the lookup's
 * timing nor a heap dump gives a key away.
 */

export const staffRoles = ['admin', 'finance', 'operations', 'metering', 'billing', 'auditor'] as const;
export type StaffRole = (typeof staffRoles)[number];
export type Role = StaffRole | `tenant:${string}`;

/** Who is calling: the role, the tenant for a tenant key, and the name recorded as the actor. */
export interface Caller {
  role: Role;
  /** Set for a `tenant:<tenantId>` key only. */
  tenantId: string | null;
  /** What events record as their actor: the role and a short fingerprint, never the key. */
  actor: string;
}

/**
 * Keys shorter than this are accepted (API.md's own example has a two-character key) but are
 * reported at start: they are guessable.
 */
export const apiKeyLengthRecommended = 16;
export const apiKeyLengthMax = 256;
export const apiKeysMax = 1_000;
export const adminKeyFile = 'admin.key';
const adminKeyBytes = 32;
const fingerprintHexDigits = 8;

interface KnownKey {
  digest: Buffer;
  caller: Caller;
}

export class ApiKeys {
  private constructor(
    private readonly keys: readonly KnownKey[],
    /** 1-based entries of LEDGER_API_KEYS whose key is shorter than recommended. */
    readonly shortKeyEntries: readonly number[] = [],
  ) {}

  /** Parses `key=role,key=role` (LEDGER_API_KEYS). */
  static parse(spec: string): ApiKeys {
    const entries = spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    if (entries.length === 0) throw new ConfigError('LEDGER_API_KEYS names no key');
    if (entries.length > apiKeysMax) throw new ConfigError(`LEDGER_API_KEYS names more than ${apiKeysMax} keys`);
    const shortKeyEntries: number[] = [];
    const keys = entries.map((entry, index) => {
      const separator = entry.lastIndexOf('=');
      // Entries are numbered rather than quoted so that a key never appears in an error message.
      if (separator <= 0) throw new ConfigError(`LEDGER_API_KEYS entry ${index + 1} is not key=role`);
      const key = entry.slice(0, separator);
      const role = parseRole(entry.slice(separator + 1), index);
      if (key.length > apiKeyLengthMax || /[\s]/.test(key)) {
        throw new ConfigError(`LEDGER_API_KEYS entry ${index + 1}: a key has at most ${apiKeyLengthMax} characters and no white space`);
      }
      if (key.length < apiKeyLengthRecommended) shortKeyEntries.push(index + 1);
      return known(key, role);
    });
    const digests = new Set(keys.map((key) => key.digest.toString('hex')));
    if (digests.size !== keys.length) throw new ConfigError('LEDGER_API_KEYS names the same key twice');
    return new ApiKeys(keys, shortKeyEntries);
  }

  static of(entries: readonly { key: string; role: Role }[]): ApiKeys {
    return new ApiKeys(entries.map((entry) => known(entry.key, entry.role)));
  }

  /** The caller a presented key stands for, or null. Every known key is compared, match or not. */
  authenticate(presented: string): Caller | null {
    const digest = sha256(presented);
    let found: Caller | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest)) found = key.caller;
    }
    return found;
  }
}

export interface AdminKey {
  key: string;
  path: string;
  /** True when this start created it (and so must show it once). */
  created: boolean;
}

/**
 * The admin key of a ledger started without LEDGER_API_KEYS: created on the first start, kept
 * in the data directory readable by its owner only, and read again on later starts.
 */
export function loadOrCreateAdminKey(dataDir: string): AdminKey {
  return loadOrCreateKey(dataDir, adminKeyFile);
}

/** Where the demo keeps its keys, one file per role, in the data directory. */
export const demoKeysDirectory = 'keys';
/** The tenant whose key the demo keeps: the tenant of the worked example. */
export const demoKeyTenant = 'frontier-lab';

export interface DemoKey extends AdminKey {
  role: Role;
}

/**
 * A key per role for the demo (`npm start` without LEDGER_API_KEYS), so that every example of
 * the README can be run as the user it is written for: finance, auditor, billing, metering,
 * operations, and a tenant key of frontier-lab. Each is a file of `keys/` in the data directory
 * named after its role (`keys/finance.key`, `keys/tenant-frontier-lab.key`), mode 0600, created
 * on the first start and read again on later ones. The admin key stays where it always is.
 */
export function loadOrCreateDemoKeys(dataDir: string): DemoKey[] {
  const roles: Role[] = [...staffRoles.filter((role) => role !== 'admin'), `tenant:${demoKeyTenant}`];
  return roles.map((role) => ({ role, ...loadOrCreateKey(join(dataDir, demoKeysDirectory), `${role.replace(':', '-')}.key`) }));
}

function loadOrCreateKey(directory: string, file: string): AdminKey {
  const path = join(directory, file);
  const existing = readKeyFile(path);
  if (existing !== null) return { key: existing, path, created: false };
  mkdirSync(directory, { recursive: true, mode: dataDirectoryMode });
  const key = `cl_${randomBytes(adminKeyBytes).toString('base64url')}`;
  try {
    // 'wx' fails when another process created the file first; then that key is the key.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const raced = readKeyFile(path);
    if (raced !== null) return { key: raced, path, created: false };
    throw error;
  }
  // The mode given to open is masked by the umask; set it explicitly.
  chmodSync(path, 0o600);
  return { key, path, created: true };
}

function readKeyFile(path: string): string | null {
  try {
    const key = readFileSync(path, 'utf8').trim();
    return key === '' ? null : key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseRole(value: string, index: number): Role {
  const role = value.trim();
  if ((staffRoles as readonly string[]).includes(role)) return role as StaffRole;
  if (role.startsWith('tenant:') && Identifier.safeParse(role.slice('tenant:'.length)).success) return role as Role;
  throw new ConfigError(`LEDGER_API_KEYS entry ${index + 1}: role ${role} is not one of ${staffRoles.join(', ')}, tenant:<tenantId>`);
}

function known(key: string, role: Role): KnownKey {
  const digest = sha256(key);
  const tenantId = role.startsWith('tenant:') ? role.slice('tenant:'.length) : null;
  return { digest, caller: { role, tenantId, actor: `${role}#${digest.toString('hex').slice(0, fingerprintHexDigits)}` } };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
