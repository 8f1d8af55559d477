import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { RegisterWebhookBody, WebhookEventType } from '@compute-ledger/contracts';
import { ConflictError, NotFoundError, RuleViolationError, expiriesMadeFinalAt, type Ledger, type RecordedEvent } from '@compute-ledger/ledger';
import type { Logger } from 'pino';
import { deliveriesKeptMax, WebhookFiles, type DeliveryRecord, type EndpointRecord, type EndpointState } from './webhook-files.js';
import { webhookPayload } from './payload.js';
import { generateSecret, signature } from './signing.js';
import type { WebhookUrlPolicy } from './url-policy.js';

/**
 * Webhook endpoints and their delivery. Each endpoint is a follower of the log with its own
 * checkpoint (webhook-files.ts): it reads the log from just after its checkpoint, sends the
 * next event it subscribes to, and moves the checkpoint past it only when the receiver answered
 * 2xx. So delivery is at least once (a crash after the answer and before the checkpoint sends
 * that event again, with the same `webhook-id`), in log order per endpoint (the next event waits
 * for the one before), and resumes after a restart from where it stopped, never skipping one.
 */

/** The Nest provider of the server's Webhooks (null when the server has none). */
export const webhooksToken = Symbol('webhooks');

export interface WebhookLimits {
  /** A receiver that has not answered in this long has failed the attempt. */
  deliveryTimeoutMs: number;
  /** The first retry waits about this long; each next one twice as long, with jitter. */
  retryDelayBaseMs: number;
  /** No single wait between attempts is longer than this. */
  retryDelayMaxMs: number;
  /** A delivery is retried for this long after its first attempt; then the endpoint is failing. */
  retryWindowMs: number;
  /** With nothing new to send, the log is read again this often (besides on every append this process sees). */
  idlePollMs: number;
}

export const defaultWebhookLimits: WebhookLimits = {
  // Standard Webhooks suggests receivers answer within 15 s; a slower one is treated as down.
  deliveryTimeoutMs: 15_000,
  retryDelayBaseMs: 5_000,
  retryDelayMaxMs: 3_600_000,
  // API.md: retried with exponential backoff for up to 24 hours.
  retryWindowMs: 86_400_000,
  idlePollMs: 1_000,
};

/** Events read from the log per step of a follower. */
export const webhookReadPageEventsMax = 500;
/** Of a receiver's answer only this much is read (and none of it kept): its status is what counts. */
export const responseBytesMax = 64 * 1024;
/**
 * After a rotation the old secret signs beside the new one this long (Standard Webhooks sends
 * several `v1,` signatures separated by spaces), so receivers can switch without losing events.
 */
export const secretRotationGraceMs = 86_400_000;
/** Endpoints per ledger: each is a follower of the log, and they share the process. */
export const webhookEndpointsMax = 100;

export interface WebhooksOptions {
  ledger: Ledger;
  dataDir: string;
  policy: WebhookUrlPolicy;
  limits?: Partial<WebhookLimits>;
  logger?: Logger;
  clock?: () => Date;
}

export interface EndpointStats {
  endpointId: string;
  deliveredTotal: number;
  failedAttemptsTotal: number;
  lagEvents: number;
  failing: boolean;
}

interface Follower {
  record: EndpointRecord;
  state: EndpointState;
  stopped: boolean;
  wake: () => void;
  /** A wake-up that came while the follower was busy: its next sleep returns at once. */
  woken: boolean;
  running: Promise<void>;
  abort: AbortController;
}

export class Webhooks {
  readonly limits: WebhookLimits;
  private readonly files: WebhookFiles;
  private readonly followers = new Map<string, Follower>();
  private endpoints: EndpointRecord[];
  private mutations: Promise<unknown> = Promise.resolve();
  private started = false;
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly clock: () => Date;

