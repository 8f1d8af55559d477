import type { ChargeKind, CreditDrawnFrom, CreditGrantKind, InvoiceLine, LineSource } from '@compute-ledger/contracts';
import { assert } from '../shared/assert.js';
import { Decimal, ZERO, dec, formatMoney, sum } from '../shared/decimal.js';
import { monthOf } from '../shared/time.js';

/**
 * Credit grants drawn down by a tenant's document, and what expires of them (DOMAIN.md, "Credit
 * grants"). Pure: the grants come in with what earlier documents already drew from them, the
 * lines are the document's charge lines as planned; no model and no clock.
 */

export interface GrantTerms {
  grantId: string;
  kind: CreditGrantKind;
  /** In the currency's minor units, like every line. */
  amount: Decimal;
  effectiveAtMs: number;
  /** Null: the grant never expires. */
  expiresAtMs: number | null;
  priority: number;
  appliesTo: readonly ChargeKind[];
  /** Null: every lease of the tenant. */
  leaseIds: readonly string[] | null;
  /** The grant's event, the first source of every credit line drawn on it. */
  source: LineSource;
}

/** One draw of a grant: a credit line of a document. */
export interface GrantDraw {
  invoiceId: string;
  billingDateMs: number;
  amount: Decimal;
  /** The document's position in the log. */
  position: number;
}

export interface GrantWithDraws {
  terms: GrantTerms;
  /** Draws of documents issued before this one, in log order. */
  draws: readonly GrantDraw[];
}

export interface Drawdown {
  /** One `credit` line per grant drawn, in grant order, to follow the charge lines. */
  creditLines: InvoiceLine[];
  draws: { grantId: string; amount: Decimal }[];
}

/** The order grants are drawn in: priority ascending, then expiresAt (none last), effectiveAt, grantId. */
export function compareGrants(a: GrantTerms, b: GrantTerms): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const aExpires = a.expiresAtMs ?? Number.POSITIVE_INFINITY;
  const bExpires = b.expiresAtMs ?? Number.POSITIVE_INFINITY;
  if (aExpires !== bExpires) return aExpires < bExpires ? -1 : 1;
  if (a.effectiveAtMs !== b.effectiveAtMs) return a.effectiveAtMs - b.effectiveAtMs;
  return a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0;
}

export function drawnTotal(draws: readonly GrantDraw[]): Decimal {
  return sum(draws.map((draw) => draw.amount));
}

/** Whether a run dated `billingDateMs` may draw on the grant: effectiveAt <= billingDate < expiresAt. */
export function isUsableOn(terms: GrantTerms, billingDateMs: number): boolean {
  return terms.effectiveAtMs <= billingDateMs && (terms.expiresAtMs === null || billingDateMs < terms.expiresAtMs);
}

function isEligible(terms: GrantTerms, line: InvoiceLine): boolean {
  if (line.leaseId === null || line.kind === 'prepayment' || line.kind === 'credit') return false;
  if (!new Decimal(line.amount).greaterThan(0)) return false;
  if (!terms.appliesTo.includes(line.kind)) return false;
  return terms.leaseIds === null || terms.leaseIds.includes(line.leaseId);
}

/**
 * Draws the usable grants on a document's charge lines. Each grant draws
 * `min(remaining, eligible, cap)`: eligible is what is still undrawn of its positive lines, cap
 * the document's total before credits less what earlier grants drew, so no credit ever takes a
 * document below zero. A draw is taken from the eligible lines in line order.
 */
