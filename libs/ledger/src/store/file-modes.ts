/** Mode of a directory the ledger creates for its store and data (checkpoint, keys, anchor): the owner's only. */
export const dataDirectoryMode = 0o700;