  constructor(private readonly options: WebhooksOptions) {
    this.limits = { ...defaultWebhookLimits, ...options.limits };
    this.files = new WebhookFiles(options.dataDir);
    this.endpoints = this.files.readEndpoints();
    this.clock = options.clock ?? (() => new Date());
    const registered = new Set(this.endpoints.map((endpoint) => endpoint.endpointId));
    for (const orphan of this.files.orphanStates(registered)) this.files.removeState(orphan);
  }

  /** Starts one follower per endpoint, and wakes them on every append this process sees. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const store = this.options.ledger.store;
    const subscription = store.subscribe({
      afterPosition: await store.headPosition(),
      onEvents: () => this.wakeAll(),
      onError: (error) => this.options.logger?.warn({ err: error }, 'webhook wake-ups stopped; followers read the log on their idle poll'),
    });
    this.unsubscribe = () => subscription.close();
    for (const record of this.endpoints) this.follow(record);
  }

  /** Stops every follower; a delivery in flight is abandoned and sent again at the next start. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.unsubscribe?.();
    await Promise.all([...this.followers.values()].map((follower) => this.stopFollower(follower)));
  }

  register(body: RegisterWebhookBody): Promise<{ outcome: 'created' | 'unchanged'; answer: Record<string, unknown> }> {
    return this.serialized(async () => {
      const url = this.options.policy.checkForm(body.url).href;
      const existing = this.endpoints.find((endpoint) => endpoint.endpointId === body.endpointId);
      if (existing !== undefined) {
        if (existing.url === url && isDeepStrictEqual([...existing.events].sort(), [...body.events].sort())) return { outcome: 'unchanged' as const, answer: this.view(existing) };
        throw new ConflictError(`webhook endpoint ${body.endpointId} is registered with another url or other events`);
      }
      if (this.endpoints.length >= webhookEndpointsMax) throw new ConflictError(`at most ${webhookEndpointsMax} webhook endpoints; delete one first`);
      await this.options.policy.check(url);
      const record: EndpointRecord = {
        endpointId: body.endpointId,
        url,
        events: body.events,
        secret: generateSecret(),
        createdAt: this.clock().toISOString(),
        startAfterPosition: await this.options.ledger.store.headPosition(),
      };
      this.files.writeState(record.endpointId, emptyState(record.startAfterPosition));
      this.endpoints = [...this.endpoints, record];
      this.files.writeEndpoints(this.endpoints);
      if (this.started) this.follow(record);
      // The secret is shown in this answer only; a repeat of the registration answers without it.
      return { outcome: 'created' as const, answer: { ...this.view(record), secret: record.secret } };
    });
  }

  /** A new signing secret, shown in this answer only; the old one also signs for secretRotationGraceMs. */
  rotateSecret(endpointId: string): Promise<Record<string, unknown>> {
    return this.serialized(async () => {
      const record = this.recordOf(endpointId);
      const expiresAt = new Date(this.clock().getTime() + secretRotationGraceMs).toISOString();
      const rotated: EndpointRecord = { ...record, secret: generateSecret(), previousSecret: { secret: record.secret, expiresAt } };
      this.endpoints = this.endpoints.map((endpoint) => (endpoint.endpointId === endpointId ? rotated : endpoint));
      this.files.writeEndpoints(this.endpoints);
      const follower = this.followers.get(endpointId);
      if (follower !== undefined) follower.record = rotated;
      return { ...this.view(rotated), secret: rotated.secret, previousSecretExpiresAt: expiresAt };
    });
  }

  list() {
    return { webhooks: this.endpoints.map((endpoint) => this.view(endpoint)) };
  }

  remove(endpointId: string): Promise<Record<string, unknown>> {
    return this.serialized(async () => {
      const record = this.recordOf(endpointId);
      const follower = this.followers.get(endpointId);
      if (follower !== undefined) await this.stopFollower(follower);
      this.endpoints = this.endpoints.filter((endpoint) => endpoint.endpointId !== endpointId);
      this.files.writeEndpoints(this.endpoints);
      this.files.removeState(endpointId);
      return { ...this.view(record, null), status: 'deleted' };
    });
  }

