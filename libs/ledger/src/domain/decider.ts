/**
 * A decider is three plain functions: `decide` turns a command and the stream's state into the
 * events that record it (or a domain error), `evolve` folds one event into the state, and
 * `initialState` is the state of a stream that does not exist yet.
 */
export interface Decider<State, Command, Event> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

/**
 * Ends every exhaustive `switch`: a new command or event type fails to compile where it is not
 * handled, and reaching it at run time is a bug.
 */
export function unreachable(value: never, what: string): never {
  throw new Error(`invariant violated: unhandled ${what} ${JSON.stringify(value)}`);
}
