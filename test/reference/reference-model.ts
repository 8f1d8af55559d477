import type { ChargeKind } from '@compute-ledger/contracts';
import { iso, type TimedStep } from './history.js';
import { Q, ZERO, maxQ, minQ, sumQ } from './rational.js';

/**
 * A second, deliberately plain implementation of DOMAIN.md (and of docs/ledger-rules.md where
 * DOMAIN.md is silent), written from their text: exact rationals, every answer recomputed from
 * the facts known at knownAt, no caches, no indexes. It decides which steps are accepted, which
 * documents each billing run issues, and answers the reports. Slow on purpose; small histories.
 */

const msPerHour = 3_600_000n;
const dayMs = 86_400_000;
const minorDigits = 2;
const kinds: ChargeKind[] = ['commitment', 'overage', 'sla_credit', 'termination_fee'];

// ---- Time -----------------------------------------------------------------------------------

const ms = (instant: string): number => Date.parse(instant);
const monthOf = (at: number): string => new Date(at).toISOString().slice(0, 7);
function monthStart(month: string): number {
  return Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1, 1);
}
function monthEnd(month: string): number {
  return Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1);
}
const nextMonth = (month: string): string => monthOf(monthEnd(month));
const previousMonth = (month: string): string => monthOf(monthStart(month) - 1);
function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}
/** Months from the one containing `from` to the one containing `to - 1`. */
function monthsCovering(from: number, to: number): string[] {
  const months: string[] = [];
  for (let month = monthOf(from); monthStart(month) < to; month = nextMonth(month)) months.push(month);
  return months;
}

