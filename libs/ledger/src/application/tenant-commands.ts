import type { CurrencyCode, RegisterTenantBody, UpdateTenantBillingDetailsBody } from '@compute-ledger/contracts';
import { tenantStream } from '../domain/streams.js';
import { decideTenant, type TenantState } from '../domain/tenant/tenant.js';
import { assert } from '../shared/assert.js';
import type { AggregateStreams } from './aggregate-streams.js';
import type { CommandHandler, CommandOutcome } from './command-handler.js';
import type { CommandContext } from './event-codec.js';

export interface TenantResult {
  outcome: CommandOutcome;
  tenant: TenantState;
}

/** Registering tenants and their billing details. */
export class TenantCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly streams: AggregateStreams,
    private readonly currency: CurrencyCode,
  ) {}

  async registerTenant(body: RegisterTenantBody, context: CommandContext): Promise<TenantResult> {
    const streamId = tenantStream(body.tenantId);
    const outcome = await this.handler.execute(this.streams.tenants, streamId, context, (state) =>
      decideTenant({ type: 'RegisterTenant', data: body, ledgerCurrency: this.currency }, state),
    );
    const tenant = await this.getTenant(body.tenantId);
    assert(tenant !== null, `tenant ${body.tenantId} exists once registered`);
    return { outcome, tenant };
  }

  /**
   * Replaces the tenant's billing details (what its invoices print in the bill-to block) as a
   * whole. The same details again answer `unchanged` and record nothing.
   */
  async updateTenantBillingDetails(tenantId: string, body: UpdateTenantBillingDetailsBody, context: CommandContext): Promise<TenantResult> {
    const outcome = await this.handler.execute(this.streams.tenants, tenantStream(tenantId), context, (state) =>
      decideTenant({ type: 'UpdateTenantBillingDetails', data: { tenantId, billingDetails: body } }, state),
    );
    const tenant = await this.getTenant(tenantId);
    assert(tenant !== null, `tenant ${tenantId} exists once its billing details are recorded`);
    return { outcome, tenant };
  }

  /** The tenant as it stands, or null. */
  async getTenant(tenantId: string): Promise<TenantState | null> {
    return (await this.streams.tenants.load(tenantStream(tenantId))).state;
  }
}
