import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.js';
import { DELIVERY_STATES, OPEN_CTA_STATES, operationalCounts, type OperationalCounts } from '../db/metrics.js';
import type { Logger } from '../runtime/logger.js';

/**
 * Baton's Prometheus metrics (README: Production → Metrics). One registry per process part:
 * - HTTP: `baton_http_request_duration_seconds{method,route,status}` (its `_count` is the request
 *   count), labelled with the route pattern (`/v1/clients/:id`), never the raw path;
 * - business and queue gauges (`withDatabaseGauges`, the API's registry only, so several workers
 *   do not report the same rows): open CTAs by state, overdue CTAs, past-due strategic meetings,
 *   the workflow-start outbox and webhook deliveries;
 * - the Temporal SDK's own metrics (`temporal_*`): the native runtime's Prometheus exporter listens
 *   on loopback only (runtime/baton.ts) and its text is forwarded here, behind Baton's authentication;
 * - Node.js process metrics (`process_*`, `nodejs_*`).
 */
export interface BatonMetricsOptions {
  /** Read the business and queue gauges from this database at each scrape. */
  db?: Db;
  /** The Temporal SDK runtime's Prometheus endpoint (`http://127.0.0.1:port/metrics`) to forward. */
  sdkMetricsUrl?: string;
  logger?: Logger;
  now?: () => Date;
}

export class BatonMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(private readonly options: BatonMetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'baton_http_request_duration_seconds',
      help: 'HTTP requests answered by the Baton API, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    if (options.db) this.withDatabaseGauges(options.db);
  }

  private withDatabaseGauges(db: Db) {
    // One database read per scrape feeds every gauge: the first gauge collected reads, the others reuse it.
    let pending: Promise<OperationalCounts> | undefined;
    const counts = () => (pending ??= operationalCounts(db, this.options.now?.() ?? new Date()).finally(() => setTimeout(() => (pending = undefined), 0)));
    const logger = this.options.logger;
    // A failed read leaves the gauges empty for this scrape (Prometheus then sees them absent, not stale) and says why once.
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], set: (g: Gauge<L>, c: OperationalCounts) => void) =>
      new Gauge<L>({
        name, help, labelNames, registers: [this.registry],
        async collect() {
          this.reset();
          try {
            set(this, await counts());
          } catch (err) {
            if (name === 'baton_ctas_open') logger?.warn({ err }, 'metrics: database gauges unavailable');
          }
        },
      });
    gauge('baton_ctas_open', 'CTAs still asking for work, by state (open, first_action, escalated).', ['state'], (g, c) => {
      for (const state of OPEN_CTA_STATES) g.set({ state }, c.openCtasByState[state]);
    });
    gauge('baton_ctas_overdue', 'Open CTAs past their due date, or past their first-action SLA without a first action (R-30).', [], (g, c) => g.set(c.overdueCtas));
    gauge('baton_strategic_meetings_past_due', 'Strategic cadence meetings not held within the grace of their end and still owed (R-38).', [], (g, c) => g.set(c.pastDueStrategicMeetings));
    gauge('baton_workflow_starts_pending', 'Workflow starts and notices committed but not yet dispatched to Temporal (the outbox).', [], (g, c) => g.set(c.workflowStartsPending));
    gauge('baton_workflow_starts_oldest_pending_seconds', 'Age of the oldest undispatched workflow start; 0 when none waits.', [], (g, c) => g.set(c.workflowStartsOldestPendingSeconds));
    gauge('baton_webhook_deliveries', 'Webhook deliveries by state (pending, retrying, dead).', ['state'], (g, c) => {
      for (const state of DELIVERY_STATES) g.set({ state }, c.deliveriesByState[state]);
    });
  }

  /** Records every request's duration under its route pattern (`unmatched` for a 404 without a route). */
  readonly middleware: MiddlewareHandler = async (c, next) => {
    const end = this.httpDuration.startTimer();
    try {
      await next();
    } finally {
      end({ method: c.req.method, route: routePattern(c), status: String(c.res.status) });
    }
  };

  /** The exposition text: Baton's registry, then the Temporal SDK runtime's own metrics when forwarded. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.options.sdkMetricsUrl) return own;
    try {
      const res = await fetch(this.options.sdkMetricsUrl, { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return `${own}\n${await res.text()}`;
    } catch (err) {
      this.options.logger?.warn({ err, url: this.options.sdkMetricsUrl }, 'Temporal SDK metrics unavailable');
      return own;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The pattern of the route that answered (`/v1/clients/:id`), so the label set stays bounded. */
function routePattern(c: Context): string {
  const handler = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1);
  return handler?.path ?? 'unmatched';
}
