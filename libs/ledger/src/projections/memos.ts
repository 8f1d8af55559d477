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
 * What the charge memo of one model may hold, in bytes as `chargeEntryBytes` estimates them:
 * about 9,000 entries of two or three charges, the charges of 2,000 leases over 4 months at one
 * cut-off, or of 200 leases over 19 months at two. The memos keyed by those charges (their
 * postings and recognitions, below) live as long as the charges do, and about double what the
 * charges alone hold: with 64 MiB here a 5-minute soak kept 100 MiB more heap than with the
 * per-lease bound before. Past it the least recently asked entry goes first, and is computed
 * again when asked.
 */
export const chargeMemoBytesMax = 24 * 1024 * 1024;

/**
 * Retained bytes of one charge as the memo keeps it (the object, its three decimals and its
 * description, a string built in pieces), and of one entry beside its charges (the map's slot,
 * the record, the frozen list; the key counts 2 bytes a character). test/billing/charge-memo
 * measures both against the heap.
 */
export const chargeBytes = 1_240;
export const chargeEntryOverheadBytes = 200;

export function chargeEntryBytes(key: string, charges: readonly Charge[]): number {
  return chargeEntryOverheadBytes + 2 * key.length + charges.length * chargeBytes;
}

/**
 * The charges of a lease state for a month and a metered total (`chargesFor`, frozen). Live
 * cut-offs see the metered total grow with every reading, so what is kept is bounded in bytes
 * (`chargeMemoBytesMax`) across every lease state, least recently asked first out: a month's
 * final total, asked at every later cut-off, stays.
 */
export class ChargeMemo {
  /** A number for each lease state asked about: the key of its entries (a state is never changed once made). */
  private readonly stateIds = new WeakMap<LeaseState, number>();
  private nextStateId = 0;
  private readonly entries = new Map<string, { charges: readonly Charge[]; bytes: number }>();
  private bytes = 0;

  constructor(private readonly bytesMax = chargeMemoBytesMax) {}

  /** Bytes held now, as estimated (at most `bytesMax`). */
  get heldBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  of(lease: LeaseState, month: string, meteredGpuHours: Decimal, minorDigits: number): readonly Charge[] {
    let stateId = this.stateIds.get(lease);
    if (stateId === undefined) {
      stateId = this.nextStateId++;
      this.stateIds.set(lease, stateId);
    }
    const key = `${stateId} ${month} ${meteredGpuHours.toString()} ${minorDigits}`;
    const known = this.entries.get(key);
    if (known !== undefined) {
      // Least recently asked goes first: a hit moves to the end of the map's order.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known.charges;
    }
    const charges = Object.freeze(chargesFor(lease, month, meteredGpuHours, minorDigits));
    const bytes = chargeEntryBytes(key, charges);
    if (bytes > this.bytesMax) return charges;
    while (this.bytes + bytes > this.bytesMax) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.bytes -= oldest.bytes;
    }
    this.entries.set(key, { charges, bytes });
    this.bytes += bytes;
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
