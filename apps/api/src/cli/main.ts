import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { readConfig } from '../config.js';
import { reportNames } from '../shared/report-names.js';
import { auditCheckCommand, auditPackCommand, closeCommand } from './period-commands.js';
import { billCommand, demoCommand, exportJournalCommand, importUsageCommand, invoiceRenderCommand, reportCommand, verifyCommand } from './commands.js';
import type { CliIo, CliContext } from './context.js';
import { CliUsageError, errorAnswerOf, exitCodeOf, exitMisuse, exitOk, messageOf, misuseAnswer } from './errors.js';

/**
 * `ledger`: the same data and rules as the HTTP API, for jobs and people at a terminal. It
 * calls the application services directly, never the API over HTTP.
 */

export const ledgerVersion = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

export interface RunOptions {
  /** Set by tests only: the clock facts are recorded with. */
  clock?: () => Date;
}

/** Runs one command line (`argv` without node and script) and answers the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo, options: RunOptions = {}): Promise<number> {
  let exitCode = exitOk;
  // Known before Commander parses anything, so that its own refusals are JSON too.
  const json = argv.includes('--json');
  const contextOf = (command: Command): CliContext => {
    const globals = command.optsWithGlobals<{ json?: boolean }>();
    return { io, config: readConfig(io.env), json: globals.json === true, ...(options.clock === undefined ? {} : { clock: options.clock }) };
  };
  const action =
    <A extends unknown[]>(work: (context: CliContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      exitCode = await work(contextOf(command), ...(args.slice(0, -1) as A));
    };

  const program = new Command('ledger')
    .description('compute-ledger: the contract and billing ledger of a GPU cloud')
    .version(ledgerVersion)
    .option('--json', 'machine-readable output')
    .exitOverride()
    // Under --json, Commander's own messages (and the help it shows after one) give way to the JSON error below.
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void (json ? undefined : io.stderr.write(text)) })
    .showHelpAfterError('(ledger --help lists the commands)')
    .addHelpText(
      'after',
      '\nEnvironment: LEDGER_STORE (default sqlite:./data/ledger.db), LEDGER_API_KEYS (key=role,...), LEDGER_CURRENCY (default USD), LEDGER_ISSUER_NAME, LEDGER_ISSUER_ADDRESS, LEDGER_ISSUER_TAX_ID, LEDGER_ISSUER_PAYMENT_INSTRUCTIONS (printed on documents), PORT (default 3000), HOST (default 127.0.0.1), LOG_LEVEL (default info), LEDGER_CHECKPOINT_INTERVAL_SECONDS (default 300; 0: only at a clean stop) and LEDGER_CHECKPOINT_EVENTS_MIN (default 50000) for the model checkpoint of serve.\nExit codes: 0 ok, 1 refused input or failed check, 2 misuse, 70 an internal invariant failed (a bug to report; nothing was recorded).',
    );

  program
    .command('serve')
    .description('serve the HTTP API')
    .option('--port <port>', 'port to listen on (default: PORT or 3000)')
    .option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)')
    .option('--demo', 'seed the demo first when the store is empty')
    .option('--allow-unverified', 'serve even when the hash chain does not verify at start (logs a warning instead of refusing)')
    .action(
      action(async (context, flags: { port?: string; host?: string; demo?: boolean; allowUnverified?: boolean }) => {
        const port = flags.port === undefined ? undefined : Number(flags.port);
        if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw new CliUsageError('--port must be a port number');
        // Loaded here only: the other commands do without the HTTP stack, and start faster.
        const { serve } = await import('./serve.js');
        return serve(context, { ...(port === undefined ? {} : { port }), ...(flags.host === undefined ? {} : { host: flags.host }), demo: flags.demo === true, allowUnverified: flags.allowUnverified === true, version: ledgerVersion });
      }),
    );

  program
    .command('demo')
    .description('seed a realistic neocloud into an empty store, then print its invoices, MRR movements and trial balance')
    .action(action((context) => demoCommand(context)));

  program
    .command('bill')
    .description('run billing for one billing date')
    .requiredOption('--date <YYYY-MM-01>', 'the billing date, the first day of a month')
    .option('--preview', 'show what the run would issue now, future dates allowed; record nothing')
    .option('--documents <dir>', 'write each document of the run as issued to <dir>/<invoiceId>.pdf (again, for a run already done)')
    .action(action((context, flags: { date: string; documents?: string; preview?: boolean }) => billCommand(context, flags)));

  const invoiceCommand = program.command('invoice').description('billing documents as customers receive them');
  invoiceCommand
    .command('render')
    .description('render an invoice or credit note to a PDF or HTML file')
    .argument('<invoiceId>', 'the document number, e.g. INV-000001 or CN-000001')
    .addOption(new Option('--format <format>', 'file format').choices(['pdf', 'html']).default('pdf'))
    .requiredOption('--out <file>', 'the file to write (its directory is created)')
    .option('--as-issued', 'as issued: without amount paid, due and status; the same bytes whatever happened since')
    .option('--known-at <instant>', 'knowledge time (default now)')
    .action(action((context, invoiceId: string, flags: { format?: string; out: string; asIssued?: boolean; knownAt?: string }) => invoiceRenderCommand(context, invoiceId, flags)));

  program
    .command('report')
    .description(`print a report: ${reportNames.join(', ')}`)
    .argument('<name>', 'the report')
    .option('--as-of <instant>', 'effective time (default now); a date means its midnight UTC')
    .option('--month <YYYY-MM>', 'the month, for mrr-movements, revenue and reconciliation')
    .option('--known-at <instant>', 'knowledge time: only facts recorded by then (default now)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']))
    .action(action((context, name: string, flags: { asOf?: string; month?: string; knownAt?: string; format?: string }) => reportCommand(context, name, flags)));

  const exportCommand = program.command('export').description('export ledger data for other systems');
  exportCommand
    .command('journal')
    .description('the double-entry journal, one row per posting, the rows of an entry balanced')
    .option('--from <instant>', 'first effective instant (inclusive)')
    .option('--to <instant>', 'last effective instant (exclusive; default now)')
    .option('--known-at <instant>', 'knowledge time (default now)')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .action(action((context, flags: { from?: string; to?: string; knownAt?: string; format?: string }) => exportJournalCommand(context, flags)));

  const importCommand = program.command('import').description('import data into the ledger');
  importCommand
    .command('usage')
    .description('usage readings from CSV (with a header row) or JSON lines, in atomic batches')
    .argument('<file>', 'the file')
    .addOption(new Option('--format <format>', 'file format (default: from the extension, else the first line)').choices(['csv', 'jsonl']))
    .option('--batch-size <records>', 'readings per atomic batch (at most 10,000)')
    .action(action((context, file: string, flags: { format?: string; batchSize?: string }) => importUsageCommand(context, file, flags)));

  program
    .command('verify')
    .description('check the hash chain (and each pinned head), then rebuild the model from the log and compare it with the live one and the model checkpoint')
    .option('--expect-head <position:hash>', 'fail unless the log still holds this head (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action(action((context, flags: { expectHead: string[] }) => verifyCommand(context, { expectHead: flags.expectHead })));

  program
    .command('close')
    .description('close a service month: its books never change again (as POST /v1/periods/{month}/close)')
    .requiredOption('--month <YYYY-MM>', 'the month to close: the next after the latest closed, after the billing run of its end')
    .action(action((context, flags: { month: string }) => closeCommand(context, flags)));

  const auditCommand = program.command('audit').description("an auditor's evidence of a closed month");
  auditCommand
    .command('pack')
    .description('write the populations of a closed month as known at its seal (events, documents and lines, journal, trial balance, prior-period adjustments) and a manifest with each sha256')
    .requiredOption('--month <YYYY-MM>', 'the closed month')
    .requiredOption('--out <dir>', 'directory to write the pack to')
    .action(action((context, flags: { month: string; out: string }) => auditPackCommand(context, flags, ledgerVersion)));
  auditCommand
    .command('check')
    .description('make the pack in <dir> again from the ledger and compare it file by file; check that its seal is still in the chain')
    .argument('<dir>', 'the directory of a pack')
    .action(action((context, directory: string) => auditCheckCommand(context, directory, ledgerVersion)));

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return exitMisuse;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return exitOk;
      if (json) io.stderr.write(`${JSON.stringify(misuseAnswer(error.message.replace(/^error: /, '')))}\n`);
      return exitMisuse;
    }
    io.stderr.write(json ? `${JSON.stringify(errorAnswerOf(error))}\n` : `ledger: ${messageOf(error)}\n`);
    if (io.env['LEDGER_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
}
