import { z } from 'zod';
import { Instant, Month, SignedMoney } from './primitives.js';

/**
 * Closed periods and the remaining performance obligation (DOMAIN.md, "Closing a period"): the
 * event a close records and the shapes of the answers that show closes, seals and the RPO.
 */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

/** The log head when a month closed: the position and hash of the last event recorded before the close. */
export const PeriodSeal = z.strictObject({ position: z.int().min(0), hash: sha256Hex });
export type PeriodSeal = z.infer<typeof PeriodSeal>;

/** Finance closed a service month: its books never change again. */
export const PeriodClosed = z.strictObject({
  month: Month,
  closedAt: Instant,
  closedBy: z.string().min(1).max(256),
  seal: PeriodSeal,
});
export type PeriodClosed = z.infer<typeof PeriodClosed>;

export const PriorPeriodAdjustmentKind = z.enum(['commitment', 'usage', 'terminationFees', 'slaCredits', 'creditNotes', 'promotionalCredits', 'expiredCredits']);
export type PriorPeriodAdjustmentKind = z.infer<typeof PriorPeriodAdjustmentKind>;

/** What a fact recorded after a close adds to the closed month's books, booked in the first open month instead. */
export const PriorPeriodAdjustment = z.strictObject({ month: Month, kind: PriorPeriodAdjustmentKind, amount: SignedMoney });
export type PriorPeriodAdjustment = z.infer<typeof PriorPeriodAdjustment>;

export const PeriodCloseAnswer = z.strictObject({ month: Month, closedAt: Instant, seal: PeriodSeal });

/** A close as `GET /periods` lists it: its seal, and the adjustments booked into later months because of it. */
export const PeriodView = PeriodCloseAnswer.extend({
  closedBy: z.string(),
  adjustments: z.array(PriorPeriodAdjustment.extend({ bookedIn: Month })),
});
export const PeriodAnswer = PeriodView.extend({ knownAt: Instant });
export const PeriodsAnswer = z.strictObject({ knownAt: Instant, periods: z.array(PeriodView) });

export const RpoBands = z.strictObject({ within12Months: SignedMoney, months13to24: SignedMoney, months25to36: SignedMoney, beyond36Months: SignedMoney });
export const RpoAnswer = z.strictObject({
  asOf: Instant,
  knownAt: Instant,
  bands: RpoBands,
  total: SignedMoney,
  leases: z.array(RpoBands.extend({ leaseId: z.string(), tenantId: z.string() })),
  excludes: z.literal('usage-based consideration (ASC 606-10-50-14A)'),
});

export type PeriodCloseAnswer = z.infer<typeof PeriodCloseAnswer>;
export type PeriodAnswer = z.infer<typeof PeriodAnswer>;
export type PeriodsAnswer = z.infer<typeof PeriodsAnswer>;
export type RpoAnswer = z.infer<typeof RpoAnswer>;
