import fc from 'fast-check';
import { iso, type History, type Probe, type Step, type TimedStep } from './history.js';

/**
 * Random whole histories: sites, tenants with various payment terms, leases with ramps in
 * advance and arrears, SLA tiers, amendments (retroactive ones, overage-rate changes, a term cut
 * or extended), terminations inside advance-billed months, allocations and releases, readings on
 * minute and millisecond boundaries with fractional hours, late readings, corrections up and
 * down, outages across month ends, monthly runs (some late, some skipped), payments with and
 * without an invoice, over-payments, credit notes by hand, leases signed after some asOf and
 * recorded before their signing. A plan of small numbers is drawn (that is what shrinks); the
 * builder turns it into dated steps.
 */

const minuteMs = 60_000;
const hourMs = 3_600_000;
const dayMs = 86_400_000;
/** The first instant of the histories' year; runs bill its first seven months and a bit. */
const originMs = Date.UTC(2026, 0, 1);
const runMonths = 8;
const rates = ['2.10', '2.30', '1.75', '0.013502', '3.333333', '2.999999', '0.5'];
const overageRates = ['3.50', '4.10', '2.666667', '0'];
const paymentTerms = [0, 7, 30, 45, 90];

const leasePlan = fc.record({
  tenant: fc.nat(2),
  site: fc.nat(1),
  signDay: fc.integer({ min: -20, max: 150 }),
  /** Days from signing to recording: negative means entered before it was signed. */
  recordShiftDays: fc.integer({ min: -10, max: 10 }),
  startDay: fc.integer({ min: -10, max: 120 }),
  startMinute: fc.constantFrom(0, 0, 1, 59, 661, 1439),
  lengthDays: fc.integer({ min: 10, max: 200 }),
  gpus: fc.integer({ min: 1, max: 40 }),
  rate: fc.nat(rates.length - 1),
  overage: fc.nat(overageRates.length - 1),
  ramp: fc.option(fc.record({ afterDays: fc.integer({ min: 1, max: 90 }), minute: fc.nat(59), gpus: fc.integer({ min: 0, max: 60 }), rate: fc.nat(rates.length - 1) }), { nil: undefined }),
  arrears: fc.boolean(),
  sla: fc.boolean(),
  allocate: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 50 }) }),
});

