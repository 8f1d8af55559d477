/** Absolute path of the built dashboard: `index.html` and `assets/`, produced by `npm run build -w @compute-ledger/web`. */
export declare function webDistPath(): string;