  deliveries(endpointId: string) {
    this.recordOf(endpointId);
    const state = this.stateOf(endpointId);
    return { endpointId, deliveries: [...state.deliveries].reverse() };
  }

  /**
   * An operator's retry of one delivery: a pending or failed one is attempted now with a fresh
   * retry window (and a failing endpoint resumes); a delivered one is sent once more, as it was.
   */
  async retry(endpointId: string, deliveryId: string): Promise<DeliveryRecord> {
    const record = this.recordOf(endpointId);
    const state = this.stateOf(endpointId);
    const delivery = state.deliveries.find((candidate) => candidate.deliveryId === deliveryId);
    if (delivery === undefined) throw new NotFoundError(`webhook endpoint ${endpointId} has no delivery ${deliveryId}`);
    if (delivery.status === 'delivered') {
      const [event] = await this.options.ledger.store.readAll({ fromPosition: delivery.position, limit: 1 });
      const message = event === undefined ? undefined : (await webhookMessagesOf(this.options.ledger, event, new Set(record.events))).find((candidate) => candidate.deliveryId === deliveryId);
      if (event === undefined || message === undefined) throw new NotFoundError(`delivery ${deliveryId} names no event of the log`);
      const outcome = await this.attempt(record, event, message, new AbortController().signal);
      this.noteAttempt(state, delivery, outcome);
      if (outcome.ok) delivery.status = 'delivered';
      this.files.writeState(endpointId, state);
      return delivery;
    }
    delivery.status = 'pending';
    delivery.firstAttemptAt = null;
    delivery.nextAttemptAt = null;
    state.failingSince = null;
    this.files.writeState(endpointId, state);
    this.followers.get(endpointId)?.wake();
    return delivery;
  }

  /** Delivers again every subscribed event from `fromPosition` on, in order; a failing endpoint resumes. */
  async replay(endpointId: string, fromPosition: number) {
    this.recordOf(endpointId);
    // A position past the head would move the checkpoint over events not yet appended: skipped.
    const head = await this.options.ledger.store.headPosition();
    if (fromPosition > head + 1) throw new RuleViolationError(`the log's head is at position ${head}: a replay starts at ${head + 1} at the latest`);
    const state = this.stateOf(endpointId);
    state.checkpoint = fromPosition - 1;
    state.deliveredWithin = null;
    state.failingSince = null;
    this.files.writeState(endpointId, state);
    this.followers.get(endpointId)?.wake();
    return this.view(this.recordOf(endpointId));
  }

  async stats(): Promise<EndpointStats[]> {
    const head = await this.options.ledger.store.headPosition();
    return this.endpoints.map((endpoint) => {
      const state = this.stateOf(endpoint.endpointId);
      return {
        endpointId: endpoint.endpointId,
        deliveredTotal: state.deliveredTotal,
        failedAttemptsTotal: state.failedAttemptsTotal,
        lagEvents: Math.max(0, head - state.checkpoint),
        failing: state.failingSince !== null,
      };
    });
  }

  private view(record: EndpointRecord, state: EndpointState | null = this.stateOf(record.endpointId)) {
    return {
      endpointId: record.endpointId,
      url: record.url,
      events: record.events,
      createdAt: record.createdAt,
      status: state?.failingSince != null ? 'failing' : 'active',
      failingSince: state?.failingSince ?? null,
      checkpointPosition: state?.checkpoint ?? record.startAfterPosition,
    };
  }

  private recordOf(endpointId: string): EndpointRecord {
    const record = this.endpoints.find((endpoint) => endpoint.endpointId === endpointId);
    if (record === undefined) throw new NotFoundError(`webhook endpoint ${endpointId} does not exist`);
    return record;
  }

  /** The live state of a followed endpoint, else the one on disk. */
  private stateOf(endpointId: string): EndpointState {
    const follower = this.followers.get(endpointId);
    if (follower !== undefined) return follower.state;
    const record = this.recordOf(endpointId);
    return this.files.readState(endpointId) ?? emptyState(record.startAfterPosition);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.mutations.then(work);
    this.mutations = next.catch(() => undefined);
    return next;
  }

