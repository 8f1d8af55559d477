import type { TenantBillingDetails } from '@compute-ledger/contracts';
import { normalizeBillingDetails } from '@compute-ledger/ledger';

interface TenantFacts {
  tenantId: string;
  name: string;
  currency: string;
  paymentTermsDays: number;
  billingDetails?: TenantBillingDetails | undefined;
}

/**
 * A tenant as GET /v1/tenants/{tenantId} and PUT .../billing-details answer it, from the command
 * side's state or the model's record alike. `billingDetails` is always there (`{}` while the
 * tenant has none), so a client reads one shape.
 */
export function tenantView(tenant: TenantFacts) {
  return { tenantId: tenant.tenantId, name: tenant.name, currency: tenant.currency, paymentTermsDays: tenant.paymentTermsDays, billingDetails: normalizeBillingDetails(tenant.billingDetails) };
}
