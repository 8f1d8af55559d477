/** The clock port: the one place the ledger asks what time it is (tests pass a fixed one). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
