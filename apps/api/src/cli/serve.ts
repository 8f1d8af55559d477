import { dirname, isAbsolute, relative } from 'node:path';
import type { Ledger } from '@compute-ledger/ledger';
import { ApiKeys, apiKeyLengthRecommended, loadOrCreateAdminKey, loadOrCreateDemoKeys, type DemoKey } from '../http/auth/api-keys.js';
import { DemoMark } from '../shared/demo-store.js';
import { readIssuer } from '../config.js';
import { shutdownTimeoutMs } from '../http/limits.js';
import { createLogger } from '../http/observability/logger.js';
import { startApiServer } from '../http/server.js';
import { Webhooks } from '../webhooks/webhooks.js';
import { WebhookUrlPolicy } from '../webhooks/url-policy.js';
import { openConfiguredLedger, type CliContext } from './context.js';
import { DemoStoreNotEmptyError, seedDemo } from './demo/seed.js';
import { StoryClock } from './demo/story-clock.js';
import { CliRefusedError, messageOf } from './errors.js';
import { killAfterCommitFrom } from './fault-injection.js';
import { PeriodicCheckpoint } from './periodic-checkpoint.js';
import { progressBar } from './progress.js';
import { refusalMessage, StartupVerification } from './startup-verification.js';
import type { LevelWithSilent, Logger } from 'pino';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** Seed the demo first when the store is empty (npm start). */
  demo?: boolean;
  /** Serve even when the hash chain does not verify at start (a warning is logged instead). */
  allowUnverified?: boolean;
  version: string;
}

const logLevels: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `ledger serve`: the HTTP API until SIGINT or SIGTERM, then a graceful stop. */
export async function serve(context: CliContext, options: ServeOptions): Promise<number> {
  // Listened for from the first moment: a supervisor may stop the ledger as soon as it says it
  // listens, or while it starts; either way the stop is graceful, never the signal's default.
  const stopSignal = new StopSignal();
  try {
    return await serveUntilStopped(context, options, stopSignal);
  } finally {
    stopSignal.dispose();
  }
}

/**
 * SIGINT or SIGTERM, the first of them: `received` resolves with it. A second signal while the
 * ledger stops is left to its default, so that a second Ctrl-C ends a stop that hangs.
 */
class StopSignal {
  readonly received: Promise<NodeJS.Signals>;
  private readonly listener: (signal: NodeJS.Signals) => void;

  constructor() {
    let resolve!: (signal: NodeJS.Signals) => void;
    this.received = new Promise((resolved) => (resolve = resolved));
    this.listener = (signal) => {
      this.dispose();
      resolve(signal);
    };
    process.once('SIGINT', this.listener);
    process.once('SIGTERM', this.listener);
  }

  dispose(): void {
    process.removeListener('SIGINT', this.listener);
    process.removeListener('SIGTERM', this.listener);
  }
}

