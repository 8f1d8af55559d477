/**
 * Preloaded into a `ledger serve` process by server-memory.bench.ts (NODE_OPTIONS="--expose-gc
 * --import <this file>"), so that the server's memory after a collection can be read without
 * any change to the application: on SIGUSR2 it runs full collections, with the event loop let
 * run between them, and writes one line to stderr, `gc-probe {...}`: process.memoryUsage() after
 * the last of them. Plain JavaScript: the server runs the
 * compiled application without a TypeScript loader, and one would add its own memory.
 */
const rounds = 4;

process.on('SIGUSR2', () => {
  void collect();
});

async function collect() {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    process.stderr.write('gc-probe {"error":"started without --expose-gc"}\n');
    return;
  }
  for (let round = 0; round < rounds; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  process.stderr.write(`gc-probe ${JSON.stringify(process.memoryUsage())}\n`);
}