const eventPlan = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('allocate' as const), lease: fc.nat(3), gpus: fc.integer({ min: 1, max: 40 }), afterDays: fc.nat(60) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), allocation: fc.nat(5), afterDays: fc.integer({ min: 1, max: 120 }), minute: fc.nat(1439) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('usage' as const),
      lease: fc.nat(3),
      day: fc.nat(200),
      startMinute: fc.nat(1439),
      // Short readings, and ones that cover most of a month (usage above the commitment).
      lengthMinutes: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 20_000, max: 45_000 })),
      milliseconds: fc.option(fc.integer({ min: 1, max: 59_999 }), { nil: undefined }),
      tenths: fc.integer({ min: 0, max: 14 }),
      lateDays: fc.constantFrom(0, 0, 0, 1, 3, 20, 45),
      /** A second reading in the same batch, an hour later (the batch is whole or refused). */
      pair: fc.boolean(),
      /** The same batch sent again a day later: it counts once. */
      resend: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('correct' as const), reading: fc.nat(30), tenths: fc.integer({ min: 0, max: 12 }), lateDays: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('outage' as const), lease: fc.nat(3), day: fc.nat(200), hours: fc.integer({ min: 1, max: 200 }), gpus: fc.integer({ min: 1, max: 40 }), lateDays: fc.nat(10) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('amend' as const),
      lease: fc.nat(3),
      change: fc.constantFrom('tail' as const, 'ends' as const, 'rate' as const, 'tail+rate' as const),
      day: fc.nat(150),
      minute: fc.nat(1439),
      gpus: fc.integer({ min: 0, max: 60 }),
      rate: fc.nat(rates.length - 1),
      overage: fc.nat(overageRates.length - 1),
      endsShiftDays: fc.integer({ min: -60, max: 60 }),
      /** Recorded this many days after it takes effect (negative: before). */
      recordShiftDays: fc.integer({ min: -20, max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('terminate' as const), lease: fc.nat(3), day: fc.nat(150), minute: fc.nat(1439), feeCents: fc.integer({ min: 0, max: 2_000_000 }), recordShiftDays: fc.integer({ min: -5, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), tenant: fc.nat(2), cents: fc.integer({ min: 1, max: 12_000_000 }), invoice: fc.option(fc.nat(6), { nil: undefined, freq: 3 }), day: fc.nat(230), backDays: fc.nat(5), onMonthStart: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('grant' as const),
      tenant: fc.nat(2),
      prepaid: fc.boolean(),
      cents: fc.oneof(fc.integer({ min: 1, max: 500_000 }), fc.integer({ min: 1, max: 40_000_000 })),
      effectiveDay: fc.integer({ min: -10, max: 200 }),
      effectiveMinute: fc.constantFrom(0, 0, 1, 719),
      /** Days until it expires: none, and 0 for one that expires when it takes effect (refused). */
      lengthDays: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined, freq: 4 }),
      priority: fc.option(fc.nat(3), { nil: undefined }),
      appliesTo: fc.option(fc.subarray(['commitment', 'overage', 'sla_credit', 'termination_fee'] as const, { minLength: 1 }), { nil: undefined }),
      /** A lease it is limited to: possibly another tenant's (refused). */
      lease: fc.option(fc.nat(3), { nil: undefined, freq: 3 }),
      /** Recorded this many days after it takes effect (negative: before; late ones land in closed months). */
      recordShiftDays: fc.integer({ min: -20, max: 60 }),
    }),
  },
  /** Four eyes: a draft approved by the key that ran the run (refused) or another, or voided (its lines come back in the next run). */
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('approve' as const), draft: fc.nat(3), byRunner: fc.constantFrom(false, false, false, true), day: fc.integer({ min: 31, max: 250 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), draft: fc.nat(3), reason: fc.constantFrom('Disputed usage', 'Wrong rate'), day: fc.integer({ min: 31, max: 250 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('credit' as const), tenant: fc.nat(2), cents: fc.integer({ min: 1, max: 3_000_000 }), invoice: fc.option(fc.nat(6), { nil: undefined, freq: 3 }), day: fc.nat(230), dated: fc.boolean() }) },
);

export const planArbitrary = fc.record({
  sites: fc.array(fc.integer({ min: 60, max: 300 }), { minLength: 1, maxLength: 2 }),
  tenants: fc.array(fc.nat(paymentTerms.length - 1), { minLength: 1, maxLength: 3 }),
  leases: fc.array(leasePlan, { minLength: 1, maxLength: 4 }),
  events: fc.array(eventPlan, { minLength: 6, maxLength: 40 }),
  /** Runs: hours after the billing date each is recorded, or null for a month skipped. */
  runs: fc.array(fc.option(fc.integer({ min: 0, max: 96 }), { nil: null, freq: 6 }), { minLength: runMonths, maxLength: runMonths }),
  probes: fc.array(fc.record({ asOfDay: fc.integer({ min: -5, max: 240 }), asOfMs: fc.nat(dayMs - 1), knownAtDay: fc.integer({ min: 0, max: 245 }) }), { minLength: 2, maxLength: 4 }),
  /** LEDGER_APPROVAL_ABOVE, or none (half the histories): documents above it are drafts. */
  approvalAbove: fc.option(fc.constantFrom('0', '1000.00', '25000.00', '250000.00'), { nil: undefined, freq: 2 }),
});

