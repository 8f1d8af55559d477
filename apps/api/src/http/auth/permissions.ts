import { SetMetadata } from '@nestjs/common';
import type { Caller, StaffRole } from './api-keys.js';

/**
 * What each role may do (API.md). Every endpoint names one permission, or says it is public;
 * the guard refuses an endpoint that says neither, so a new route is closed until it is placed.
 */

export const permissionRoles = {
  /** Tenants, leases, amendments, terminations. */
  'contracts.write': ['finance'],
  /** Sites, allocations, releases, outages. */
  'capacity.write': ['operations'],
  'usage.write': ['metering'],
  'billing.run': ['finance', 'billing'],
  /** Payments and credit notes by hand. */
  'receivables.write': ['finance'],
  /** Approving or voiding a billing run's draft (never by the key that ran the run: the ledger checks). */
  'drafts.approve': ['finance'],
  /** Drafts awaiting approval: staff who read invoices; a tenant sees a document once issued. */
  'drafts.read': ['finance', 'auditor', 'billing'],
  /** Closing a service month. */
  'periods.close': ['finance'],
  'reports.read': ['finance', 'auditor'],
  'capacity.read': ['finance', 'auditor', 'operations'],
  'billing-runs.read': ['finance', 'auditor', 'billing'],
  'audit.read': ['finance', 'auditor'],
  /** Tenant keys pass here and are then limited to their own resources. */
  'tenants.read': ['finance', 'auditor', 'tenant'],
  'invoices.read': ['finance', 'auditor', 'billing', 'tenant'],
  'leases.read': ['finance', 'auditor', 'tenant'],
  'usage.read': ['finance', 'auditor', 'tenant'],
  /** Webhook endpoints and their secrets: admin keys only. */
  'webhooks.admin': [],
} as const satisfies Record<string, readonly (Exclude<StaffRole, 'admin'> | 'tenant')[]>;

export type Permission = keyof typeof permissionRoles;

export const permissionMetadataKey = 'compute-ledger:permission';
export const publicMetadataKey = 'compute-ledger:public';

/** The permission an endpoint requires. */
export const Allow = (permission: Permission) => SetMetadata(permissionMetadataKey, permission);

/** An endpoint anyone may call (health, metrics, the API description). */
export const Public = () => SetMetadata(publicMetadataKey, true);

export function may(caller: Caller, permission: Permission): boolean {
  if (caller.role === 'admin') return true;
  const roles: readonly string[] = permissionRoles[permission];
  return roles.includes(caller.tenantId === null ? caller.role : 'tenant');
}
