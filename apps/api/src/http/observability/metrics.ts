import type { Ledger } from '@compute-ledger/ledger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one server. A registry per server rather than the global one, so that
 * several servers in one process (tests) count apart.
 */

/** What /metrics shows of one webhook endpoint. */
export interface WebhookEndpointStats {
  endpointId: string;
  deliveredTotal: number;
  failedAttemptsTotal: number;
  lagEvents: number;
  failing: boolean;
}

export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';
const requestSecondsBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestSeconds: Histogram<'method' | 'route'>;
  /** The log's head at the last scrape, to count what was appended since. */
  private readonly appended = { lastSeenHead: null as number | null };

  constructor(ledger: Ledger) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.requestSeconds = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern.',
      labelNames: ['method', 'route'],
      buckets: requestSecondsBuckets,
      registers: [this.registry],
    });
    const appended = this.appended;
    new Counter({
      name: 'ledger_events_appended_total',
      help: 'Events appended to the log since this server started (by any writer of the log).',
      registers: [this.registry],
      async collect() {
        const head = await ledger.store.headPosition();
        if (appended.lastSeenHead !== null && head > appended.lastSeenHead) this.inc(head - appended.lastSeenHead);
        appended.lastSeenHead = Math.max(head, appended.lastSeenHead ?? head);
      },
    });
    new Gauge({
      name: 'ledger_log_head_position',
      help: 'Global position of the last event in the log (-1 when empty).',
      registers: [this.registry],
      async collect() {
        this.set(await ledger.store.headPosition());
      },
    });
    new Gauge({
      name: 'ledger_projection_position',
      help: 'Global position of the last event folded into the ledger model.',
      registers: [this.registry],
      collect() {
        this.set(ledger.runner.model.position);
      },
    });
    new Gauge({
      name: 'ledger_projection_lag_events',
      help: 'Events in the log that the ledger model has not folded in yet.',
      registers: [this.registry],
      async collect() {
        this.set(Math.max(0, (await ledger.store.headPosition()) - ledger.runner.model.position));
      },
    });
  }

  /** Counts from the log's head as it is now, so the first scrape does not count history. */
  async start(ledger: Ledger): Promise<void> {
    this.appended.lastSeenHead = await ledger.store.headPosition();
  }

  /** Delivery counters and lag per webhook endpoint, read from the endpoints' state at each scrape. */
  trackWebhooks(source: { stats(): Promise<readonly WebhookEndpointStats[]> }): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, value: (endpoint: WebhookEndpointStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['endpoint'],
        registers,
        async collect() {
          const stats = await source.stats();
          this.reset();
          for (const endpoint of stats) this.set({ endpoint: endpoint.endpointId }, value(endpoint));
        },
      });
    // Totals kept with each endpoint's state (they survive restarts), so they are shown as gauges of counts.
    gauge('ledger_webhook_deliveries_total', 'Webhook deliveries answered 2xx since the endpoint was registered.', (endpoint) => endpoint.deliveredTotal);
    gauge('ledger_webhook_failed_attempts_total', 'Webhook delivery attempts that got no 2xx answer since the endpoint was registered.', (endpoint) => endpoint.failedAttemptsTotal);
    gauge('ledger_webhook_lag_events', "Events of the log beyond the endpoint's delivery checkpoint.", (endpoint) => endpoint.lagEvents);
    gauge('ledger_webhook_endpoint_failing', '1 when the endpoint ran out of retries and waits for an operator.', (endpoint) => (endpoint.failing ? 1 : 0));
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.requestSeconds.observe({ method, route }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