export function drawDown(lines: readonly InvoiceLine[], grants: readonly GrantWithDraws[], billingDateMs: number, minorDigits: number): Drawdown {
  const undrawn = lines.map((line) => new Decimal(line.amount));
  let cap = Decimal.max(ZERO, sum(undrawn));
  const usable = grants.filter((grant) => isUsableOn(grant.terms, billingDateMs)).sort((a, b) => compareGrants(a.terms, b.terms));
  const creditLines: InvoiceLine[] = [];
  const draws: Drawdown['draws'] = [];
  for (const { terms, draws: earlier } of usable) {
    const remaining = terms.amount.minus(drawnTotal(earlier));
    if (!remaining.greaterThan(0) || !cap.greaterThan(0)) continue;
    const eligibleIndexes = lines.flatMap((line, index) => (isEligible(terms, line) && undrawn[index]!.greaterThan(0) ? [index] : []));
    const eligible = sum(eligibleIndexes.map((index) => undrawn[index]!));
    const draw = Decimal.min(remaining, eligible, cap);
    if (!draw.greaterThan(0)) continue;
    let left = draw;
    const drawnFrom: CreditDrawnFrom[] = [];
    const sources: LineSource[] = [terms.source];
    for (const index of eligibleIndexes) {
      if (left.isZero()) break;
      const taken = Decimal.min(left, undrawn[index]!);
      undrawn[index] = undrawn[index]!.minus(taken);
      left = left.minus(taken);
      const line = lines[index]!;
      drawnFrom.push({ leaseId: line.leaseId!, serviceMonth: line.serviceMonth, kind: line.kind as ChargeKind, amount: formatMoney(taken, minorDigits) });
      for (const source of line.sources) if (!sources.some((known) => known.position === source.position)) sources.push(source);
    }
    assert(left.isZero(), `grant ${terms.grantId} drew more than its eligible lines hold`);
    cap = cap.minus(draw);
    const amount = formatMoney(draw.negated(), minorDigits);
    creditLines.push({
      leaseId: null,
      serviceMonth: monthOf(billingDateMs),
      kind: 'credit',
      description: `${terms.kind === 'prepaid' ? 'Prepaid credit' : 'Promotional credit'} ${terms.grantId}`,
      quantity: '1',
      unitPrice: amount,
      amount,
      adjustment: false,
      sources,
      grantId: terms.grantId,
      drawnFrom,
    });
    draws.push({ grantId: terms.grantId, amount: draw });
  }
  return { creditLines, draws };
}

export interface GrantBalance {
  drawn: Decimal;
  expired: Decimal;
  remaining: Decimal;
  /** The draws counted in `drawn`, in log order. */
  draws: GrantDraw[];
}

/**
 * A grant as of `asOfMs`: what the documents dated by then drew, what expired (at expiresAt,
 * the amount less every draw of runs dated before it), and what remains. A grant not yet in
 * effect shows nothing drawn. Always drawn + expired + remaining = amount.
 */
export function grantBalanceAt(grant: GrantWithDraws, asOfMs: number): GrantBalance {
  const { terms } = grant;
  if (terms.effectiveAtMs > asOfMs) return { drawn: ZERO, expired: ZERO, remaining: terms.amount, draws: [] };
  const draws = grant.draws.filter((draw) => draw.billingDateMs <= asOfMs);
  const drawn = drawnTotal(draws);
  const expired = terms.expiresAtMs !== null && terms.expiresAtMs <= asOfMs ? expiredAmount(grant) : ZERO;
  const remaining = terms.amount.minus(drawn).minus(expired);
  assert(!remaining.isNegative(), `grant ${terms.grantId} is drawn beyond its amount`);
  return { drawn, expired, remaining, draws };
}

/** What expires of a grant at its expiresAt: its amount less every draw of runs dated before then. */
export function expiredAmount(grant: GrantWithDraws): Decimal {
  const { expiresAtMs } = grant.terms;
  if (expiresAtMs === null) return ZERO;
  return grant.terms.amount.minus(drawnTotal(grant.draws.filter((draw) => draw.billingDateMs < expiresAtMs)));
}

/** The grant terms of a recorded grant's data. */
export function grantTermsOf(
  data: { grantId: string; kind: CreditGrantKind; amount: string; effectiveAt: string; expiresAt?: string; priority: number; appliesTo: readonly ChargeKind[]; leaseIds?: readonly string[] },
  source: LineSource,
): GrantTerms {
  return {
    grantId: data.grantId,
    kind: data.kind,
    amount: dec(data.amount),
    effectiveAtMs: Date.parse(data.effectiveAt),
    expiresAtMs: data.expiresAt === undefined ? null : Date.parse(data.expiresAt),
    priority: data.priority,
    appliesTo: data.appliesTo,
    leaseIds: data.leaseIds ?? null,
    source,
  };
}
