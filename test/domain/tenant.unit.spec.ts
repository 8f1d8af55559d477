import { describe, it } from 'vitest';
import { ConflictError, NotFoundError, RuleViolationError, tenantDecider } from '@compute-ledger/ledger';
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

const billingDetails = {
  legalName: 'Frontier Lab, Inc.',
  billingAddress: '1 Compute Way\nSan Francisco, CA 94107\nUnited States',
  taxId: 'US-12-3456789',
  purchaseOrder: 'PO-2025-0042',
};
const detailsUpdated = { type: 'TenantBillingDetailsUpdated', data: { tenantId: 'frontier-lab', billingDetails } } as const;

describe('tenant billing details', () => {
  it('registers a tenant with its billing details', () => {
    spec
      .given([])
      .when({ type: 'RegisterTenant', data: { ...workedExampleTenant, billingDetails }, ledgerCurrency: 'USD' })
      .then([{ type: 'TenantRegistered', data: { ...workedExampleTenant, billingDetails } }]);
  });

  it('leaves empty billing details out of the registration, so it reads as one registered before they existed', () => {
    spec.given([]).when({ type: 'RegisterTenant', data: { ...workedExampleTenant, billingDetails: {} }, ledgerCurrency: 'USD' }).then([registered]);
  });

  it('takes a registration that adds billing details to a registered tenant as other content', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterTenant', data: { ...workedExampleTenant, billingDetails }, ledgerCurrency: 'USD' })
      .thenThrows(ConflictError, 'tenant frontier-lab is already registered with other content');
  });

  it('updates the billing details of a registered tenant', () => {
    spec
      .given([registered])
      .when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails } })
      .then([detailsUpdated]);
  });

  it('takes the same billing details again as a no-op, whatever the order of their fields', () => {
    const reordered = { purchaseOrder: billingDetails.purchaseOrder, taxId: billingDetails.taxId, billingAddress: billingDetails.billingAddress, legalName: billingDetails.legalName };
    spec.given([registered, detailsUpdated]).when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails: reordered } }).thenNothing();
  });

  it('takes the billing details given at registration as the ones in force', () => {
    spec
      .given([{ type: 'TenantRegistered', data: { ...workedExampleTenant, billingDetails } }])
      .when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails: { ...billingDetails } } })
      .thenNothing();
  });

  it('replaces the details as a whole: a field left out is cleared', () => {
    spec
      .given([registered, detailsUpdated])
      .when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails: { legalName: 'Frontier Lab, Inc.' } } })
      .then([{ type: 'TenantBillingDetailsUpdated', data: { tenantId: 'frontier-lab', billingDetails: { legalName: 'Frontier Lab, Inc.' } } }]);
  });

  it('clears every detail with empty details, and clearing them again is a no-op', () => {
    const cleared = { type: 'TenantBillingDetailsUpdated', data: { tenantId: 'frontier-lab', billingDetails: {} } } as const;
    spec.given([registered, detailsUpdated]).when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails: {} } }).then([cleared]);
    spec.given([registered, detailsUpdated, cleared]).when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails: {} } }).thenNothing();
  });

  it('refuses billing details for a tenant that does not exist', () => {
    spec
      .given([])
      .when({ type: 'UpdateTenantBillingDetails', data: { tenantId: 'frontier-lab', billingDetails } })
      .thenThrows(NotFoundError, 'tenant frontier-lab does not exist');
  });
});