  private wakeAll(): void {
    for (const follower of this.followers.values()) follower.wake();
  }

  private follow(record: EndpointRecord): void {
    const follower: Follower = {
      record,
      state: this.files.readState(record.endpointId) ?? emptyState(record.startAfterPosition),
      stopped: false,
      wake: () => {
        follower.woken = true;
      },
      woken: false,
      running: Promise.resolve(),
      abort: new AbortController(),
    };
    this.followers.set(record.endpointId, follower);
    follower.running = this.run(follower).catch((error: unknown) => {
      // A follower that stops on an unexpected error would silently stop delivering: say so loudly.
      this.options.logger?.error({ err: error, endpointId: record.endpointId }, 'webhook delivery stopped on an unexpected error');
    });
  }

  private async stopFollower(follower: Follower): Promise<void> {
    follower.stopped = true;
    follower.abort.abort();
    follower.wake();
    await follower.running;
    this.followers.delete(follower.record.endpointId);
  }

  /** Waits until woken, or `ms` passes. */
  private sleep(follower: Follower, ms: number): Promise<void> {
    if (follower.woken || follower.stopped) {
      follower.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const idle = follower.wake;
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        follower.wake = idle;
        resolve();
      }
      follower.wake = done;
    });
  }

  private async run(follower: Follower): Promise<void> {
    while (!follower.stopped) {
      try {
        await this.step(follower);
      } catch (error) {
        // A read of the log or a write of the state failed (a store connection lost, a full
        // disk): nothing moved past the event, so the follower tries again after a pause rather
        // than stopping for good.
        this.options.logger?.error({ err: error, endpointId: follower.record.endpointId }, 'webhook delivery step failed; trying again');
        await this.sleep(follower, this.limits.idlePollMs);
      }
    }
  }

  /** One step of a follower: a wait, a move of the checkpoint over events it does not send, or one attempt. */
  private async step(follower: Follower): Promise<void> {
    const { record, state } = follower;
    if (state.failingSince !== null) {
      await this.sleep(follower, this.limits.idlePollMs);
      return;
    }
    const from = state.checkpoint;
    const events = await this.options.ledger.store.readAll({ fromPosition: from + 1, limit: webhookReadPageEventsMax });
    // A replay asked for during the read moved the checkpoint: read again from there.
    if (state.checkpoint !== from) return;
    const subscribed = new Set<WebhookEventType>(record.events);
    let next: { event: RecordedEvent; message: WebhookMessage; last: boolean } | null = null;
    let passed = from;
    for (const event of events) {
      const within = state.deliveredWithin?.position === event.position ? state.deliveredWithin.deliveryIds : [];
      const pending = (await webhookMessagesOf(this.options.ledger, event, subscribed)).filter((message) => !within.includes(message.deliveryId));
      const message = pending[0];
      if (message !== undefined) {
        next = { event, message, last: pending.length === 1 };
        break;
      }
      passed = event.position;
    }
    if (passed !== from) {
      state.checkpoint = passed;
      this.files.writeState(record.endpointId, state);
    }
    if (next === null) {
      if (events.length < webhookReadPageEventsMax) await this.sleep(follower, this.limits.idlePollMs);
      return;
    }
    await this.deliverNext(follower, next.event, next.message, next.last);
  }

  /** One attempt at the endpoint's next message, or a wait for its next attempt; `last`: the last of its event's. */
  private async deliverNext(follower: Follower, event: RecordedEvent, message: WebhookMessage, last: boolean): Promise<void> {
    const { state } = follower;
    const record = follower.record;
    const { deliveryId, type } = message;
    let delivery = state.deliveries.find((candidate) => candidate.deliveryId === deliveryId && candidate.position === event.position);
    if (delivery?.status === 'delivered') {
      // Sent again by a replay: the same delivery, with a fresh retry window.
      Object.assign(delivery, { status: 'pending', firstAttemptAt: null, nextAttemptAt: null });
    }
    if (delivery === undefined) {
      delivery = { deliveryId, position: event.position, type, status: 'pending', attempts: 0, firstAttemptAt: null, lastAttemptAt: null, nextAttemptAt: null, lastResponseCode: null, lastError: null };
      state.deliveries.push(delivery);
      if (state.deliveries.length > deliveriesKeptMax) state.deliveries.splice(0, state.deliveries.length - deliveriesKeptMax);
    }
    const nowMs = this.clock().getTime();
    if (delivery.nextAttemptAt !== null && Date.parse(delivery.nextAttemptAt) > nowMs) {
      await this.sleep(follower, Date.parse(delivery.nextAttemptAt) - nowMs);
      return;
    }
    const checkpointBefore = state.checkpoint;
    const outcome = await this.attempt(record, event, message, follower.abort.signal);
    if (follower.stopped) return;
    this.noteAttempt(state, delivery, outcome);
    if (outcome.ok) {
      delivery.status = 'delivered';
      delivery.nextAttemptAt = null;
      // A replay asked for during the attempt moved the checkpoint back: it stands.
      if (state.checkpoint === checkpointBefore) {
        if (last) {
          state.checkpoint = event.position;
          state.deliveredWithin = null;
        } else {
          const within = state.deliveredWithin?.position === event.position ? state.deliveredWithin.deliveryIds : [];
          state.deliveredWithin = { position: event.position, deliveryIds: [...within, deliveryId] };
        }
      }
    } else {
      const firstMs = Date.parse(delivery.firstAttemptAt!);
      const attemptMs = this.clock().getTime();
      if (attemptMs - firstMs >= this.limits.retryWindowMs) {
        delivery.status = 'failed';
        delivery.nextAttemptAt = null;
        state.failingSince = new Date(attemptMs).toISOString();
        this.options.logger?.warn({ endpointId: record.endpointId, deliveryId: delivery.deliveryId, attempts: delivery.attempts }, 'webhook endpoint is failing: retries ran out');
      } else {
        delivery.nextAttemptAt = new Date(attemptMs + this.retryDelayMs(delivery.attempts)).toISOString();
      }
    }
    this.files.writeState(record.endpointId, state);
  }

  private noteAttempt(state: EndpointState, delivery: DeliveryRecord, outcome: AttemptOutcome): void {
    const at = this.clock().toISOString();
    delivery.attempts += 1;
    delivery.firstAttemptAt ??= at;
    delivery.lastAttemptAt = at;
    delivery.lastResponseCode = outcome.status;
    delivery.lastError = outcome.error;
    if (outcome.ok) state.deliveredTotal += 1;
    else state.failedAttemptsTotal += 1;
  }

  private retryDelayMs(attempts: number): number {
    return retryDelayMs(this.limits, attempts);
  }

  /** The secrets that sign now: the current one, and the previous one during its grace period. */
  private secretsOf(record: EndpointRecord): string[] {
    const previous = record.previousSecret;
    if (previous === undefined || Date.parse(previous.expiresAt) <= this.clock().getTime()) return [record.secret];
    return [record.secret, previous.secret];
  }

  private async attempt(record: EndpointRecord, event: RecordedEvent, message: WebhookMessage, abort: AbortSignal): Promise<AttemptOutcome> {
    const { deliveryId } = message;
    let body: string;
    try {
      body = JSON.stringify(await webhookPayload(this.options.ledger, event, message));
    } catch (error) {
      return { ok: false, status: null, error: `the payload could not be built: ${(error as Error).message}` };
    }
    const timestampSeconds = Math.floor(this.clock().getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'compute-ledger-webhooks',
      'webhook-id': deliveryId,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': this.secretsOf(record)
        .map((secret) => signature(secret, deliveryId, timestampSeconds, body))
        .join(' '),
    };
    return send(new URL(record.url), headers, body, this.options.policy, this.limits.deliveryTimeoutMs, abort);
  }
}

interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * The wait after the `attempts`-th failed attempt: exponential backoff with jitter, base x
 * 2^(attempts-1) capped at the maximum, then drawn between half of it and all of it, so that
 * endpoints that failed together do not all retry at the same moment.
 */
export function retryDelayMs(limits: Pick<WebhookLimits, 'retryDelayBaseMs' | 'retryDelayMaxMs'>, attempts: number): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  const ceilingMs = Math.min(limits.retryDelayMaxMs, limits.retryDelayBaseMs * 2 ** exponent);
  const halfMs = Math.floor(ceilingMs / 2);
  return halfMs + randomInt(0, Math.max(1, ceilingMs - halfMs + 1));
}

function emptyState(startAfterPosition: number): EndpointState {
  return { checkpoint: startAfterPosition, failingSince: null, deliveredTotal: 0, failedAttemptsTotal: 0, deliveries: [] };
}

/** One message of the log to an endpoint: its `webhook-id`, its type, and the grant of a credit expiry. */
export interface WebhookMessage {
  deliveryId: string;
  type: WebhookEventType;
  grantId?: string;
}

/**
 * The messages a log event carries to an endpoint subscribed to `subscribed`, in order: its own
 * (webhookTypeOf), then one `credit_grant.expired` per grant whose expiry it made final (a
 * billing run past the expiry, or a grant recorded already expired), with `:expired:<grantId>`
 * after the event id. Expiries are looked for only for an endpoint that wants them.
 */