async function serveUntilStopped(context: CliContext, options: ServeOptions, stopSignal: StopSignal): Promise<number> {
  const { io, config } = context;
  // Before anything is created or opened: a misconfigured issuer stops the start, its variable named.
  const issuer = readIssuer(io.env);
  let keySource = resolveKeys(context);
  const level = (io.env['LOG_LEVEL'] ?? 'info') as LevelWithSilent;
  const logger = createLogger(logLevels.includes(level) ? level : 'info');
  // The chain is checked before the model reads a single event, and a mismatch stops the start.
  const verification = StartupVerification.of(config.storeUrl, config.dataDir);
  const check = await verification.checkAtStart(config.storeUrl);
  if (!check.ok) {
    if (options.allowUnverified !== true) throw new CliRefusedError(refusalMessage(check, config.storeUrl, config.dataDir));
    logger.warn({ firstInvalidPosition: check.firstInvalidPosition, reason: check.reason }, `${refusalMessage(check, config.storeUrl, config.dataDir)} Serving it anyway: --allow-unverified`);
  }
  const openStartedMs = performance.now();
  // With --demo the ledger's clock is one the seed can hold at each instant of its story.
  const storyClock = options.demo === true ? new StoryClock(context.clock) : null;
  const ledgerContext = storyClock === null ? context : { ...context, clock: storyClock.clock };
  const ledger = await openConfiguredLedger(ledgerContext, true, false, killAfterCommitFrom(io.env)).catch((error: unknown) => {
    // An altered event may be one the model cannot fold at all; then say so next to where the log is broken.
    if (check.ok) throw error;
    throw new CliRefusedError(`${refusalMessage(check, config.storeUrl, config.dataDir)} The model cannot be built from this log either: ${messageOf(error)}`);
  });
  logModelReady(logger, ledger, performance.now() - openStartedMs);
  await replaceRejectedCheckpoint(logger, ledger);
  let seeded = false;
  try {
    if (storyClock !== null) seeded = await seedIfEmpty(ledger, storyClock, context);
  } catch (error) {
    await ledger.close();
    throw error;
  }
  // The demo's books get a key per role, so that the README's examples run as printed.
  if (storyClock !== null && keySource.adminKey !== null && (await new DemoMark(ledger.store).isDemo())) keySource = withDemoKeys(keySource, context.config.dataDir);
  if (keySource.keys.shortKeyEntries.length > 0) {
    logger.warn({ entries: keySource.keys.shortKeyEntries }, `LEDGER_API_KEYS has keys shorter than ${apiKeyLengthRecommended} characters: fine for a trial, guessable in production`);
  }
  const webhooks = new Webhooks({ ledger, dataDir: config.dataDir, policy: new WebhookUrlPolicy(config.webhookAllow), logger });
  const server = await startApiServer({ ledger, apiKeys: keySource.keys, logger, issuer, port: options.port ?? config.port, host: options.host ?? config.host, version: options.version, webhooks });
  const periodicCheckpoint = PeriodicCheckpoint.start(ledger, { intervalMs: config.checkpointIntervalSeconds * 1000, eventsMin: config.checkpointEventsMin, logger });
  io.stdout.write(banner(server.url, keySource, seeded, options.demo === true));

  const signal = await stopSignal.received;
  logger.info({ signal }, 'stopping');
  return new Promise<number>((resolve) => {
    const forced = setTimeout(() => resolve(1), shutdownTimeoutMs);
    forced.unref();
    // No periodic checkpoint starts from here on; the ledger writes the last one as it closes.
    void periodicCheckpoint
      .stop()
      .then(() => server.close())
      .then(() => recordVerifiedHead(verification, ledger, logger))
      .then(() => ledger.close())
      .then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stopping failed');
          resolve(1);
        },
      );
  });
}

/** Says where the model came from: the checkpoint (and how much of the log was replayed after it) or the whole log. */
function logModelReady(logger: Logger, ledger: Ledger, elapsedMs: number): void {
  const position = ledger.runner.model.position;
  const resumedFrom = ledger.restoredFrom;
  const ms = Math.round(elapsedMs);
  const found = ledger.opening.checkpointAtOpen;
  if (found.matchesLog === false) {
    logger.error({ model: found }, `the model checkpoint does not match the log (${found.reason ?? 'unreadable'}): it is ignored, the model is rebuilt from the first event, and the file is replaced`);
  }
  if (resumedFrom === null) {
    logger.info({ position, eventsReplayed: position + 1, ms, model: found }, `model built from the first event to position ${position}: no model checkpoint matches the log`);
    return;
  }
  logger.info({ resumedFrom, position, eventsReplayed: position - resumedFrom, ms, model: found }, `model resumed from the checkpoint at position ${resumedFrom} and caught up to position ${position}`);
}

/** A checkpoint file that does not match the log is replaced by one of the rebuilt model at once, rather than left for verify to flag until the next interval. */
async function replaceRejectedCheckpoint(logger: Logger, ledger: Ledger): Promise<void> {
  if (ledger.opening.checkpointAtOpen.matchesLog !== false) return;
  try {
    await ledger.checkpoint();
    logger.info({ position: ledger.runner.checkpointedPosition }, `model checkpoint written at position ${ledger.runner.checkpointedPosition ?? -1} in place of the one that did not match the log`);
  } catch (error) {
    logger.error({ err: error }, 'replacing the model checkpoint failed; the next interval tries again');
  }
}

