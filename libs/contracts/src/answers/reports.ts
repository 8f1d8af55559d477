import { z } from 'zod';
import { ChargeKind, CreditGrantKind } from '../events.js';
import { GpuHours, Identifier, Instant, MoneyAmount, Month, SignedMoney } from '../primitives.js';
import { PriorPeriodAdjustment, RpoAnswer } from '../periods.js';

/**
 * The reports. Each repeats its `asOf` or `month` and its `knownAt`; amounts are strings in the
 * ledger's currency, credits negative. Each has one list (tenants, leases, accounts or sites)
 * besides its totals: what a table or a CSV of the report shows row by row.
 */

const asOf = { asOf: Instant, knownAt: Instant };
const month = { month: Month, knownAt: Instant };

export const MrrReportAnswer = z.strictObject({
  ...asOf,
  mrr: SignedMoney,
  arr: SignedMoney,
  tenants: z.array(z.strictObject({ tenantId: Identifier, mrr: SignedMoney, arr: SignedMoney })),
});

export const MrrMovement = z.enum(['new', 'reactivation', 'expansion', 'contraction', 'churn', 'none']);

export const MrrMovementsReportAnswer = z.strictObject({
  ...month,
  startingMrr: SignedMoney,
  new: SignedMoney,
  reactivation: SignedMoney,
  expansion: SignedMoney,
  contraction: SignedMoney,
  churn: SignedMoney,
  endingMrr: SignedMoney,
  tenants: z.array(z.strictObject({ tenantId: Identifier, startingMrr: SignedMoney, endingMrr: SignedMoney, movement: MrrMovement })),
});

export const RevenueReportAnswer = z.strictObject({
  ...month,
  commitment: SignedMoney,
  usage: SignedMoney,
  terminationFees: SignedMoney,
  slaCredits: SignedMoney,
  creditNotes: SignedMoney.describe('credit notes by hand issued in the month (negative)'),
  promotionalCredits: SignedMoney.describe('promotional grants drawn by the runs dated in the month (negative)'),
  expiredCredits: SignedMoney.describe('prepaid grants expired in the month: breakage'),
  total: SignedMoney,
  leases: z.array(z.strictObject({ leaseId: Identifier, tenantId: Identifier, commitment: SignedMoney, usage: SignedMoney, terminationFees: SignedMoney, slaCredits: SignedMoney })),
  priorPeriodAdjustments: z.array(PriorPeriodAdjustment).describe('amounts of closed months booked in this month (included in its fields above)'),
});

export const BacklogReportAnswer = z.strictObject({
  ...asOf,
  total: SignedMoney,
  leases: z.array(z.strictObject({ leaseId: Identifier, tenantId: Identifier, remaining: SignedMoney })),
});

export const TrialBalanceReportAnswer = z.strictObject({
  ...asOf,
  accounts: z.array(z.strictObject({ account: z.string().describe('the account code; "1200" summed over leases'), name: z.string(), debit: SignedMoney, credit: SignedMoney })),
  totalDebit: SignedMoney,
  totalCredit: SignedMoney,
});

export const ContractBalancesReportAnswer = z.strictObject({
  ...asOf,
  deferredRevenue: SignedMoney,
  unbilledReceivables: SignedMoney,
  customerCredits: SignedMoney.describe('prepaid grants invoiced and not yet drawn or expired (2300, a liability)'),
  leases: z.array(z.strictObject({ leaseId: Identifier, tenantId: Identifier, balance: SignedMoney.describe('> 0 a liability (deferred revenue), < 0 an asset (unbilled receivable)') })),
});

const creditAmounts = { amount: MoneyAmount, drawn: MoneyAmount, expired: MoneyAmount, remaining: MoneyAmount };