/** The same day and time `months` calendar months later; a day the month lacks becomes its last day. */
function plusMonths(at: number, months: number): number {
  const date = new Date(at);
  const year = date.getUTCFullYear() + Math.floor((date.getUTCMonth() + months) / 12);
  const month = (date.getUTCMonth() + months) % 12;
  const daysInMonth = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!;
  const day = Math.min(date.getUTCDate(), daysInMonth);
  return Date.UTC(year, month, day) + (at - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

// ---- State ----------------------------------------------------------------------------------

interface Entry {
  from: number;
  gpus: number;
  rate: Q;
}
interface Lease {
  leaseId: string;
  tenantId: string;
  siteId: string;
  signedAt: number;
  startsAt: number;
  endsAt: number;
  schedule: Entry[];
  overage: { from: number; rate: Q }[];
  billing: 'advance' | 'arrears';
  sla: { below: Q; credit: Q }[];
  termination: { at: number; fee: Q } | null;
  outages: { start: number; end: number; gpus: number }[];
  amendmentIds: Set<string>;
}
interface Allocation {
  allocationId: string;
  leaseId: string;
  siteId: string;
  gpus: number;
  start: number;
  end: number | null;
}
interface Reading {
  leaseId: string;
  start: number;
  end: number;
  gpuHours: Q;
  fingerprint: string;
}
export interface RefLine {
  /** Null for a prepayment or credit line. */
  leaseId: string | null;
  serviceMonth: string;
  kind: ChargeKind | 'prepayment' | 'credit';
  /** A prepayment or credit line: its grant. */
  grantId?: string;
  amount: Q;
  adjustment: boolean;
  /** Shown GPU-hours of the charge (first line of a charge only). */
  quantity: Q | null;
}
export interface RefDocument {
  invoiceId: string;
  kind: 'invoice' | 'credit_note';
  tenantId: string;
  billingDate: number | null;
  issuedAt: number;
  dueAt: number;
  total: Q;
  lines: RefLine[];
  /** Credit notes by hand: what they name. */
  creditedInvoiceId?: string;
  recordedAt: number;
}
interface Grant {
  grantId: string;
  tenantId: string;
  kind: 'prepaid' | 'promotional';
  amount: Q;
  effectiveAt: number;
  expiresAt: number | null;
  priority: number;
  appliesTo: ChargeKind[];
  leaseIds: string[] | null;
  recordedAt: number;
  /** What was asked, to tell a repeat from other content. */
  fingerprint: string;
}

/** A run's document above the approval threshold: no number until approved (API.md, "Approval and webhooks"). */
export interface RefDraft {
  draftId: string;
  kind: 'invoice' | 'credit_note';
  tenantId: string;
  billingDate: number;
  dueAt: number;
  total: Q;
  lines: RefLine[];
  status: 'draft' | 'approved' | 'voided';
  /** When its run was recorded. */
  recordedAt: number;
  reason?: string;
}
interface Payment {
  paymentId: string;
  tenantId: string;
  amount: Q;
  at: number;
  invoiceId?: string;
  recordedAt: number;
}

/** Everything known at one knowledge instant, folded from the accepted steps. */
class World {
  sites = new Map<string, { gpuCount: number; gpuSku: string }>();
  tenants = new Map<string, { terms: number }>();
  leases = new Map<string, Lease>();
  allocations = new Map<string, Allocation>();
  readings = new Map<string, Reading>();
  corrections = new Set<string>();
  runs: { billingDate: number; recordedAt: number }[] = [];
  documents: RefDocument[] = [];
  payments = new Map<string, Payment>();
  creditNotes = new Map<string, RefDocument>();
  grants = new Map<string, Grant>();
  /** Closed months in the order they closed, each with the instant it was recorded. */
  closes: { month: string; at: number }[] = [];
  drafts: RefDraft[] = [];

  constructor(readonly approvalAbove: Q | null) {}

  /** What counts as invoiced: issued documents, and drafts while they await approval. */
  invoicedDocuments(): { lines: RefLine[] }[] {
    return [...this.documents, ...this.drafts.filter((draft) => draft.status === 'draft')];
  }
}

// ---- Charges (DOMAIN.md, "Charges") --------------------------------------------------------

/** Committed GPU count and rate at an instant: last entry with from <= t, inside the term. */
function committedAt(lease: Lease, t: number): { gpus: number; rate: Q } {
  if (t < lease.startsAt || t >= lease.endsAt) return { gpus: 0, rate: ZERO };
  let found: Entry | null = null;
  for (const entry of lease.schedule) if (entry.from <= t) found = entry;
  return found === null ? { gpus: 0, rate: ZERO } : { gpus: found.gpus, rate: found.rate };
}

/** Segments of the schedule inside [from, to) ∩ term, each with its GPU count and rate. */
function segments(lease: Lease, from: number, to: number): { ms: number; gpus: number; rate: Q }[] {
  const start = Math.max(from, lease.startsAt);
  const end = Math.min(to, lease.endsAt);
  const result: { ms: number; gpus: number; rate: Q }[] = [];
  for (let index = 0; index < lease.schedule.length; index += 1) {
    const entry = lease.schedule[index]!;
    const segmentEnd = lease.schedule[index + 1]?.from ?? Number.POSITIVE_INFINITY;
    const span = overlap(entry.from, segmentEnd, start, end);
    if (span > 0) result.push({ ms: span, gpus: entry.gpus, rate: entry.rate });
  }
  return result;
}

const hoursOf = (spanMs: number): Q => Q.of(BigInt(spanMs), msPerHour);

/** Committed GPU-hours and the exact commitment over [from, to) ∩ term. */
function commitmentBetween(lease: Lease, from: number, to: number): { hours: Q; amount: Q } {
  let hours = ZERO;
  let amount = ZERO;
  for (const segment of segments(lease, from, to)) {
    const gpuHours = hoursOf(segment.ms).mul(Q.int(segment.gpus));
    hours = hours.add(gpuHours);
    amount = amount.add(gpuHours.mul(segment.rate));
  }
  return { hours, amount };
}

function overageRate(lease: Lease, month: string): Q {
  const at = Math.max(monthStart(month), lease.startsAt);
  let rate = lease.overage[0]!.rate;
  for (const entry of lease.overage) if (entry.from <= at) rate = entry.rate;
  return rate;
}

function metered(world: World, leaseId: string, month: string): Q {
  return sumQ([...world.readings.values()].filter((reading) => reading.leaseId === leaseId && monthOf(reading.start) === month).map((reading) => reading.gpuHours));
}

interface RefCharge {
  kind: ChargeKind;
  amount: Q;
  quantity: Q | null;
}

/** The charges of lease L for month M, each rounded once, half up. */
function charges(world: World, lease: Lease, month: string): RefCharge[] {
  const w0 = Math.max(monthStart(month), lease.startsAt);
  const w1 = Math.min(monthEnd(month), lease.endsAt);
  const result: RefCharge[] = [];
  const { hours: committed, amount } = w1 > w0 ? commitmentBetween(lease, w0, w1) : { hours: ZERO, amount: ZERO };
  const commitment = amount.round(minorDigits);
  if (!committed.isZero()) result.push({ kind: 'commitment', amount: commitment, quantity: committed.round(6) });
  const used = metered(world, lease.leaseId, month);
  const above = maxQ(ZERO, used.sub(committed));
  if (above.gt(ZERO)) result.push({ kind: 'overage', amount: above.mul(overageRate(lease, month)).round(minorDigits), quantity: above.round(6) });
  if (lease.sla.length > 0 && committed.gt(ZERO)) {
    let outage = ZERO;
    for (const each of lease.outages) outage = outage.add(hoursOf(overlap(each.start, each.end, w0, w1)).mul(Q.int(each.gpus)));
    outage = minQ(outage, committed);
    const availability = Q.int(100).mul(Q.int(1).sub(outage.div(committed)));
    let creditPct = ZERO;
    for (const tier of lease.sla) if (availability.lt(tier.below) && tier.credit.gt(creditPct)) creditPct = tier.credit;
    if (creditPct.gt(ZERO)) {
      const credit = creditPct.div(Q.int(100)).mul(commitment).neg().round(minorDigits);
      if (!credit.isZero()) result.push({ kind: 'sla_credit', amount: credit, quantity: null });
    }
  }
  if (lease.termination !== null && monthOf(lease.termination.at) === month && !lease.termination.fee.isZero()) {
    result.push({ kind: 'termination_fee', amount: lease.termination.fee.round(minorDigits), quantity: null });
  }
  return result;
}

const chargeOf = (list: RefCharge[], kind: ChargeKind): Q => list.find((charge) => charge.kind === kind)?.amount ?? ZERO;

/**
 * Months a lease can have charges in: its term, its termination's month, and every month with a
 * reading of it (a reading whose month a retroactive termination cut off the term still meters
 * there: DOMAIN.md counts the readings whose period lies in M, whatever the term).
 */
function leaseMonths(world: World, lease: Lease): string[] {
  const months = new Set(lease.endsAt > lease.startsAt ? monthsCovering(lease.startsAt, lease.endsAt) : []);
  if (lease.termination !== null) months.add(monthOf(lease.termination.at));
  for (const reading of world.readings.values()) if (reading.leaseId === lease.leaseId) months.add(monthOf(reading.start));
  return [...months].sort();
}

// ---- Billing (DOMAIN.md, "Billing") --------------------------------------------------------

function isDue(lease: Lease, month: string, kind: ChargeKind, billingDate: number): boolean {
  switch (kind) {
    case 'commitment':
      return lease.billing === 'advance' ? monthStart(month) <= billingDate : monthEnd(month) <= billingDate;
    case 'overage':
    case 'sla_credit':
      return monthEnd(month) <= billingDate;
    case 'termination_fee':
      return lease.termination !== null && lease.termination.at < billingDate;
  }
}

function invoicedSoFar(world: World, leaseId: string, month: string, kind: ChargeKind): { amount: Q; lines: number } {
  let amount = ZERO;
  let lines = 0;
  for (const document of world.invoicedDocuments()) {
    for (const line of document.lines) {
      if (line.leaseId === leaseId && line.serviceMonth === month && line.kind === kind) {
        amount = amount.add(line.amount);
        lines += 1;
      }
    }
  }
  return { amount, lines };
}

/** The next number of a series: credit notes by hand share the CN- series with negative documents. */
function seriesNumber(world: World, kind: 'invoice' | 'credit_note'): string {
  const byHand = kind === 'credit_note' ? world.creditNotes.size : 0;
  const count = world.documents.filter((document) => document.kind === kind).length + byHand;
  return `${kind === 'invoice' ? 'INV' : 'CN'}-${String(count + 1).padStart(6, '0')}`;
}

function runBilling(world: World, billingDate: number, recordedAt: number): void {
  for (const tenantId of [...world.tenants.keys()].sort(compareIds)) {
    const lines: RefLine[] = [];
    for (const lease of [...world.leases.values()].filter((each) => each.tenantId === tenantId).sort((a, b) => compareIds(a.leaseId, b.leaseId))) {
      const months = new Set(leaseMonths(world, lease));
      for (const document of world.invoicedDocuments()) for (const line of document.lines) if (line.leaseId === lease.leaseId) months.add(line.serviceMonth);
      for (const month of [...months].sort()) {
        const current = charges(world, lease, month);
        for (const kind of kinds) {
          if (!isDue(lease, month, kind, billingDate)) continue;
          const charge = current.find((each) => each.kind === kind);
          const before = invoicedSoFar(world, lease.leaseId, month, kind);
          const amount = (charge?.amount ?? ZERO).sub(before.amount);
          if (amount.isZero()) continue;
          lines.push({ leaseId: lease.leaseId, serviceMonth: month, kind, amount, adjustment: before.lines > 0, quantity: before.lines === 0 ? (charge?.quantity ?? null) : null });
        }
      }
    }
    if (lines.length === 0) continue;
    lines.push(...creditLines(world, tenantId, lines, billingDate));
    const total = sumQ(lines.map((line) => line.amount));
    const kind = total.sign() < 0 ? 'credit_note' : 'invoice';
    // Above the threshold in absolute value: a draft, numbered only when another key approves it.
    if (world.approvalAbove !== null && (total.sign() < 0 ? total.neg() : total).gt(world.approvalAbove)) {
      const dueAt = billingDate + world.tenants.get(tenantId)!.terms * dayMs;
      world.drafts.push({ draftId: `DRAFT-${String(world.drafts.length + 1).padStart(6, '0')}`, kind, tenantId, billingDate, dueAt, total, lines, status: 'draft', recordedAt });
      continue;
    }
    world.documents.push({
      invoiceId: seriesNumber(world, kind),
      kind,
      tenantId,
      billingDate,
      issuedAt: billingDate,
      dueAt: billingDate + world.tenants.get(tenantId)!.terms * dayMs,
      total,
      lines,
      recordedAt,
    });
  }
  world.runs.push({ billingDate, recordedAt });
}

// ---- Credit grants (DOMAIN.md, "Credit grants") ------------------------------------------------

/**
 * Every draw on a grant: its credit lines, with the billing date of their document. A pending
 * draft's credit lines draw too (no later run may use that credit again); an approved draft
 * draws through its document, a voided one not at all.
 */
function drawsOf(world: World, grantId: string): { billingDate: number; amount: Q; recordedAt: number; invoiceId: string }[] {
  const draws = [];
  const pending = world.drafts.filter((draft) => draft.status === 'draft').map((draft) => ({ ...draft, invoiceId: draft.draftId }));
  for (const document of [...world.documents, ...pending]) {
    for (const line of document.lines) if (line.kind === 'credit' && line.grantId === grantId) draws.push({ billingDate: document.billingDate!, amount: line.amount.neg(), recordedAt: document.recordedAt, invoiceId: document.invoiceId });
  }
  return draws;
}

/** The grants a tenant's document of a run draws on, in order, and what each draws: one credit line per grant. */
function creditLines(world: World, tenantId: string, charges: RefLine[], billingDate: number): RefLine[] {
  const left = charges.map((line) => line.amount);
  let cap = maxQ(ZERO, sumQ(left));
  const usable = [...world.grants.values()]
    .filter((grant) => grant.tenantId === tenantId && grant.effectiveAt <= billingDate && (grant.expiresAt === null || billingDate < grant.expiresAt))
    .sort((a, b) => a.priority - b.priority || (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.effectiveAt - b.effectiveAt || compareIds(a.grantId, b.grantId));
  const lines: RefLine[] = [];
  for (const grant of usable) {
    const remaining = grant.amount.sub(sumQ(drawsOf(world, grant.grantId).map((draw) => draw.amount)));
    const eligible = charges.map((line, index) => (line.amount.gt(ZERO) && grant.appliesTo.includes(line.kind as ChargeKind) && (grant.leaseIds === null || grant.leaseIds.includes(line.leaseId!)) ? index : -1)).filter((index) => index >= 0);
    const draw = minQ(minQ(remaining, sumQ(eligible.map((index) => left[index]!))), cap);
    if (!draw.gt(ZERO)) continue;
    let toTake = draw;
    for (const index of eligible) {
      const part = minQ(toTake, left[index]!);
      left[index] = left[index]!.sub(part);
      toTake = toTake.sub(part);
    }
    cap = cap.sub(draw);
    lines.push({ leaseId: null, serviceMonth: monthOf(billingDate), kind: 'credit', grantId: grant.grantId, amount: draw.neg(), adjustment: false, quantity: null });
  }
  return lines;
}

/** What expires of a grant at its expiresAt (its amount less the draws of runs dated before), and the latest recording it depends on. */
function expiryOf(world: World, grant: Grant): { amount: Q; recordedAt: number } | null {
  if (grant.expiresAt === null) return null;
  const before = drawsOf(world, grant.grantId).filter((draw) => draw.billingDate < grant.expiresAt!);
  return { amount: grant.amount.sub(sumQ(before.map((draw) => draw.amount))), recordedAt: Math.max(grant.recordedAt, ...before.map((draw) => draw.recordedAt)) };
}

function acceptGrant(world: World, body: Extract<TimedStep['step'], { kind: 'grant' }>['body'], at: number): boolean {
  const appliesTo = body.appliesTo === undefined ? (['commitment', 'overage', 'termination_fee'] as ChargeKind[]) : [...new Set(body.appliesTo)];
  const leaseIds = body.leaseIds === undefined ? null : [...new Set(body.leaseIds)].sort();
  const fingerprint = JSON.stringify([body.tenantId, body.kind, Q.dec(body.amount).toString(), ms(body.effectiveAt), body.expiresAt === undefined ? null : ms(body.expiresAt), body.priority ?? 50, appliesTo, leaseIds]);
  const known = world.grants.get(body.grantId);
  if (known !== undefined) return known.fingerprint === fingerprint;
  const amount = Q.dec(body.amount);
  const effectiveAt = ms(body.effectiveAt);
  const expiresAt = body.expiresAt === undefined ? null : ms(body.expiresAt);
  const tenant = world.tenants.get(body.tenantId);
  if (tenant === undefined || !amount.gt(ZERO) || (expiresAt !== null && expiresAt <= effectiveAt)) return false;
  if (leaseIds !== null && leaseIds.some((leaseId) => world.leases.get(leaseId)?.tenantId !== body.tenantId)) return false;
  world.grants.set(body.grantId, { grantId: body.grantId, tenantId: body.tenantId, kind: body.kind, amount, effectiveAt, expiresAt, priority: body.priority ?? 50, appliesTo, leaseIds, recordedAt: at, fingerprint });
  if (body.kind === 'prepaid') {
    world.documents.push({
      invoiceId: seriesNumber(world, 'invoice'),
      kind: 'invoice',
      tenantId: body.tenantId,
      billingDate: effectiveAt,
      issuedAt: at,
      dueAt: effectiveAt + tenant.terms * dayMs,
      total: amount,
      lines: [{ leaseId: null, serviceMonth: monthOf(effectiveAt), kind: 'prepayment', grantId: body.grantId, amount, adjustment: false, quantity: null }],
      recordedAt: at,
    });
  }
  return true;
}

// ---- Acceptance (DOMAIN.md, "Events": the rules checked when an event is accepted) ----------

function allocationEnd(world: World, allocation: Allocation): number {
  const lease = world.leases.get(allocation.leaseId)!;
  const released = allocation.end ?? Number.POSITIVE_INFINITY;
  return lease.termination === null ? released : Math.min(released, Math.max(lease.termination.at, allocation.start));
}

function allocatedGpuMs(world: World, leaseId: string, from: number, to: number): bigint {
  let total = 0n;
  for (const allocation of world.allocations.values()) {
    if (allocation.leaseId === leaseId) total += BigInt(overlap(allocation.start, allocationEnd(world, allocation), from, to)) * BigInt(allocation.gpus);
  }
  return total;
}

function readingFits(world: World, lease: Lease, start: number, end: number, gpuHours: Q): boolean {
  if (!(start < end) || end > monthEnd(monthOf(start)) || start < lease.startsAt || end > lease.endsAt) return false;
  return !gpuHours.mul(Q.of(msPerHour)).gt(Q.of(allocatedGpuMs(world, lease.leaseId, start, end)));
}

/** The most GPUs of a site held at any instant of the new allocation's interval, with it. */
function peakLoad(world: World, siteId: string, extra: { start: number; end: number; gpus: number }): number {
  const intervals = [...world.allocations.values()].filter((each) => each.siteId === siteId).map((each) => ({ start: each.start, end: allocationEnd(world, each), gpus: each.gpus }));
  intervals.push(extra);
  // The load only rises at an interval's start: those inside the new interval, and its own.
  const instants = [extra.start, ...intervals.map((each) => each.start).filter((start) => start >= extra.start && start < extra.end)];
  let peak = 0;
  for (const t of instants) peak = Math.max(peak, intervals.filter((each) => each.start <= t && t < each.end).reduce((sum, each) => sum + each.gpus, 0));
  return peak;
}

/** Applies one step if the rules accept it; answers whether they did. */
function apply(world: World, timed: TimedStep): boolean {
  const { step, at } = timed;
  switch (step.kind) {
    case 'site':
      if (world.sites.has(step.body.siteId)) return false;
      world.sites.set(step.body.siteId, { gpuCount: step.body.gpuCount, gpuSku: step.body.gpuSku });
      return true;
    case 'tenant':
      if (world.tenants.has(step.body.tenantId) || step.body.currency !== 'USD') return false;
      world.tenants.set(step.body.tenantId, { terms: step.body.paymentTermsDays });
      return true;
    case 'lease': {
      const body = step.body;
      const site = world.sites.get(body.siteId);
      if (world.leases.has(body.leaseId) || !world.tenants.has(body.tenantId) || site === undefined || site.gpuSku !== body.gpuSku) return false;
      const startsAt = ms(body.startsAt);
      const endsAt = ms(body.endsAt);
      if (!(startsAt < endsAt) || !scheduleFits(body.commitment, startsAt, endsAt)) return false;
      world.leases.set(body.leaseId, {
        leaseId: body.leaseId,
        tenantId: body.tenantId,
        siteId: body.siteId,
        signedAt: ms(body.signedAt),
        startsAt,
        endsAt,
        schedule: body.commitment.map((entry) => ({ from: ms(entry.effectiveFrom), gpus: entry.gpuCount, rate: Q.dec(entry.ratePerGpuHour) })),
        overage: [{ from: startsAt, rate: Q.dec(body.overageRatePerGpuHour) }],
        billing: body.commitmentBilling,
        sla: body.sla.map((tier) => ({ below: Q.dec(tier.availabilityBelowPct), credit: Q.dec(tier.creditPct) })),
        termination: null,
        outages: [],
        amendmentIds: new Set(),
      });
      return true;
    }
    case 'amend': {
      const lease = world.leases.get(step.leaseId);
      const body = step.body;
      if (lease === undefined || lease.amendmentIds.has(body.amendmentId)) return false;
      const effectiveAt = ms(body.effectiveAt);
      if (effectiveAt < lease.startsAt || effectiveAt >= lease.endsAt) return false;
      let endsAt = lease.endsAt;
      if (body.endsAt !== undefined) {
        if (lease.termination !== null) return false;
        endsAt = ms(body.endsAt);
        if (endsAt <= effectiveAt) return false;
      }
      if (body.overageRatePerGpuHour !== undefined && monthStart(monthOf(effectiveAt)) !== effectiveAt) return false;
      if (body.commitment !== undefined && !scheduleFits(body.commitment, effectiveAt, endsAt)) return false;
      if (body.commitment !== undefined) {
        lease.schedule = [...lease.schedule.filter((entry) => entry.from < effectiveAt), ...body.commitment.map((entry) => ({ from: ms(entry.effectiveFrom), gpus: entry.gpuCount, rate: Q.dec(entry.ratePerGpuHour) }))];
      }
      if (body.overageRatePerGpuHour !== undefined) {
        lease.overage = [...lease.overage.filter((entry) => entry.from < effectiveAt), { from: effectiveAt, rate: Q.dec(body.overageRatePerGpuHour) }];
      }
      // docs/ledger-rules.md: a term cut short drops the entries beyond its new end for good.
      lease.endsAt = endsAt;
      lease.schedule = lease.schedule.filter((entry, index) => index === 0 || entry.from < endsAt);
      lease.overage = lease.overage.filter((entry, index) => index === 0 || entry.from < endsAt);
      lease.amendmentIds.add(body.amendmentId);
      return true;
    }
    case 'terminate': {
      const lease = world.leases.get(step.leaseId);
      if (lease === undefined || lease.termination !== null) return false;
      const effectiveAt = ms(step.body.effectiveAt);
      if (effectiveAt < lease.startsAt || effectiveAt >= lease.endsAt) return false;
      lease.termination = { at: effectiveAt, fee: Q.dec(step.body.terminationFee) };
      lease.endsAt = effectiveAt;
      lease.schedule = lease.schedule.filter((entry, index) => index === 0 || entry.from < effectiveAt);
      lease.overage = lease.overage.filter((entry, index) => index === 0 || entry.from < effectiveAt);
      return true;
    }
    case 'allocate': {
      const body = step.body;
      const lease = world.leases.get(body.leaseId);
      const site = world.sites.get(body.siteId);
      if (world.allocations.has(body.allocationId) || lease === undefined || site === undefined || lease.siteId !== body.siteId) return false;
      const start = ms(body.startsAt);
      if (start < lease.startsAt || start >= lease.endsAt || body.gpuCount <= 0) return false;
      const end = lease.termination === null ? Number.POSITIVE_INFINITY : lease.termination.at;
      if (peakLoad(world, body.siteId, { start, end, gpus: body.gpuCount }) > site.gpuCount) return false;
      world.allocations.set(body.allocationId, { allocationId: body.allocationId, leaseId: body.leaseId, siteId: body.siteId, gpus: body.gpuCount, start, end: null });
      return true;
    }
    case 'release': {
      const allocation = world.allocations.get(step.allocationId);
      if (allocation === undefined) return false;
      const endsAt = ms(step.endsAt);
      const lease = world.leases.get(allocation.leaseId)!;
      if (allocation.end !== null || lease.termination !== null) return allocationEnd(world, allocation) === endsAt;
      if (endsAt <= allocation.start) return false;
      allocation.end = endsAt;
      return true;
    }
    case 'usage': {
      const fresh: [string, Reading][] = [];
      for (const record of step.records) {
        const fingerprint = JSON.stringify([record.leaseId, ms(record.periodStart), ms(record.periodEnd), Q.dec(record.gpuHours).toString()]);
        const known = world.readings.get(record.readingId) ?? fresh.find(([id]) => id === record.readingId)?.[1];
        if (known !== undefined) {
          if (known.fingerprint !== fingerprint) return false;
          continue;
        }
        const lease = world.leases.get(record.leaseId);
        if (lease === undefined || !readingFits(world, lease, ms(record.periodStart), ms(record.periodEnd), Q.dec(record.gpuHours))) return false;
        fresh.push([record.readingId, { leaseId: record.leaseId, start: ms(record.periodStart), end: ms(record.periodEnd), gpuHours: Q.dec(record.gpuHours), fingerprint }]);
      }
      for (const [id, reading] of fresh) world.readings.set(id, reading);
      return true;
    }
    case 'correct': {
      const reading = world.readings.get(step.body.readingId);
      if (reading === undefined || world.corrections.has(step.body.correctionId)) return false;
      const lease = world.leases.get(reading.leaseId)!;
      const gpuHours = Q.dec(step.body.gpuHours);
      if (gpuHours.mul(Q.of(msPerHour)).gt(Q.of(allocatedGpuMs(world, lease.leaseId, reading.start, reading.end)))) return false;
      reading.gpuHours = gpuHours;
      world.corrections.add(step.body.correctionId);
      return true;
    }
    case 'outage': {
      const lease = world.leases.get(step.body.leaseId);
      const start = ms(step.body.startsAt);
      const end = ms(step.body.endsAt);
      if (lease === undefined || !(start < end) || step.body.affectedGpus <= 0 || start < lease.startsAt || end > lease.endsAt) return false;
      lease.outages.push({ start, end, gpus: step.body.affectedGpus });
      return true;
    }
    case 'run': {
      const billingDate = ms(step.billingDate);
      if (billingDate > at) return false;
      const latest = world.runs.at(-1)?.billingDate ?? Number.NEGATIVE_INFINITY;
      if (world.runs.some((run) => run.billingDate === billingDate)) return true;
      if (billingDate < latest) return false;
      runBilling(world, billingDate, at);
      return true;
    }
    case 'close': {
      const last = world.closes.at(-1);
      if (world.closes.some((close) => close.month === step.month)) return false;
      if (last !== undefined && nextMonth(last.month) !== step.month) return false;
      if (!world.runs.some((run) => run.billingDate === monthEnd(step.month))) return false;
      // A month does not close over a draft of a run up to its end still awaiting approval.
      if (world.drafts.some((draft) => draft.status === 'draft' && draft.billingDate <= monthEnd(step.month))) return false;
      world.closes.push({ month: step.month, at });
      return true;
    }
    case 'pay': {
      const body = step.body;
      const amount = Q.dec(body.amount);
      if (world.payments.has(body.paymentId) || !world.tenants.has(body.tenantId) || !amount.gt(ZERO) || ms(body.receivedAt) > at) return false;
      if (body.invoiceId !== undefined && !namesInvoiceOf(world, body.invoiceId, body.tenantId)) return false;
      world.payments.set(body.paymentId, { paymentId: body.paymentId, tenantId: body.tenantId, amount, at: ms(body.receivedAt), ...(body.invoiceId === undefined ? {} : { invoiceId: body.invoiceId }), recordedAt: at });
      return true;
    }
    case 'grant':
      return acceptGrant(world, step.body, at);
    case 'credit': {
      const body = step.body;
      const amount = Q.dec(body.amount);
      if (world.creditNotes.has(body.creditNoteId) || !world.tenants.has(body.tenantId) || !amount.gt(ZERO)) return false;
      if (body.invoiceId !== undefined && !namesInvoiceOf(world, body.invoiceId, body.tenantId)) return false;
      const issuedAt = body.issuedAt === undefined ? at : ms(body.issuedAt);
      world.creditNotes.set(body.creditNoteId, {
        invoiceId: seriesNumber(world, 'credit_note'),
        kind: 'credit_note',
        tenantId: body.tenantId,
        billingDate: null,
        issuedAt,
        dueAt: issuedAt,
        total: amount.neg(),
        lines: [],
        ...(body.invoiceId === undefined ? {} : { creditedInvoiceId: body.invoiceId }),
        recordedAt: at,
      });
      return true;
    }
    case 'approve':
      return approve(world, step.draftId, step.actor, at);
    case 'void':
      return voidDraft(world, step.draftId, step.reason);
  }
}

/**
 * Approving a draft: never by the actor who ran its run; an approved one again is a repeat; a
 * voided one is refused. The document gets the next number of its series now, dated as the run.
 */
function approve(world: World, draftId: string, actor: 'runner' | 'approver', at: number): boolean {
  const draft = world.drafts.find((each) => each.draftId === draftId);
  if (draft === undefined || draft.status === 'voided') return false;
  if (draft.status === 'approved') return true;
  if (actor === 'runner') return false;
  world.documents.push({
    invoiceId: seriesNumber(world, draft.kind),
    kind: draft.kind,
    tenantId: draft.tenantId,
    billingDate: draft.billingDate,
    issuedAt: draft.billingDate,
    dueAt: draft.dueAt,
    total: draft.total,
    lines: draft.lines,
    recordedAt: at,
  });
  draft.status = 'approved';
  return true;
}

/** Voiding a draft: its lines are owed again; the same void again is a repeat, another reason or an approved draft refused. */
function voidDraft(world: World, draftId: string, reason: string): boolean {
  const draft = world.drafts.find((each) => each.draftId === draftId);
  if (draft === undefined || draft.status === 'approved') return false;
  if (draft.status === 'voided') return draft.reason === reason;
  draft.status = 'voided';
  draft.reason = reason;
  return true;
}

function namesInvoiceOf(world: World, invoiceId: string, tenantId: string): boolean {
  return world.documents.some((document) => document.invoiceId === invoiceId && document.tenantId === tenantId);
}

function scheduleFits(entries: readonly { effectiveFrom: string }[], first: number, end: number): boolean {
  if (entries.length === 0 || ms(entries[0]!.effectiveFrom) !== first) return false;
  let previous = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    const at = ms(entry.effectiveFrom);
    if (at <= previous || at >= end) return false;
    previous = at;
  }
  return true;
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- The model ------------------------------------------------------------------------------

export class ReferenceModel {
  private readonly accepted: TimedStep[] = [];
  private readonly world: World;

  /** `approvalAbove`: LEDGER_APPROVAL_ABOVE of the history, if any. */
  constructor(private readonly approvalAbove?: string) {
    this.world = new World(this.threshold());
  }

  private threshold(): Q | null {
    return this.approvalAbove === undefined ? null : Q.dec(this.approvalAbove);
  }

  /** Records a step as the ledger would; answers whether it was accepted. */
  record(timed: TimedStep): boolean {
    const ok = apply(this.world, timed);
    if (ok) this.accepted.push(timed);
    this.worlds.clear();
    return ok;
  }

  private readonly worlds = new Map<number, World>();

  /**
   * The world as known at `knownAt`: the accepted steps recorded by then, replayed from the
   * first. Reports never change a world, so one replay per knowledge instant serves them all.
   */
  private known(knownAt: number): World {
    const last = this.accepted.findLastIndex((timed) => timed.at <= knownAt);
    let world = this.worlds.get(last);
    if (world === undefined) {
      world = new World(this.threshold());
      for (const timed of this.accepted.slice(0, last + 1)) apply(world, timed);
      this.worlds.set(last, world);
    }
    return world;
  }

  /** Every document, billing and by hand, in order of issue (recording). */
  documents(knownAt: number): RefDocument[] {
    const world = this.known(knownAt);
    return [...world.documents, ...world.creditNotes.values()].sort((a, b) => a.recordedAt - b.recordedAt || compareIds(a.invoiceId, b.invoiceId));
  }

  /**
   * Revenue of a month's books. A closed month (every month up to the latest closed one) is as
   * known just before the close that fixed it; an open one adds what facts recorded after a
   * close changed in a closed month, when it was the first open month at their recording.
   */
  revenue(month: string, knownAt: number): ReturnType<ReferenceModel['openRevenue']> {
    const frozen = this.frozenAt(this.known(knownAt), month);
    return frozen === null ? this.openRevenue(month, knownAt) : this.revenue(month, frozen);
  }

  private openRevenue(month: string, knownAt: number) {
    const world = this.known(knownAt);
    const fields = ['commitment', 'usage', 'terminationFees', 'slaCredits'] as const;
    const fieldOf = { commitment: 'commitment', overage: 'usage', termination_fee: 'terminationFees', sla_credit: 'slaCredits' } as const;
    const adjustmentKinds = [...fields, 'creditNotes', 'promotionalCredits', 'expiredCredits'];
    const adjustments = new Map<string, { month: string; kind: string; amount: Q }>();
    const adjust = (belongsTo: string, kind: string, amount: Q): void => {
      const key = `${belongsTo} ${adjustmentKinds.indexOf(kind)}`;
      adjustments.set(key, { month: belongsTo, kind, amount: (adjustments.get(key)?.amount ?? ZERO).add(amount) });
    };
    const totals = { commitment: ZERO, usage: ZERO, terminationFees: ZERO, slaCredits: ZERO };
    const leases = [];
    for (const lease of sortedLeases(world)) {
      const list = charges(world, lease, month);
      const row = { commitment: chargeOf(list, 'commitment'), usage: chargeOf(list, 'overage'), terminationFees: chargeOf(list, 'termination_fee'), slaCredits: chargeOf(list, 'sla_credit') };
      let adjusted = false;
      for (const closed of this.closedMonths(world, lease.leaseId, knownAt)) {
        if (closed >= month) continue;
        for (const piece of this.recognitions(world, lease.leaseId, closed, knownAt)) {
          if (piece.bookMonth !== month || !piece.priorPeriod) continue;
          for (const charge of piece.amounts) {
            const field = fieldOf[charge.kind];
            row[field] = row[field].add(charge.amount);
            adjust(closed, field, charge.amount);
            adjusted = true;
          }
        }
      }
      if (list.length === 0 && !adjusted) continue;
      for (const field of fields) totals[field] = totals[field].add(row[field]);
      leases.push({ leaseId: lease.leaseId, tenantId: lease.tenantId, ...money(row) });
    }
    let creditNotes = ZERO;
    for (const note of world.creditNotes.values()) {
      const belongsTo = monthOf(note.issuedAt);
      if (monthOf(this.bookedAt(world, note.issuedAt, note.recordedAt)) !== month) continue;
      creditNotes = creditNotes.add(note.total);
      if (belongsTo !== month) adjust(belongsTo, 'creditNotes', note.total);
    }
    // Promotional credit lines reduce the revenue of their run's month; prepaid grants that expire are revenue of their expiry's month.
    let promotionalCredits = ZERO;
    for (const document of world.documents) {
      const belongsTo = monthOf(document.billingDate!);
      if (monthOf(this.bookedAt(world, document.billingDate!, document.recordedAt)) !== month) continue;
      for (const line of document.lines) {
        if (line.kind !== 'credit' || world.grants.get(line.grantId!)!.kind !== 'promotional') continue;
        promotionalCredits = promotionalCredits.add(line.amount);
        if (belongsTo !== month) adjust(belongsTo, 'promotionalCredits', line.amount);
      }
    }
    let expiredCredits = ZERO;
    for (const grant of world.grants.values()) {
      const expiry = expiryOf(world, grant);
      if (grant.kind !== 'prepaid' || expiry === null || expiry.amount.isZero()) continue;
      const belongsTo = monthOf(grant.expiresAt!);
      if (monthOf(this.bookedAt(world, grant.expiresAt!, expiry.recordedAt)) !== month) continue;
      expiredCredits = expiredCredits.add(expiry.amount);
      if (belongsTo !== month) adjust(belongsTo, 'expiredCredits', expiry.amount);
    }
    const total = totals.commitment.add(totals.usage).add(totals.terminationFees).add(totals.slaCredits).add(creditNotes).add(promotionalCredits).add(expiredCredits);
    const priorPeriodAdjustments = [...adjustments.keys()].sort().map((key) => adjustments.get(key)!).filter((each) => !each.amount.isZero()).map((each) => ({ month: each.month, kind: each.kind, amount: m(each.amount) }));
    return { month, ...money(totals), creditNotes: m(creditNotes), promotionalCredits: m(promotionalCredits), expiredCredits: m(expiredCredits), total: m(total), leases, priorPeriodAdjustments };
  }

  // ---- Closed periods (DOMAIN.md, "Closing a period") --------------------------------------

  /** Everything recorded before the close that fixed a month (the first close at or after it), or null while it is open. */
  private frozenAt(world: World, month: string): number | null {
    const last = world.closes.at(-1);
    if (last === undefined || month > last.month) return null;
    return world.closes.find((close) => close.month >= month)!.at - 1;
  }

  /** When a fact dated `effectiveAt` and recorded at `recordedAt` is booked: its date, or the first instant of the first open month then. */
  private bookedAt(world: World, effectiveAt: number, recordedAt: number): number {
    const closedThen = world.closes.filter((close) => close.at < recordedAt).at(-1);
    if (closedThen === undefined || monthOf(effectiveAt) > closedThen.month) return effectiveAt;
    return monthStart(nextMonth(closedThen.month));
  }

  /** Closed months in which a lease may have charges as known at any close, or at knownAt. */
  private closedMonths(world: World, leaseId: string, knownAt: number): string[] {
    const last = world.closes.at(-1);
    if (last === undefined) return [];
    const months = new Set<string>();
    for (const at of [...world.closes.map((close) => close.at - 1), knownAt]) {
      const then = this.known(at);
      const lease = then.leases.get(leaseId);
      if (lease !== undefined) for (const month of leaseMonths(then, lease)) if (month <= last.month) months.add(month);
    }
    return [...months].sort();
  }

  /** A lease's recognition of a month: in its own books at its end, then the differences booked in later months. */
  private recognitions(world: World, leaseId: string, month: string, knownAt: number): { bookMonth: string; priorPeriod: boolean; at: number; amounts: RefCharge[] }[] {
    const chargesAt = (at: number): RefCharge[] => {
      const then = this.known(at);
      const lease = then.leases.get(leaseId);
      return lease === undefined ? [] : charges(then, lease, month);
    };
    const frozen = this.frozenAt(world, month);
    if (frozen === null) return [{ bookMonth: month, priorPeriod: false, at: monthEnd(month), amounts: chargesAt(knownAt) }];
    let before = chargesAt(frozen);
    const pieces = [{ bookMonth: month, priorPeriod: false, at: monthEnd(month), amounts: before }];
    const boundaries = world.closes.filter((close) => close.at - 1 > frozen).map((close) => ({ at: close.at - 1, bookMonth: close.month }));
    boundaries.push({ at: knownAt, bookMonth: nextMonth(world.closes.at(-1)!.month) });
    for (const boundary of boundaries) {
      const after = chargesAt(boundary.at);
      const amounts = kinds
        .map((kind) => ({ kind, amount: chargeOf(after, kind).sub(chargeOf(before, kind)), quantity: null }))
        .filter((each) => !each.amount.isZero());
      if (amounts.length > 0) pieces.push({ bookMonth: boundary.bookMonth, priorPeriod: true, at: monthStart(boundary.bookMonth), amounts });
      before = after;
    }
    return pieces;
  }

  /** A lease's GPU-hours of a month as people read them: exact, then half up to 6 digits. */
  usage(leaseId: string, month: string, knownAt: number) {
    const world = this.known(knownAt);
    const lease = world.leases.get(leaseId);
    if (lease === undefined) return null;
    const w0 = Math.max(monthStart(month), lease.startsAt);
    const w1 = Math.min(monthEnd(month), lease.endsAt);
    const committed = w1 > w0 ? commitmentBetween(lease, w0, w1).hours : ZERO;
    const allocated = Q.of(allocatedGpuMs(world, leaseId, Math.max(w0, lease.startsAt), Math.max(w0, w1)), msPerHour);
    const used = metered(world, leaseId, month);
    return {
      leaseId,
      month,
      overageGpuHours: maxQ(ZERO, used.sub(committed)).round(6).plain(),
      meteredGpuHours: used.round(6).plain(),
      committedGpuHours: committed.round(6).plain(),
      allocatedGpuHours: allocated.round(6).plain(),
    };
  }

  backlog(asOf: number, knownAt: number) {
    const world = this.known(knownAt);
    const leases = sortedLeases(world)
      .filter((lease) => lease.signedAt <= asOf)
      .map((lease) => ({ leaseId: lease.leaseId, tenantId: lease.tenantId, remaining: commitmentBetween(lease, asOf, lease.endsAt).amount.round(minorDigits) }));
    return { total: m(sumQ(leases.map((lease) => lease.remaining))), leases: leases.map((lease) => ({ ...lease, remaining: m(lease.remaining) })) };
  }

  /**
   * The backlog in four bands: [t, t+12 months), [t+12, t+24), [t+24, t+36), beyond, as
   * differences of rounded cumulative amounts from t, so a lease's bands add up to its backlog.
   */
  rpo(asOf: number, knownAt: number) {
    const world = this.known(knownAt);
    const names = ['within12Months', 'months13to24', 'months25to36', 'beyond36Months'] as const;
    const ends = [plusMonths(asOf, 12), plusMonths(asOf, 24), plusMonths(asOf, 36), Number.POSITIVE_INFINITY];
    const totals = names.map(() => ZERO);
    const leases = sortedLeases(world)
      .filter((lease) => lease.signedAt <= asOf)
      .map((lease) => {
        const cumulative = ends.map((end) => commitmentBetween(lease, asOf, end).amount.round(minorDigits));
        const bands = cumulative.map((amount, index) => amount.sub(index === 0 ? ZERO : cumulative[index - 1]!));
        bands.forEach((amount, index) => (totals[index] = totals[index]!.add(amount)));
        return { leaseId: lease.leaseId, tenantId: lease.tenantId, ...Object.fromEntries(names.map((name, index) => [name, m(bands[index]!)])) };
      });
    return {
      bands: Object.fromEntries(names.map((name, index) => [name, m(totals[index]!)])),
      total: m(sumQ(totals)),
      leases,
      excludes: 'usage-based consideration (ASC 606-10-50-14A)',
    };
  }

  private tenantMrr(world: World, at: number): Map<string, { mrr: Q; arr: Q }> {
    const result = new Map<string, { mrr: Q; arr: Q }>();
    for (const tenantId of [...world.tenants.keys()].sort(compareIds)) {
      let arr = ZERO;
      for (const lease of world.leases.values()) {
        if (lease.tenantId !== tenantId || lease.signedAt > at) continue;
        const { gpus, rate } = committedAt(lease, at);
        arr = arr.add(rate.mul(Q.int(gpus)).mul(Q.int(8760)));
      }
      result.set(tenantId, { mrr: arr.div(Q.int(12)).round(minorDigits), arr: arr.round(minorDigits) });
    }
    return result;
  }

  mrr(asOf: number, knownAt: number) {
    const tenants = [...this.tenantMrr(this.known(knownAt), asOf)];
    return {
      mrr: m(sumQ(tenants.map(([, value]) => value.mrr))),
      arr: m(sumQ(tenants.map(([, value]) => value.arr))),
      tenants: tenants.map(([tenantId, value]) => ({ tenantId, mrr: m(value.mrr), arr: m(value.arr) })),
    };
  }

  mrrMovements(month: string, knownAt: number) {
    const world = this.known(knownAt);
    const starting = this.tenantMrr(world, monthEnd(previousMonth(month)) - 1);
    const ending = this.tenantMrr(world, monthEnd(month) - 1);
    const totals = { new: ZERO, reactivation: ZERO, expansion: ZERO, contraction: ZERO, churn: ZERO };
    const tenants = [...ending.keys()].map((tenantId) => {
      const start = starting.get(tenantId)!.mrr;
      const end = ending.get(tenantId)!.mrr;
      let movement = 'none';
      if (start.isZero() && end.gt(ZERO)) {
        movement = hadMrrBefore(world, tenantId, monthStart(month)) ? 'reactivation' : 'new';
        totals[movement as 'new'] = totals[movement as 'new'].add(end);
      } else if (start.gt(ZERO) && end.isZero()) {
        movement = 'churn';
        totals.churn = totals.churn.add(start);
      } else if (start.gt(ZERO) && end.gt(start)) {
        movement = 'expansion';
        totals.expansion = totals.expansion.add(end.sub(start));
      } else if (start.gt(ZERO) && end.lt(start)) {
        movement = 'contraction';
        totals.contraction = totals.contraction.add(start.sub(end));
      }
      return { tenantId, startingMrr: m(start), endingMrr: m(end), movement };
    });
    return {
      month,
      startingMrr: m(sumQ([...starting.values()].map((value) => value.mrr))),
      new: m(totals.new),
      reactivation: m(totals.reactivation),
      expansion: m(totals.expansion),
      contraction: m(totals.contraction),
      churn: m(totals.churn),
      endingMrr: m(sumQ([...ending.values()].map((value) => value.mrr))),
      tenants,
    };
  }

  /** Journal postings effective at or before asOf: [account, leaseId | null, debit - credit]. */
  private postings(world: World, asOf: number, knownAt: number): { account: string; leaseId: string | null; net: Q }[] {
    const out: { account: string; leaseId: string | null; net: Q }[] = [];
    const move = (debit: string, credit: string, amount: Q, leaseId: string | null): void => {
      out.push({ account: debit, leaseId: debit === '1200' ? leaseId : null, net: amount });
      out.push({ account: credit, leaseId: credit === '1200' ? leaseId : null, net: amount.neg() });
    };
    const recognize = (charge: RefCharge, leaseId: string): void => {
      if (charge.kind === 'sla_credit') move('4090', '1200', charge.amount.neg(), leaseId);
      else move('1200', charge.kind === 'commitment' ? '4000' : charge.kind === 'overage' ? '4010' : '4020', charge.amount, leaseId);
    };
    for (const document of world.documents) {
      // At its invoice date (a run's billing date, a prepaid grant's effectiveAt), or later when that month was closed.
      if (this.bookedAt(world, document.billingDate!, document.recordedAt) > asOf) continue;
      for (const line of document.lines) {
        if (line.kind === 'prepayment') move('1100', '2300', line.amount, null);
        else if (line.kind === 'credit') move(world.grants.get(line.grantId!)!.kind === 'prepaid' ? '2300' : '4096', '1100', line.amount.neg(), null);
        else move('1100', '1200', line.amount, line.leaseId);
      }
    }
    for (const grant of world.grants.values()) {
      const expiry = expiryOf(world, grant);
      if (grant.kind !== 'prepaid' || expiry === null || grant.expiresAt! > asOf) continue;
      if (this.bookedAt(world, grant.expiresAt!, expiry.recordedAt) <= asOf) move('2300', '4030', expiry.amount, null);
    }
    for (const lease of world.leases.values()) {
      const months = [...new Set([...leaseMonths(world, lease), ...this.closedMonths(world, lease.leaseId, knownAt)])].sort();
      for (const month of months) {
        if (monthEnd(month) > asOf) continue;
        for (const piece of this.recognitions(world, lease.leaseId, month, knownAt)) {
          if (piece.at <= asOf) for (const charge of piece.amounts) recognize(charge, lease.leaseId);
        }
      }
    }
    for (const note of world.creditNotes.values()) if (this.bookedAt(world, note.issuedAt, note.recordedAt) <= asOf) move('4095', '1100', note.total.neg(), null);
    for (const payment of world.payments.values()) if (this.bookedAt(world, payment.at, payment.recordedAt) <= asOf) move('1000', '1100', payment.amount, null);
    return out;
  }

  /** The knowledge a report of balances at `asOf` reads: at the end of a closed month, its books as known before its close. */
  private balancesKnownAt(asOf: number, knownAt: number): number {
    if (monthStart(monthOf(asOf)) !== asOf) return knownAt;
    return this.frozenAt(this.known(knownAt), previousMonth(monthOf(asOf))) ?? knownAt;
  }

  trialBalance(asOf: number, asked: number) {
    const knownAt = this.balancesKnownAt(asOf, asked);
    const postings = this.postings(this.known(knownAt), asOf, knownAt);
    let debit = ZERO;
    let credit = ZERO;
    const accounts = ['1000', '1100', '1200', '2300', '4000', '4010', '4020', '4030', '4090', '4095', '4096'].map((account) => {
      const net = sumQ(postings.filter((each) => each.account === account).map((each) => each.net));
      const d = net.gt(ZERO) ? net : ZERO;
      const c = net.lt(ZERO) ? net.neg() : ZERO;
      debit = debit.add(d);
      credit = credit.add(c);
      return { account, debit: m(d), credit: m(c) };
    });
    return { accounts, totalDebit: m(debit), totalCredit: m(credit) };
  }

  contractBalances(asOf: number, asked: number) {
    const knownAt = this.balancesKnownAt(asOf, asked);
    const world = this.known(knownAt);
    const postings = this.postings(world, asOf, knownAt);
    let deferred = ZERO;
    let unbilled = ZERO;
    const leases = sortedLeases(world).map((lease) => {
      const balance = sumQ(postings.filter((each) => each.leaseId === lease.leaseId).map((each) => each.net)).neg();
      if (balance.gt(ZERO)) deferred = deferred.add(balance);
      else unbilled = unbilled.add(balance.neg());
      return { leaseId: lease.leaseId, tenantId: lease.tenantId, balance: m(balance) };
    });
    // 2300 is a liability: credit minus debit.
    const customerCredits = sumQ(postings.filter((each) => each.account === '2300').map((each) => each.net)).neg();
    return { deferredRevenue: m(deferred), unbilledReceivables: m(unbilled), customerCredits: m(customerCredits), leases };
  }

  /**
   * Each tenant's invoices and what has been applied to them by asOf: at its own date, a payment,
   * a credit note by hand or a negative billing document goes to the invoice it names, then to
   * the oldest open invoices (due date, then number); the rest is a credit balance that an
   * invoice consumes when it is issued.
   */
  receivables(asOf: number, knownAt: number) {
    const world = this.known(knownAt);
    const result = new Map<string, { invoices: { invoiceId: string; dueAt: number; total: Q; applied: Q }[]; credit: Q }>();
    for (const tenantId of [...world.tenants.keys()].sort(compareIds)) {
      type Move = { at: number; recordedAt: number; order: number; invoice?: RefDocument; credit?: Q; target?: string };
      const moves: Move[] = [];
      const tenantDocs = world.documents.filter((document) => document.tenantId === tenantId);
      for (const document of tenantDocs) {
        if (document.issuedAt > asOf) continue;
        if (document.kind === 'invoice') moves.push({ at: document.issuedAt, recordedAt: document.recordedAt, order: moves.length, invoice: document });
        else moves.push({ at: document.issuedAt, recordedAt: document.recordedAt, order: moves.length, credit: document.total.neg() });
      }
      for (const note of world.creditNotes.values()) {
        if (note.tenantId === tenantId && note.issuedAt <= asOf) moves.push({ at: note.issuedAt, recordedAt: note.recordedAt, order: moves.length, credit: note.total.neg(), ...(note.creditedInvoiceId === undefined ? {} : { target: note.creditedInvoiceId }) });
      }
      for (const payment of world.payments.values()) {
        if (payment.tenantId === tenantId && payment.at <= asOf) moves.push({ at: payment.at, recordedAt: payment.recordedAt, order: moves.length, credit: payment.amount, ...(payment.invoiceId === undefined ? {} : { target: payment.invoiceId }) });
      }
      moves.sort((a, b) => a.at - b.at || a.recordedAt - b.recordedAt || a.order - b.order);
      const invoices: { invoiceId: string; dueAt: number; total: Q; applied: Q }[] = [];
      let credit = ZERO;
      const due = (invoice: { total: Q; applied: Q }): Q => invoice.total.sub(invoice.applied);
      for (const move of moves) {
        if (move.invoice !== undefined) {
          const consumed = minQ(credit, move.invoice.total);
          credit = credit.sub(consumed);
          invoices.push({ invoiceId: move.invoice.invoiceId, dueAt: move.invoice.dueAt, total: move.invoice.total, applied: consumed });
          continue;
        }
        let left = move.credit!;
        const named = invoices.find((invoice) => invoice.invoiceId === move.target);
        const take = (invoice: { total: Q; applied: Q }): void => {
          const part = minQ(left, maxQ(ZERO, due(invoice)));
          invoice.applied = invoice.applied.add(part);
          left = left.sub(part);
        };
        if (named !== undefined) take(named);
        for (const invoice of [...invoices].sort((a, b) => a.dueAt - b.dueAt || compareIds(a.invoiceId, b.invoiceId))) {
          if (left.isZero()) break;
          if (due(invoice).gt(ZERO)) take(invoice);
        }
        credit = credit.add(left);
      }
      result.set(tenantId, { invoices, credit });
    }
    return result;
  }

  /** Every grant known at knownAt as of asOf: drawn by the documents dated by then, expired at its expiresAt, and what remains. */
  credits(asOf: number, knownAt: number) {
    const world = this.known(knownAt);
    const totals = { amount: ZERO, drawn: ZERO, expired: ZERO, remaining: ZERO };
    const grants = [...world.grants.values()].sort((a, b) => compareIds(a.grantId, b.grantId)).map((grant) => {
      const inEffect = grant.effectiveAt <= asOf;
      const drawn = inEffect ? sumQ(drawsOf(world, grant.grantId).filter((draw) => draw.billingDate <= asOf).map((draw) => draw.amount)) : ZERO;
      const expired = inEffect && grant.expiresAt !== null && grant.expiresAt <= asOf ? expiryOf(world, grant)!.amount : ZERO;
      const remaining = grant.amount.sub(drawn).sub(expired);
      totals.amount = totals.amount.add(grant.amount);
      totals.drawn = totals.drawn.add(drawn);
      totals.expired = totals.expired.add(expired);
      totals.remaining = totals.remaining.add(remaining);
      return { grantId: grant.grantId, tenantId: grant.tenantId, kind: grant.kind, amount: m(grant.amount), drawn: m(drawn), expired: m(expired), remaining: m(remaining), expiresAt: grant.expiresAt === null ? null : iso(grant.expiresAt) };
    });
    return { grants, totals: money(totals) };
  }

  arAging(asOf: number, knownAt: number) {
    const buckets = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90'] as const;
    const totals = Object.fromEntries(buckets.map((bucket) => [bucket, ZERO])) as Record<(typeof buckets)[number], Q>;
    const tenants = [];
    for (const [tenantId, receivable] of this.receivables(asOf, knownAt)) {
      const own = Object.fromEntries(buckets.map((bucket) => [bucket, ZERO])) as Record<(typeof buckets)[number], Q>;
      for (const invoice of receivable.invoices) {
        const left = invoice.total.sub(invoice.applied);
        if (!left.gt(ZERO)) continue;
        const days = Math.floor((asOf - invoice.dueAt) / dayMs);
        const bucket = days <= 0 ? 'current' : days <= 30 ? 'days1to30' : days <= 60 ? 'days31to60' : days <= 90 ? 'days61to90' : 'over90';
        own[bucket] = own[bucket].add(left);
        totals[bucket] = totals[bucket].add(left);
      }
      tenants.push({ tenantId, ...Object.fromEntries(buckets.map((bucket) => [bucket, m(own[bucket])])), total: m(sumQ(buckets.map((bucket) => own[bucket]))), creditBalance: m(receivable.credit) });
    }
    return { tenants, totals: { ...Object.fromEntries(buckets.map((bucket) => [bucket, m(totals[bucket])])), total: m(sumQ(buckets.map((bucket) => totals[bucket]))) } };
  }
}

/** "Had MRR before" (docs/ledger-rules.md): some lease of the tenant, from its signedAt, had GPUs at a non-zero rate before `before`. */
function hadMrrBefore(world: World, tenantId: string, before: number): boolean {
  for (const lease of world.leases.values()) {
    if (lease.tenantId !== tenantId) continue;
    for (const segment of segments(lease, lease.signedAt, before)) if (segment.gpus > 0 && segment.rate.gt(ZERO)) return true;
  }
  return false;
}

function sortedLeases(world: World): Lease[] {
  return [...world.leases.values()].sort((a, b) => compareIds(a.leaseId, b.leaseId));
}

const m = (value: Q): string => value.fixed(minorDigits);
function money<T extends Record<string, Q>>(row: T): { [K in keyof T]: string } {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, m(value)])) as { [K in keyof T]: string };
}
