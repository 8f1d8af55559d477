import { billingStreamId, modelCheckpointStream, type AppendResult, type EventStore, type StreamWrite } from '@compute-ledger/ledger';

/**
 * A test seam for the crash tests: `ledger serve` kills itself (SIGKILL, as the OOM killer or a
 * power cut would) right after the store committed a write of one kind and before anything
 * else runs: before the answer to the request, before a checkpoint file takes its name. That
 * is the moment a kill at random almost never hits, and the one where a retried request must be
 * answered as a repeat.
 *
 * Why an environment variable: the reliability tests run `ledger serve` as a real process, and
 * only whoever starts the process sets its environment. No request, key or file in the data
 * directory can turn it on. Its name says what it does, it is read only by `ledger serve`, it is
 * not a documented setting, and unset (as everywhere but in those tests) the store is not wrapped
 * at all. Value: `usage-batch`, `billing-run` or `checkpoint`, optionally `:N` to kill after the
 * N-th such commit (default the first).
 */
export const faultInjectionVariable = 'LEDGER_FAULT_INJECTION_KILL_AFTER_COMMIT';

export const commitKinds = ['usage-batch', 'billing-run', 'checkpoint'] as const;
export type CommitKind = (typeof commitKinds)[number];

export interface KillAfterCommit {
  kind: CommitKind;
  /** The commit of that kind after which the process dies, counted from 1. */
  nth: number;
}

/** The fault to inject, from the environment; null when none is asked for. */
export function killAfterCommitFrom(env: NodeJS.ProcessEnv): KillAfterCommit | null {
  const value = env[faultInjectionVariable];
  if (value === undefined || value === '') return null;
  const [kind, nth = '1'] = value.split(':');
  if (!(commitKinds as readonly string[]).includes(kind ?? '') || !/^[1-9][0-9]{0,5}$/.test(nth)) {
    throw new Error(`${faultInjectionVariable} must be one of ${commitKinds.join(', ')}, optionally followed by :N`);
  }
  return { kind: kind as CommitKind, nth: Number(nth) };
}

/** The kind of a write, by the stream it goes to and what it holds. */
function kindOf(writes: readonly StreamWrite[]): CommitKind | null {
  if (writes.some((write) => write.streamId === billingStreamId && write.events.some((event) => event.type === 'BillingRunCompleted'))) return 'billing-run';
  if (writes.some((write) => write.streamId === modelCheckpointStream)) return 'checkpoint';
  if (writes.some((write) => write.events.some((event) => event.type === 'UsageRecorded'))) return 'usage-batch';
  return null;
}

/** `store`, killing the process right after the chosen commit; every other call passes through. */
export function killingAfterCommit(store: EventStore, fault: KillAfterCommit): EventStore {
  let seen = 0;
  const afterCommit = (writes: readonly StreamWrite[]): void => {
    if (kindOf(writes) !== fault.kind) return;
    seen += 1;
    // Synchronous: no callback, answer or rename runs after the commit returned.
    if (seen === fault.nth) process.kill(process.pid, 'SIGKILL');
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') {
        return async (...args: Parameters<EventStore['append']>): Promise<AppendResult> => {
          const result = await target.append(...args);
          afterCommit([{ streamId: args[0], events: args[1], expectedRevision: args[2] }]);
          return result;
        };
      }
      if (property === 'appendMany' && target.appendMany !== undefined) {
        return async (writes: readonly StreamWrite[]): Promise<AppendResult[]> => {
          const results = await target.appendMany!(writes);
          afterCommit(writes);
          return results;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
