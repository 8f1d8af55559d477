import type { Decimal } from '../shared/decimal.js';
import { chargesFor, type Charge } from '../charging/charges.js';
import type { LeaseState } from '../domain/lease/lease-state.js';
import type { JournalEntry, Posting, PostingsNet } from './journal.js';
import type { DocumentRecord } from './ledger-model.js';

/**
 * What the reports derive from immutable facts of one model, derived once: reports at many
 * cut-offs and instants ask for the same charges, postings and sums. The model owns these
 * (`LedgerModel.memos`) and the projections are handed them with the model, so a cache lives
 * exactly as long as the model whose facts it derives from, and the functions that fill it stay
 * pure: each memo answers what its function would compute, only sooner.
 *
 * Keys are the facts themselves (a lease state, a charge, an issued document, a list of
 * postings), never changed once made: a fold makes a new lease state for every event.
 */
export class Memo<Key extends object, Value> {
  private readonly values = new WeakMap<Key, Value>();

  of(key: Key, derive: (key: Key) => Value): Value {
    let value = this.values.get(key);
    if (value === undefined) {
      value = derive(key);
      this.values.set(key, value);
    }
    return value;
  }
}

/**
 * The charges of a lease state for a month and a metered total (`chargesFor`, frozen). Live
 * cut-offs see the metered total grow with every reading, so a lease state keeps the
 * `entriesPerLease` inputs asked most recently.
 */
export class ChargeMemo {
  private readonly byLease = new WeakMap<LeaseState, Map<string, readonly Charge[]>>();

  constructor(private readonly entriesPerLease = 64) {}

  of(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): readonly Charge[] {
    let byInput = this.byLease.get(lease);
    if (byInput === undefined) {
      byInput = new Map();
      this.byLease.set(lease, byInput);
    }
    const key = `${month} ${meteredGpuHours.toString()} ${minorDigits}`;
    const known = byInput.get(key);
    if (known !== undefined) {
      // Least recently used goes first: a month's final total, asked at every later cut-off, stays.
      byInput.delete(key);
      byInput.set(key, known);
      return known;
    }
    if (byInput.size >= this.entriesPerLease) byInput.delete(byInput.keys().next().value!);
    const charges = Object.freeze(chargesFor(lease, month, meteredGpuHours, minorDigits));
    byInput.set(key, charges);
    return charges;
  }
}

/** The memos of one model, one for each derivation the reports repeat. */
export class ModelMemos {
  readonly charges = new ChargeMemo();
  /** The journal's entries of a month's charges recognized in the month's own books (no period closed). */
  readonly recognitions = new Memo<readonly Charge[], readonly JournalEntry[]>();
  /** The journal's postings of a charge recognized as revenue. */
  readonly chargePostings = new Memo<Charge, readonly Posting[]>();
  /** The journal's postings of an issued invoice or credit note. */
  readonly documentPostings = new Memo<DocumentRecord, readonly Posting[]>();
  /** What a list of postings moves per account and per lease (checked balanced once, when summed). */
  readonly postingsNet = new Memo<readonly Posting[], PostingsNet>();
}