export type Plan = typeof planArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** GPU-hours of `gpus` over `spanMs` x tenths / 10, truncated to 6 fractional digits. */
function fractionalGpuHours(gpus: number, spanMs: number, tenths: number): string {
  const micro = (BigInt(gpus) * BigInt(spanMs) * BigInt(tenths) * 1_000_000n) / (BigInt(hourMs) * 10n);
  const whole = micro / 1_000_000n;
  const fraction = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

const cents = (value: number): string => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

/** The dated steps of a plan, in recording order, and the instants to ask the reports at. */
export function buildHistory(plan: Plan): History {
  const steps: { at: number; order: number; step: Step }[] = [];
  const push = (at: number, step: Step): void => void steps.push({ at, order: steps.length, step });
  const setupMs = originMs - 60 * dayMs;
  plan.sites.forEach((gpuCount, index) => push(setupMs, { kind: 'site', body: { siteId: `S-${index}`, name: `Site ${index}`, gpuSku: 'H100', gpuCount } }));
  plan.tenants.forEach((terms, index) => push(setupMs, { kind: 'tenant', body: { tenantId: `T-${index}`, name: `Tenant ${index}`, currency: 'USD', paymentTermsDays: paymentTerms[terms]! } }));

  const leases = plan.leases.map((lease, index) => {
    const startsAt = originMs + lease.startDay * dayMs + lease.startMinute * minuteMs;
    const endsAt = startsAt + lease.lengthDays * dayMs;
    const signedAt = Math.min(originMs + lease.signDay * dayMs, startsAt + 5 * dayMs);
    return { id: `L-${index}`, startsAt, endsAt, signedAt, gpus: lease.gpus, siteId: `S-${lease.site % plan.sites.length}`, recordedAt: Math.max(setupMs + 1, signedAt + lease.recordShiftDays * dayMs), plan: lease };
  });
  for (const lease of leases) {
    const { plan: p } = lease;
    const commitment = [{ effectiveFrom: iso(lease.startsAt), gpuCount: p.gpus, ratePerGpuHour: rates[p.rate]! }];
    if (p.ramp !== undefined) {
      const rampAt = lease.startsAt + p.ramp.afterDays * dayMs + p.ramp.minute * minuteMs;
      if (rampAt < lease.endsAt) commitment.push({ effectiveFrom: iso(rampAt), gpuCount: p.ramp.gpus, ratePerGpuHour: rates[p.ramp.rate]! });
    }
    push(lease.recordedAt, {
      kind: 'lease',
      body: {
        leaseId: lease.id,
        tenantId: `T-${p.tenant % plan.tenants.length}`,
        siteId: lease.siteId,
        gpuSku: 'H100',
        signedAt: iso(lease.signedAt),
        startsAt: iso(lease.startsAt),
        endsAt: iso(lease.endsAt),
        commitment,
        overageRatePerGpuHour: overageRates[p.overage]!,
        commitmentBilling: p.arrears ? 'arrears' : 'advance',
        sla: p.sla ? [{ availabilityBelowPct: '99.9', creditPct: '10' }, { availabilityBelowPct: '99', creditPct: '25' }, { availabilityBelowPct: '95', creditPct: '100' }] : [],
      },
    });
    if (p.allocate > 0) push(lease.recordedAt + 1, { kind: 'allocate', body: { allocationId: `A-${lease.id}`, leaseId: lease.id, siteId: lease.siteId, gpuCount: p.allocate, startsAt: iso(lease.startsAt) } });
  }

  const allocationIds = leases.filter((lease) => lease.plan.allocate > 0).map((lease) => ({ id: `A-${lease.id}`, startsAt: lease.startsAt }));
  const readings: { id: string; leaseId: string; gpus: number; spanMs: number; recordedAt: number }[] = [];
  plan.events.forEach((event, index) => {
    const lease = leases[event.kind === 'pay' || event.kind === 'credit' || event.kind === 'grant' || event.kind === 'release' || event.kind === 'correct' || event.kind === 'approve' || event.kind === 'void' ? 0 : event.lease % leases.length]!;
    switch (event.kind) {
      case 'allocate': {
        const startsAt = lease.startsAt + event.afterDays * dayMs;
        allocationIds.push({ id: `A-${index}`, startsAt });
        push(Math.max(lease.recordedAt + 2, startsAt - dayMs), { kind: 'allocate', body: { allocationId: `A-${index}`, leaseId: lease.id, siteId: lease.siteId, gpuCount: event.gpus, startsAt: iso(startsAt) } });
        return;
      }
      case 'release': {
        const allocation = allocationIds[event.allocation % Math.max(1, allocationIds.length)];
        if (allocation === undefined) return;
        const endsAt = allocation.startsAt + event.afterDays * dayMs + event.minute * minuteMs;
        push(endsAt - dayMs, { kind: 'release', allocationId: allocation.id, endsAt: iso(endsAt) });
        return;
      }
      case 'usage': {
        const start = lease.startsAt + (event.day % lease.plan.lengthDays) * dayMs + event.startMinute * minuteMs;
        let end = start + event.lengthMinutes * minuteMs + (event.milliseconds ?? 0);
        const monthEnd = Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth() + 1, 1);
        end = Math.min(end, monthEnd, lease.endsAt);
        if (end <= start) return;
        const id = `R-${index}`;
        // Against the lease's first allocation: most readings fit it, some (tenths > 10) do not.
        const gpus = Math.max(1, lease.plan.allocate);
        const recordedAt = end + event.lateDays * dayMs + 17 * minuteMs;
        readings.push({ id, leaseId: lease.id, gpus, spanMs: end - start, recordedAt });
        const records = [{ readingId: id, leaseId: lease.id, periodStart: iso(start), periodEnd: iso(end), gpuHours: fractionalGpuHours(gpus, end - start, event.tenths) }];
        if (event.pair) {
          const pairStart = start + hourMs;
          const pairEnd = pairStart + (end - start);
          records.push({ readingId: `${id}b`, leaseId: lease.id, periodStart: iso(pairStart), periodEnd: iso(pairEnd), gpuHours: fractionalGpuHours(gpus, end - start, 10 - (event.tenths % 11)) });
        }
        push(recordedAt, { kind: 'usage', records });
        if (event.resend) push(recordedAt + dayMs, { kind: 'usage', records });
        return;
      }
      case 'correct': {
        const reading = readings[event.reading % Math.max(1, readings.length)];
        if (reading === undefined) return;
        push(reading.recordedAt + event.lateDays * dayMs + 31 * minuteMs, { kind: 'correct', body: { correctionId: `C-${index}`, readingId: reading.id, gpuHours: fractionalGpuHours(reading.gpus, reading.spanMs, event.tenths) } });
        return;
      }
      case 'outage': {
        const startsAt = lease.startsAt + (event.day % lease.plan.lengthDays) * dayMs;
        const endsAt = Math.min(startsAt + event.hours * hourMs, lease.endsAt);
        push(endsAt + event.lateDays * dayMs + minuteMs, { kind: 'outage', body: { outageId: `O-${index}`, leaseId: lease.id, startsAt: iso(startsAt), endsAt: iso(endsAt), affectedGpus: event.gpus } });
        return;
      }
      case 'amend': {
        const withRate = event.change === 'rate' || event.change === 'tail+rate';
        let effectiveAt = lease.startsAt + event.day * dayMs + event.minute * minuteMs;
        if (withRate) {
          const date = new Date(effectiveAt);
          effectiveAt = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
        }
        const body: Extract<Step, { kind: 'amend' }>['body'] = { amendmentId: `M-${index}`, effectiveAt: iso(effectiveAt) };
        if (event.change === 'tail' || event.change === 'tail+rate') body.commitment = [{ effectiveFrom: iso(effectiveAt), gpuCount: event.gpus, ratePerGpuHour: rates[event.rate]! }];
        if (event.change === 'ends') body.endsAt = iso(Math.max(effectiveAt + hourMs, lease.endsAt + event.endsShiftDays * dayMs));
        if (withRate) body.overageRatePerGpuHour = overageRates[event.overage]!;
        push(Math.max(lease.recordedAt + 3, effectiveAt + event.recordShiftDays * dayMs), { kind: 'amend', leaseId: lease.id, body });
        return;
      }
      case 'terminate': {
        const effectiveAt = lease.startsAt + event.day * dayMs + event.minute * minuteMs;
        push(Math.max(lease.recordedAt + 3, effectiveAt + event.recordShiftDays * dayMs), { kind: 'terminate', leaseId: lease.id, body: { effectiveAt: iso(effectiveAt), terminationFee: cents(event.feeCents) } });
        return;
      }
      case 'pay': {
        const at = originMs + event.day * dayMs + 7 * hourMs;
        // Some payments are dated on a billing date: the same instant as that run's invoices.
        const monthStartOfAt = Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), 1);
        const receivedAt = event.onMonthStart ? monthStartOfAt : at - event.backDays * dayMs;
        const body: Extract<Step, { kind: 'pay' }>['body'] = { paymentId: `P-${index}`, tenantId: `T-${event.tenant % plan.tenants.length}`, amount: cents(event.cents), receivedAt: iso(receivedAt) };
        if (event.invoice !== undefined) body.invoiceId = `INV-${String(event.invoice + 1).padStart(6, '0')}`;
        push(at, { kind: 'pay', body });
        return;
      }
      case 'grant': {
        const effectiveAt = originMs + event.effectiveDay * dayMs + event.effectiveMinute * minuteMs;
        const body: Extract<Step, { kind: 'grant' }>['body'] = { grantId: `G-${index}`, tenantId: `T-${event.tenant % plan.tenants.length}`, kind: event.prepaid ? 'prepaid' : 'promotional', amount: cents(event.cents), effectiveAt: iso(effectiveAt) };
        if (event.lengthDays !== undefined) body.expiresAt = iso(effectiveAt + event.lengthDays * dayMs);
        if (event.priority !== undefined) body.priority = event.priority;
        if (event.appliesTo !== undefined) body.appliesTo = [...event.appliesTo];
        if (event.lease !== undefined) body.leaseIds = [leases[event.lease % leases.length]!.id];
        push(Math.max(setupMs + 1, effectiveAt + event.recordShiftDays * dayMs), { kind: 'grant', body });
        return;
      }
      case 'approve': {
        const draftId = `DRAFT-${String(event.draft + 1).padStart(6, '0')}`;
        push(originMs + event.day * dayMs + 11 * hourMs, { kind: 'approve', draftId, actor: event.byRunner ? 'runner' : 'approver' });
        return;
      }
      case 'void': {
        const draftId = `DRAFT-${String(event.draft + 1).padStart(6, '0')}`;
        push(originMs + event.day * dayMs + 13 * hourMs, { kind: 'void', draftId, reason: event.reason });
        return;
      }
      case 'credit': {
        const at = originMs + event.day * dayMs + 9 * hourMs;
        const body: Extract<Step, { kind: 'credit' }>['body'] = { creditNoteId: `K-${index}`, tenantId: `T-${event.tenant % plan.tenants.length}`, amount: cents(event.cents), reason: 'Goodwill' };
        if (event.invoice !== undefined) body.invoiceId = `INV-${String(event.invoice + 1).padStart(6, '0')}`;
        if (event.dated) body.issuedAt = iso(at - 2 * dayMs);
        push(at, { kind: 'credit', body });
        return;
      }
    }
  });
  plan.runs.forEach((delayHours, index) => {
    if (delayHours === null) return;
    const billingDate = Date.UTC(2026, index + 1, 1);
    push(billingDate + delayHours * hourMs, { kind: 'run', billingDate: iso(billingDate) });
  });
  // Closes: after a run whose delay is an even number of hours, its previous month closes two
  // days later (a skipped run leaves its month open, so a later close is refused as out of order).
  plan.runs.forEach((delayHours, index) => {
    if (delayHours === null || delayHours % 2 !== 0) return;
    const billingDate = Date.UTC(2026, index + 1, 1);
    push(billingDate + delayHours * hourMs + 2 * dayMs, { kind: 'close', month: iso(Date.UTC(2026, index, 1)).slice(0, 7) });
  });
  // A last run after everything, so every history is billed to its end.
  const lastRun = Date.UTC(2026, runMonths + 1, 1);
  push(lastRun + hourMs, { kind: 'run', billingDate: iso(lastRun) });

  // Recording order; the clock moves strictly forward, one millisecond at least per step.
  steps.sort((a, b) => a.at - b.at || a.order - b.order);
  const timed: TimedStep[] = [];
  let clock = Number.NEGATIVE_INFINITY;
  for (const { at, step } of steps) {
    clock = Math.max(at, clock + 1);
    timed.push({ at: clock, step });
  }
  const probes: Probe[] = plan.probes.map((probe) => ({ asOf: originMs + probe.asOfDay * dayMs + probe.asOfMs, knownAt: originMs + probe.knownAtDay * dayMs }));
  // As known after everything, at a month start and inside a month.
  probes.push({ asOf: Date.UTC(2026, 3, 1), knownAt: clock }, { asOf: Date.UTC(2026, 5, 17, 13, 1, 7, 333), knownAt: clock });
  for (const lease of leases) probes.push({ asOf: lease.signedAt - 1, knownAt: clock });
  const months: string[] = [];
  for (let index = -1; index <= runMonths + 1; index += 1) months.push(new Date(Date.UTC(2026, index, 1)).toISOString().slice(0, 7));
  return { steps: timed, probes, months, ...(plan.approvalAbove === undefined ? {} : { approvalAbove: plan.approvalAbove }) };
}