/** Moves the verified anchor to the head on a clean stop; a failure here must not lose the stop. */
async function recordVerifiedHead(verification: StartupVerification, ledger: Ledger, logger: Logger): Promise<void> {
  try {
    const outcome = await verification.recordAtShutdown(ledger.store);
    if (outcome === 'untrusted') logger.error('the hash chain does not verify: the last verified position is left as it was, and the next start refuses to serve');
  } catch (error) {
    logger.error({ err: error }, 'recording the verified position failed; the next start checks from the previous one');
  }
}

interface KeySource {
  keys: ApiKeys;
  /** The generated admin key (LEDGER_API_KEYS unset), to show on the terminal that started the server. */
  adminKey: { key: string; path: string; created: boolean } | null;
  /** The demo's key per role (npm start on the demo's books, LEDGER_API_KEYS unset). */
  demoKeys: DemoKey[];
}

function resolveKeys(context: CliContext): KeySource {
  if (context.config.apiKeys !== undefined) return { keys: ApiKeys.parse(context.config.apiKeys), adminKey: null, demoKeys: [] };
  const adminKey = loadOrCreateAdminKey(context.config.dataDir);
  return { keys: ApiKeys.of([{ key: adminKey.key, role: 'admin' }]), adminKey, demoKeys: [] };
}

function withDemoKeys(source: KeySource, dataDir: string): KeySource {
  if (source.adminKey === null) return source;
  const demoKeys = loadOrCreateDemoKeys(dataDir);
  const keys = ApiKeys.of([{ key: source.adminKey.key, role: 'admin' }, ...demoKeys.map(({ key, role }) => ({ key, role }))]);
  return { ...source, keys, demoKeys };
}

async function seedIfEmpty(ledger: Ledger, clock: StoryClock, context: CliContext): Promise<boolean> {
  const percentTotal = 100;
  const progress = progressBar('seeding the demo', percentTotal, context.io.stderr);
  try {
    await seedDemo(ledger, clock, (done, steps) => progress.update(Math.floor((done / steps) * percentTotal)));
    progress.finish();
    return true;
  } catch (error) {
    if (error instanceof DemoStoreNotEmptyError) return false;
    throw error;
  }
}

function banner(url: string, keySource: KeySource, seeded: boolean, demo: boolean): string {
  const adminKey = keySource.adminKey;
  // The generated key is shown on the terminal that started the server (never in the logs):
  // when it was just created, and on every `npm start`, whose point is to try the API at once.
  const showKey = adminKey !== null && (adminKey.created || demo);
  const key = showKey ? adminKey.key : '$LEDGER_KEY';
  const lines = [
    '',
    `compute-ledger is listening on ${url}`,
    `  Dashboard: ${url}/`,
    `  API docs:  ${url}/docs`,
    `  OpenAPI:   ${url}/v1/openapi.json`,
  ];
  if (demo) lines.push(seeded ? '  data:      the demo neocloud was seeded into the empty store' : '  data:      the store was not empty, so it is served as it is (no demo seed)');
  if (adminKey === null) lines.push('  keys:      from LEDGER_API_KEYS');
  else if (showKey) lines.push(`  admin key: ${adminKey.key}`, `             (kept in ${shownPath(adminKey.path)}, readable by you only)`);
  else lines.push(`  admin key: in ${shownPath(adminKey.path)}`);
  if (keySource.demoKeys.length > 0) {
    const width = Math.max(...keySource.demoKeys.map(({ role }) => role.length));
    lines.push(`  demo keys: one per role, kept in ${shownPath(dirname(keySource.demoKeys[0]!.path))}/ as <role>.key (tenant-<tenantId>.key), readable by you only`);
    for (const { role, key } of keySource.demoKeys) lines.push(`             ${role.padEnd(width)}  ${key}`);
  }
  lines.push(
    '',
    'Try:',
    `  curl -s -H "Authorization: Bearer ${key}" "${url}/v1/invoices/INV-000001"`,
    `  curl -s -H "Authorization: Bearer ${key}" "${url}/v1/reports/mrr-movements?month=2026-02"`,
    `  curl -s -H "Authorization: Bearer ${key}" "${url}/v1/reports/trial-balance?asOf=2026-11-01T00:00:00Z"`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** A path under the working directory as ./relative (what the README's examples read from), any other as it is. */
function shownPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere === '' || fromHere.startsWith('..') || isAbsolute(fromHere) ? path : `./${fromHere}`;
}
