import type { EventStore } from '@compute-ledger/ledger';
import { demoActor } from '../cli/demo/seed.js';

/**
 * Whether a store holds the demo neocloud rather than real books: its first event was recorded
 * by the demo seed (no API key and no command records that actor). The first event is under the
 * hash chain, so the mark cannot be taken off without the chain saying so; facts added later do
 * not make a demo store real. /healthz and /v1/audit/verify answer it as `demo`.
 */
export class DemoMark {
  /** Known once the log has a first event: it never changes after that. */
  private known: boolean | null = null;

  constructor(private readonly store: EventStore) {}

  async isDemo(): Promise<boolean> {
    if (this.known !== null) return this.known;
    const [first] = await this.store.readAll({ fromPosition: 0, limit: 1 });
    // An empty store is not a demo yet: ask again once it has an event.
    if (first === undefined) return false;
    this.known = first.metadata.actor === demoActor.actor;
    return this.known;
  }
}
