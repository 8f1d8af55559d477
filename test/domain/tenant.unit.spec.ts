import { describe, it } from 'vitest';
import { ConflictError, RuleViolationError, tenantDecider } from '@compute-ledger/ledger';
import { deciderSpec } from '../support/given-when-then.js';
import { workedExampleTenant } from '../support/worked-example.js';

const spec = deciderSpec(tenantDecider);
const registered = { type: 'TenantRegistered', data: workedExampleTenant } as const;

describe('tenant decider', () => {
  it('registers a tenant in the ledger currency', () => {
    spec.given([]).when({ type: 'RegisterTenant', data: workedExampleTenant, ledgerCurrency: 'USD' }).then([registered]);
  });

  it('refuses a tenant whose currency is not the ledger currency', () => {
    spec
      .given([])
      .when({ type: 'RegisterTenant', data: { ...workedExampleTenant, currency: 'EUR' }, ledgerCurrency: 'USD' })
      .thenThrows(RuleViolationError, "tenant frontier-lab's currency EUR is not the ledger's currency USD");
  });

  it('takes the same registration again as a no-op', () => {
    spec.given([registered]).when({ type: 'RegisterTenant', data: { ...workedExampleTenant }, ledgerCurrency: 'USD' }).thenNothing();
  });

  it('refuses the same tenant id with other content', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterTenant', data: { ...workedExampleTenant, paymentTermsDays: 45 }, ledgerCurrency: 'USD' })
      .thenThrows(ConflictError, 'tenant frontier-lab is already registered with other content');
  });
});
