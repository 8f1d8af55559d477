import { RequestMonth } from '@compute-ledger/contracts';
import { z } from 'zod';
import { cliActor, parseOptions, withLedger, type CliContext } from './context.js';
import { exitOk } from './errors.js';
import { renderJson } from './format.js';

/** `ledger close --month YYYY-MM`: closes a period as `POST /v1/periods/{month}/close` does. */
export async function closeCommand(context: CliContext, options: { month: string }): Promise<number> {
  const { month } = parseOptions(z.strictObject({ month: RequestMonth }), { month: options.month }, { month: '--month' });
  return withLedger(context, async (ledger) => {
    const result = await ledger.periods.close(month, cliActor('close'));
    context.io.stdout.write(context.json ? renderJson(result) : `Closed ${result.month} at ${result.closedAt}; seal ${result.seal.position}:${result.seal.hash}\n`);
    return exitOk;
  });
}