/** GET /v1/reports/credits: every grant known at knownAt, as of asOf. */
export const CreditsReportAnswer = z.strictObject({
  ...asOf,
  grants: z.array(z.strictObject({ grantId: Identifier, tenantId: Identifier, kind: CreditGrantKind, ...creditAmounts, expiresAt: Instant.nullable() })),
  totals: z.strictObject(creditAmounts),
});
export type CreditsReportAnswer = z.infer<typeof CreditsReportAnswer>;

const agingBuckets = { current: SignedMoney, days1to30: SignedMoney, days31to60: SignedMoney, days61to90: SignedMoney, over90: SignedMoney, total: SignedMoney };

export const ArAgingReportAnswer = z.strictObject({
  ...asOf,
  tenants: z.array(z.strictObject({ tenantId: Identifier, ...agingBuckets, creditBalance: SignedMoney })),
  totals: z.strictObject(agingBuckets),
});

export const ReconciliationReportAnswer = z.strictObject({
  ...month,
  ok: z.boolean().describe('charges = invoiced + not yet invoiced for every lease'),
  leases: z.array(
    z.strictObject({
      leaseId: Identifier,
      tenantId: Identifier,
      committedGpuHours: GpuHours,
      allocatedGpuHours: GpuHours,
      meteredGpuHours: GpuHours,
      overageGpuHours: GpuHours,
      charges: SignedMoney,
      chargesByKind: z.partialRecord(ChargeKind, SignedMoney),
      invoiced: SignedMoney,
      notYetInvoiced: SignedMoney,
      ok: z.boolean(),
      invoicedOverageGpuHours: GpuHours.describe('overage GPU-hours on the invoiced lines of the month'),
      journalRecognized: SignedMoney.describe("what the journal recognizes for the lease's month"),
      threeWay: z.strictObject({
        usageInvoiced: z.boolean().describe('metered overage equals the invoiced overage quantity'),
        invoicedInJournal: z.boolean().describe('invoiced plus not yet invoiced equals what the journal recognizes'),
        ok: z.boolean(),
      }),
    }),
  ),
  threeWayOk: z.boolean().describe('metered usage, invoiced lines and journal entries agree for every lease'),
});

export const CapacityReportAnswer = z.strictObject({
  ...asOf,
  sites: z.array(z.strictObject({ siteId: Identifier, gpuSku: z.string(), gpuCount: z.int().min(1), allocated: z.int().min(0), free: z.int() })),
});

/** Every report's answer by its name (`GET /v1/reports/{name}`, `ledger report <name>`). */
export const reportAnswers = {
  mrr: MrrReportAnswer,
  'mrr-movements': MrrMovementsReportAnswer,
  revenue: RevenueReportAnswer,
  backlog: BacklogReportAnswer,
  'trial-balance': TrialBalanceReportAnswer,
  'contract-balances': ContractBalancesReportAnswer,
  'ar-aging': ArAgingReportAnswer,
  reconciliation: ReconciliationReportAnswer,
  capacity: CapacityReportAnswer,
  rpo: RpoAnswer,
  credits: CreditsReportAnswer,
} as const;
export type ReportAnswers = { [Name in keyof typeof reportAnswers]: z.infer<(typeof reportAnswers)[Name]> };

export type MrrReportAnswer = z.infer<typeof MrrReportAnswer>;
export type MrrMovementsReportAnswer = z.infer<typeof MrrMovementsReportAnswer>;
export type RevenueReportAnswer = z.infer<typeof RevenueReportAnswer>;
export type BacklogReportAnswer = z.infer<typeof BacklogReportAnswer>;
export type TrialBalanceReportAnswer = z.infer<typeof TrialBalanceReportAnswer>;
export type ContractBalancesReportAnswer = z.infer<typeof ContractBalancesReportAnswer>;
export type ArAgingReportAnswer = z.infer<typeof ArAgingReportAnswer>;
export type ReconciliationReportAnswer = z.infer<typeof ReconciliationReportAnswer>;
export type CapacityReportAnswer = z.infer<typeof CapacityReportAnswer>;
