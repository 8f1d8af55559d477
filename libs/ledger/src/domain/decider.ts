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

export { unreachable } from '../shared/assert.js';
