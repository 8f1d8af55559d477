import type { CurrencyCode, LedgerEvent, LedgerEventOf, RegisterTenantBody } from '@compute-ledger/contracts';
import { assert } from '../../shared/assert.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, RuleViolationError } from '../errors.js';
import { fingerprintJson } from '../values.js';

/** A tenant: the customer that signs leases and receives invoices. */

export type TenantEvent = LedgerEventOf<'TenantRegistered'>;

export function isTenantEvent(event: LedgerEvent): event is TenantEvent {
  return event.type === 'TenantRegistered';
}

export interface RegisterTenant {
  type: 'RegisterTenant';
  data: RegisterTenantBody;
  /** The ledger's configured currency: a tenant billed in another one is refused. */
  ledgerCurrency: CurrencyCode;
}

export type TenantCommand = RegisterTenant;

export interface TenantState {
  tenantId: string;
  name: string;
  currency: CurrencyCode;
  paymentTermsDays: number;
  /** Content fingerprint for idempotency: the same id with other content is a conflict. */
  fingerprint: string;
}

/** Null until the tenant is registered. */
export type TenantStreamState = TenantState | null;

export function tenantFingerprint(data: RegisterTenantBody): string {
  return fingerprintJson({ tenantId: data.tenantId, name: data.name, currency: data.currency, paymentTermsDays: data.paymentTermsDays });
}

export function decideTenant(command: TenantCommand, state: TenantStreamState): TenantEvent[] {
  switch (command.type) {
    case 'RegisterTenant':
      return registerTenant(command, state);
    default:
      return unreachable(command.type, 'tenant command');
  }
}

function registerTenant(command: RegisterTenant, state: TenantStreamState): TenantEvent[] {
  const { data } = command;
  if (state !== null) {
    if (state.fingerprint === tenantFingerprint(data)) return [];
    throw new ConflictError(`tenant ${data.tenantId} is already registered with other content`);
  }
  if (data.currency !== command.ledgerCurrency) {
    throw new RuleViolationError(`tenant ${data.tenantId}'s currency ${data.currency} is not the ledger's currency ${command.ledgerCurrency}`);
  }
  const event: TenantEvent = {
    type: 'TenantRegistered',
    data: { tenantId: data.tenantId, name: data.name, currency: data.currency, paymentTermsDays: data.paymentTermsDays },
  };
  return [event];
}

export function evolveTenant(state: TenantStreamState, event: TenantEvent): TenantStreamState {
  switch (event.type) {
    case 'TenantRegistered':
      assert(state === null, `tenant ${event.data.tenantId} is registered once`);
      return { ...event.data, fingerprint: tenantFingerprint(event.data) };
    default:
      return unreachable(event.type, 'tenant event');
  }
}

export const tenantDecider: Decider<TenantStreamState, TenantCommand, TenantEvent> = {
  decide: decideTenant,
  evolve: evolveTenant,
  initialState: () => null,
};
