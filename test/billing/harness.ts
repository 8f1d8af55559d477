import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ledger } from '@compute-ledger/ledger';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { openLedgerAt } from '@compute-ledger/api';

/**
 * A ledger on a fresh SQLite file with a clock the test moves: every fact is recorded "on" the
 * day the scenario says, so "as known at" questions have real answers.
 */
export interface Harness {
  ledger: Ledger;
  /** Sets the wall clock (and so recordedAt of what is appended next). */
  at(instant: string): void;
  close(): Promise<void>;
}

export const actor = { actor: 'test' };

export async function openHarness(start: string): Promise<Harness> {
  const directory = mkdtempSync(join(tmpdir(), 'ledger-billing-'));
  let now = new Date(start);
  const clock = (): Date => now;
  const ledger = await openLedgerAt(`sqlite:${join(directory, 'ledger.db')}`, { clock, dataDir: directory });
  return {
    ledger,
    at(instant: string) {
      now = new Date(instant);
    },
    async close() {
      await ledger.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
