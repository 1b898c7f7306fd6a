import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { authenticate, requireRole } from '../api/auth.js';
import { createAuthThrottle } from '../api/auth-throttle.js';
import type { ApiEnv } from '../api/context.js';
import type { BatonMetrics } from '../api/metrics.js';
import { ProblemError, problemResponse } from '../api/problem.js';
import { ROLE_SETS } from '../api/route.js';
import type { Db } from '../db/client.js';
import { ActionableError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * A worker run alone (`baton worker`) answers on its own small port (BATON_WORKER_PORT):
 * `GET /healthz` — 200 while the Temporal worker polls, 503 otherwise (the container healthcheck);
 * `GET /metrics` — the worker's Prometheus metrics, the Temporal SDK's included, behind an API key
 * exactly as the API's /metrics.
 */
export function createWorkerHealthApp(deps: { db: Db; logger: Logger; metrics: BatonMetrics; workerState: () => string }) {
  const app = new Hono<ApiEnv>();
  const authThrottle = createAuthThrottle(20);
  app.use('*', async (c, next) => {
    c.set('deps', { db: deps.db, logger: deps.logger });
    c.set('authThrottle', authThrottle);
    await next();
  });
  app.get('/healthz', (c) => {
    const worker = deps.workerState();
    return c.json({ status: worker === 'RUNNING' ? 'ok' : 'not-running', worker }, worker === 'RUNNING' ? 200 : 503);
  });
  app.get('/metrics', authenticate, requireRole(ROLE_SETS.read), async (c) => c.body(await deps.metrics.text(), 200, { 'Content-Type': deps.metrics.contentType }));
  app.notFound((c) => problemResponse(c, new ProblemError(404, 'not-found', 'Not found', `No route ${c.req.method} ${c.req.path}; the worker answers /healthz and /metrics.`)));
  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err);
    deps.logger.error({ err }, 'worker health endpoint failed');
    return problemResponse(c, new ProblemError(500, 'internal', 'Internal error'));
  });
  return app;
}

export function serveWorkerHealth(app: Hono<ApiEnv>, host: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new ActionableError(`BATON_WORKER_PORT=${port} is already in use on ${host}; stop whatever listens there or set BATON_WORKER_PORT to a free port.`)
      : err));
  });
}
