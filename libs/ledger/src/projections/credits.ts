import type { CreditsReportAnswer, CreditGrantAnswer } from '@compute-ledger/contracts';
import { expiredAmount, grantBalanceAt } from '../charging/credits.js';
import { ZERO, formatMoney, type Decimal } from '../shared/decimal.js';
import { toInstant, toMs } from '../shared/time.js';
import type { CreditGrantRecord, LedgerModel } from './ledger-model.js';

/**
 * Credit grants as the reports see them: each grant with what the documents known at a cut-off
 * drew from it, what expired and what remains as of an instant (DOMAIN.md, "Credit grants").
 */

export interface GrantExpiry {
  grantId: string;
  tenantId: string;
  kind: CreditGrantRecord['data']['kind'];
  expiresAtMs: number;
  amount: Decimal;
  /** The latest fact the expired amount depends on: the grant, or the last draw before expiresAt. */
  position: number;
}

/** What expires of each grant known at `cutoff` with an expiry at or before `asOfMs`, with anything left. */
export function grantExpiriesAt(model: LedgerModel, asOfMs: number, cutoff: number): GrantExpiry[] {
  const expiries: GrantExpiry[] = [];
  for (const record of model.grantsAt(cutoff)) {
    const grant = model.grantWithDrawsAt(record, cutoff);
    const expiresAtMs = grant.terms.expiresAtMs;
    if (expiresAtMs === null || expiresAtMs > asOfMs) continue;
    const amount = expiredAmount(grant);
    if (amount.isZero()) continue;
    const position = Math.max(record.position, ...grant.draws.filter((draw) => draw.billingDateMs < expiresAtMs).map((draw) => draw.position));
    expiries.push({ grantId: record.data.grantId, tenantId: record.data.tenantId, kind: record.data.kind, expiresAtMs, amount, position });
  }
  return expiries;
}

/**
 * The grants whose expiry the event at `position` made final, with something left to expire: a
 * billing run dated at or after their expiresAt (runs go in order, so no later run draws for an
 * earlier date), or a grant recorded when a run dated at or after its expiresAt was already done.
 * The `credit_grant.expired` webhook fires on these, once each.
 */
export function expiriesMadeFinalAt(model: LedgerModel, position: number): GrantExpiry[] {
  const runs = model.runsAt(position);
  const latest = runs.at(-1);
  if (latest === undefined) return [];
  const latestMs = toMs(latest.data.billingDate);
  if (latest.position === position) {
    const before = runs.at(-2);
    const previousMs = before === undefined ? Number.NEGATIVE_INFINITY : toMs(before.data.billingDate);
    return grantExpiriesAt(model, latestMs, position).filter((expiry) => expiry.expiresAtMs > previousMs);
  }
  const granted = model.grantsAt(position).find((grant) => grant.position === position);
  if (granted === undefined) return [];
  return grantExpiriesAt(model, latestMs, position).filter((expiry) => expiry.grantId === granted.data.grantId);
}

export function creditGrantAnswer(model: LedgerModel, record: CreditGrantRecord, asOfMs: number, cutoff: number, minorDigits: number): CreditGrantAnswer {
  const balance = grantBalanceAt(model.grantWithDrawsAt(record, cutoff), asOfMs);
  const money = (value: Decimal): string => formatMoney(value, minorDigits);
  const { data } = record;
  return {
    grantId: data.grantId,
    tenantId: data.tenantId,
    kind: data.kind,
    amount: data.amount,
    effectiveAt: data.effectiveAt,
    expiresAt: data.expiresAt ?? null,
    priority: data.priority,
    appliesTo: data.appliesTo,
    leaseIds: data.leaseIds ?? null,
    invoiceId: data.invoiceId ?? null,
    recordedAt: data.recordedAt,
    drawn: money(balance.drawn),
    expired: money(balance.expired),
    remaining: money(balance.remaining),
    draws: balance.draws.map((draw) => ({ invoiceId: draw.invoiceId, billingDate: toInstant(draw.billingDateMs), amount: money(draw.amount) })),
  };
}

/** GET /v1/reports/credits: every grant known at the cut-off as of `asOfMs`, and their totals. */
export function creditsReport(model: LedgerModel, asOfMs: number, cutoff: number, minorDigits: number): Omit<CreditsReportAnswer, 'asOf' | 'knownAt'> {
  const money = (value: Decimal): string => formatMoney(value, minorDigits);
  const totals = { amount: ZERO, drawn: ZERO, expired: ZERO, remaining: ZERO };
  const grants = model.grantsAt(cutoff).map((record) => {
    const grant = model.grantWithDrawsAt(record, cutoff);
    const balance = grantBalanceAt(grant, asOfMs);
    totals.amount = totals.amount.plus(grant.terms.amount);
    totals.drawn = totals.drawn.plus(balance.drawn);
    totals.expired = totals.expired.plus(balance.expired);
    totals.remaining = totals.remaining.plus(balance.remaining);
    return {
      grantId: record.data.grantId,
      tenantId: record.data.tenantId,
      kind: record.data.kind,
      amount: record.data.amount,
      drawn: money(balance.drawn),
      expired: money(balance.expired),
      remaining: money(balance.remaining),
      expiresAt: record.data.expiresAt ?? null,
    };
  });
  return { grants, totals: { amount: money(totals.amount), drawn: money(totals.drawn), expired: money(totals.expired), remaining: money(totals.remaining) } };
}
