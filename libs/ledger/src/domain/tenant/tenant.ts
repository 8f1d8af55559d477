import type { CurrencyCode, LedgerEvent, LedgerEventOf, RegisterTenantBody, TenantBillingDetails } from '@compute-ledger/contracts';
import { assert } from '../../shared/assert.js';
import { unreachable, type Decider } from '../decider.js';
import { ConflictError, NotFoundError, RuleViolationError } from '../errors.js';
import { fingerprintJson } from '../values.js';

/** A tenant: the customer that signs leases and receives invoices. */

export type TenantEvent = LedgerEventOf<'TenantRegistered' | 'TenantBillingDetailsUpdated'>;

export function isTenantEvent(event: LedgerEvent): event is TenantEvent {
  return event.type === 'TenantRegistered' || event.type === 'TenantBillingDetailsUpdated';
}

export interface RegisterTenant {
  type: 'RegisterTenant';
  data: RegisterTenantBody;
  /** The ledger's configured currency: a tenant billed in another one is refused. */
  ledgerCurrency: CurrencyCode;
}

/** Replaces the tenant's billing details as a whole: a field left out is cleared. */
export interface UpdateTenantBillingDetails {
  type: 'UpdateTenantBillingDetails';
  data: { tenantId: string; billingDetails: TenantBillingDetails };
}

export type TenantCommand = RegisterTenant | UpdateTenantBillingDetails;

export interface TenantState {
  tenantId: string;
  name: string;
  currency: CurrencyCode;
  paymentTermsDays: number;
  /** The billing details in force: only the fields that are set, `{}` when none are. */
  billingDetails: TenantBillingDetails;
  /** Content fingerprint of the registration, for idempotency: the same id with other content is a conflict. */
  fingerprint: string;
}

/** Null until the tenant is registered. */
export type TenantStreamState = TenantState | null;

/**
 * Billing details with their unset fields left out, so that `{legalName: undefined}` and `{}`
 * are the same details and compare equal. The key order is fixed, whatever order a client used.
 */
export function normalizeBillingDetails(details: TenantBillingDetails | undefined): TenantBillingDetails {
  const normalized: TenantBillingDetails = {};
  if (details?.legalName !== undefined) normalized.legalName = details.legalName;
  if (details?.billingAddress !== undefined) normalized.billingAddress = details.billingAddress;
  if (details?.taxId !== undefined) normalized.taxId = details.taxId;
  if (details?.purchaseOrder !== undefined) normalized.purchaseOrder = details.purchaseOrder;
  return normalized;
}

function hasBillingDetails(details: TenantBillingDetails): boolean {
  return Object.keys(details).length > 0;
}

export function tenantFingerprint(data: RegisterTenantBody): string {
  const billingDetails = normalizeBillingDetails(data.billingDetails);
  return fingerprintJson({
    tenantId: data.tenantId,
    name: data.name,
    currency: data.currency,
    paymentTermsDays: data.paymentTermsDays,
    // Left out when empty, so a tenant registered before billing details existed keeps its fingerprint.
    billingDetails: hasBillingDetails(billingDetails) ? billingDetails : undefined,
  });
}

export function decideTenant(command: TenantCommand, state: TenantStreamState): TenantEvent[] {
  switch (command.type) {
    case 'RegisterTenant':
      return registerTenant(command, state);
    case 'UpdateTenantBillingDetails':
      return updateBillingDetails(command, state);
    default:
      return unreachable(command, 'tenant command');
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
  const billingDetails = normalizeBillingDetails(data.billingDetails);
  const event: TenantEvent = {
    type: 'TenantRegistered',
    data: {
      tenantId: data.tenantId,
      name: data.name,
      currency: data.currency,
      paymentTermsDays: data.paymentTermsDays,
      ...(hasBillingDetails(billingDetails) ? { billingDetails } : {}),
    },
  };
  return [event];
}

function updateBillingDetails(command: UpdateTenantBillingDetails, state: TenantStreamState): TenantEvent[] {
  const { tenantId } = command.data;
  if (state === null) throw new NotFoundError(`tenant ${tenantId} does not exist`);
  const billingDetails = normalizeBillingDetails(command.data.billingDetails);
  // The same details again change nothing: a retried request records no second event.
  if (fingerprintJson(billingDetails) === fingerprintJson(state.billingDetails)) return [];
  return [{ type: 'TenantBillingDetailsUpdated', data: { tenantId, billingDetails } }];
}

export function evolveTenant(state: TenantStreamState, event: TenantEvent): TenantStreamState {
  switch (event.type) {
    case 'TenantRegistered': {
      assert(state === null, `tenant ${event.data.tenantId} is registered once`);
      const { tenantId, name, currency, paymentTermsDays } = event.data;
      const billingDetails = normalizeBillingDetails(event.data.billingDetails);
      return { tenantId, name, currency, paymentTermsDays, billingDetails, fingerprint: tenantFingerprint(event.data) };
    }
    case 'TenantBillingDetailsUpdated':
      assert(state !== null, `tenant ${event.data.tenantId} is registered before its billing details change`);
      return { ...state, billingDetails: normalizeBillingDetails(event.data.billingDetails) };
    default:
      return unreachable(event, 'tenant event');
  }
}

export const tenantDecider: Decider<TenantStreamState, TenantCommand, TenantEvent> = {
  decide: decideTenant,
  evolve: evolveTenant,
  initialState: () => null,
};
