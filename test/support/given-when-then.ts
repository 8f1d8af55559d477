import { expect } from 'vitest';
import type { Decider, DomainError } from '@compute-ledger/ledger';

/**
 * Given / when / then over a decider: the given events are folded from the initial state, the
 * command is decided against the result, and the test states the events it expects or the
 * error it expects (its class, family and message).
 */

type ErrorClass = abstract new (...args: never[]) => DomainError;

export interface Then<Event> {
  then(expected: Event[]): void;
  thenNothing(): void;
  thenThrows(errorClass: ErrorClass, message: string | RegExp): DomainError;
}

export interface When<Command, Event> {
  when(command: Command): Then<Event>;
}

export function deciderSpec<State, Command, Event>(decider: Decider<State, Command, Event>): { given(events: Event[]): When<Command, Event> } {
  return {
    given(events) {
      return {
        when(command) {
          const decide = (): Event[] => {
            let state = decider.initialState();
            for (const event of events) state = decider.evolve(state, event);
            return decider.decide(command, state);
          };
          return {
            then(expected) {
              expect(decide()).toEqual(expected);
            },
            thenNothing() {
              expect(decide()).toEqual([]);
            },
            thenThrows(errorClass, message) {
              let thrown: unknown;
              try {
                decide();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(errorClass);
              const error = thrown as DomainError;
              if (typeof message === 'string') expect(error.message).toBe(message);
              else expect(error.message).toMatch(message);
              return error;
            },
          };
        },
      };
    },
  };
}