export async function webhookMessagesOf(ledger: Ledger, event: RecordedEvent, subscribed: ReadonlySet<WebhookEventType>): Promise<WebhookMessage[]> {
  const type = webhookTypeOf(event);
  const messages: WebhookMessage[] = type === null || !subscribed.has(type) ? [] : [{ deliveryId: event.eventId, type }];
  if (!subscribed.has('credit_grant.expired') || (event.type !== 'BillingRunCompleted' && event.type !== 'CreditGranted')) return messages;
  await ledger.runner.catchUp();
  for (const expiry of expiriesMadeFinalAt(ledger.runner.model, event.position)) {
    messages.push({ deliveryId: `${event.eventId}:expired:${expiry.grantId}`, type: 'credit_grant.expired', grantId: expiry.grantId });
  }
  return messages;
}

/** The webhook event type of a log event, or null for events no webhook carries. */
export function webhookTypeOf(event: Pick<RecordedEvent, 'type' | 'data'>): WebhookEventType | null {
  switch (event.type) {
    case 'InvoiceIssued':
      return event.data['kind'] === 'credit_note' ? 'credit_note.issued' : 'invoice.issued';
    case 'CreditNoteIssued':
      return 'credit_note.issued';
    case 'PaymentReceived':
      return 'payment.received';
    case 'BillingRunCompleted':
      return 'billing_run.completed';
    case 'DraftCreated':
      return 'draft.created';
    case 'PeriodClosed':
      return 'period.closed';
    default:
      return null;
  }
}

/**
 * One POST, with a deadline on the whole exchange. The connection goes only to an address the
 * policy accepts (its lookup checks what DNS answers now); a redirect is not followed: a 3xx is
 * a failed attempt like any answer that is not 2xx.
 */
function send(url: URL, headers: Record<string, string>, body: string, policy: WebhookUrlPolicy, timeoutMs: number, abort: AbortSignal): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: policy.vettedLookup(url) as never,
      agent: false,
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    const onAbort = () => {
      request.destroy();
      finish({ ok: false, status: null, error: 'the server stopped during the attempt' });
    };
    abort.addEventListener('abort', onAbort);
    request.on('error', (error) => finish({ ok: false, status: null, error: error.message }));
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > responseBytesMax) response.destroy();
      });
      const done = () => finish(status >= 200 && status < 300 ? { ok: true, status, error: null } : { ok: false, status, error: `answered ${status}` });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
