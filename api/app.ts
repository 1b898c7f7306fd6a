import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { authenticate, requireRole } from './auth.js';
import { BatonMetrics } from './metrics.js';
import { currentTraceId, traceRequests } from './tracing.js';
import { ROLE_SETS } from './route.js';
import { createAuthThrottle } from './auth-throttle.js';
import { API_DEFAULTS, type ApiDeps, type ApiEnv } from './context.js';
import { docsPage, swaggerAsset } from './docs.js';
import { isConsolePath, mountConsole } from '../console/index.js';
import { CONSOLE_DEFAULTS } from '../console/options.js';
import { Sessions } from '../console/session.js';
import { inputRules } from './input-rules.js';
import { describeEnforcedRules } from './openapi.js';
import { fieldErrors, ProblemError, problemResponse, redactSecrets, validationProblem } from './problem.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerConnectorInbound, registerConnectorRoutes } from './routes/connectors.js';
import { registerMsgraphInbound } from './routes/msgraph.js';
import { registerCalendarFeedRoutes, registerCalendarFeedServing } from './routes/calendar-feeds.js';
import { registerCadenceRoutes } from './routes/cadence.js';
import { registerCapacityRoutes } from './routes/capacity.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerClientImportRoutes } from './routes/client-import.js';
import { registerPsaImportRoutes } from './routes/psa-import.js';
import { registerEmailPreferenceRoutes } from './routes/email-preferences.js';
import { registerCodecRoutes } from './routes/codec.js';
import { registerCtaRoutes } from './routes/ctas.js';
import { registerOnboardingRoutes } from './routes/onboarding.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerPortfolioRoutes } from './routes/portfolio.js';
import { registerStakeholderRoutes } from './routes/stakeholders.js';
import { registerIntegrationRoutes } from './routes/integrations.js';
import { registerPlanningCycleRoutes } from './routes/planning-cycles.js';
import { registerInitiativeRoutes } from './routes/initiatives.js';
import { registerPlanningRoutes } from './routes/planning.js';
import { registerProposalRoutes } from './routes/proposals.js';
import { registerSaleRoutes } from './routes/sales.js';
import { registerUpsellRoutes } from './routes/upsells.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerRiskRoutes } from './routes/risks.js';

const TARGETS = { json: 'body', query: 'query', param: 'path', header: 'header', form: 'body', cookie: 'header' } as const;

export const apiInfo = {
  openapi: '3.1.0',
  info: {
    title: 'Baton API',
    version: '1',
    description: 'Runs an MSP\'s customer-success lifecycle as durable workflows. Every /v1 operation needs `Authorization: Bearer <API key>`; `x-baton-roles` on each operation lists the roles allowed.',
  },
};

export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationProblem(fieldErrors(TARGETS[result.target as keyof typeof TARGETS] ?? 'body', result.error.issues));
      }
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer', description: 'A Baton API key (`baton keys create`).' });

  const options = { ...API_DEFAULTS, ...deps.options };
  const authThrottle = createAuthThrottle(options.authFailuresPerMinute);

  app.use('*', requestId({ headerName: 'X-Request-Id' }));
  app.use('*', traceRequests);
  const metrics = deps.metrics ?? new BatonMetrics({ db: deps.db, logger: deps.logger });
  app.use('*', metrics.middleware);
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('authThrottle', authThrottle);
    const started = performance.now();
    await next();
    // One structured line per request; the principal is known only after authentication. Feed
    // tokens in the path are credentials, so the path is logged redacted.
    deps.logger.info({
      requestId: c.get('requestId'), method: c.req.method, path: redactSecrets(c.req.path), status: c.res.status,
      ms: Math.round(performance.now() - started), principal: c.get('principal')?.name, traceId: currentTraceId(),
    }, 'request');
  });
  // The API answers JSON; /docs is a page, allowed its own scripts and styles and nothing else.
  const apiHeaders = secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' });
  const docsHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"],
      frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"],
    },
    xFrameOptions: 'DENY', referrerPolicy: 'no-referrer',
  });
  // The console's pages: scripts and styles from Baton only, forms posting to Baton only, no inline code (htmx is told not to inject any).
  const consoleHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"],
      formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY', referrerPolicy: 'same-origin',
  });
  app.use('*', (c, next) => (c.req.path === '/docs' || c.req.path.startsWith('/docs/') ? docsHeaders : isConsolePath(c.req.path) ? consoleHeaders : apiHeaders)(c, next));
  if (options.corsOrigins.length > 0) {
    app.use('*', cors({
      origin: options.corsOrigins, allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'], exposeHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After', 'Location'], maxAge: 600,
    }));
  }
  app.use('*', bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: (c) => problemResponse(c, new ProblemError(413, 'payload-too-large', 'Request body too large', `The body exceeds ${options.maxBodyBytes} bytes.`, { maxBytes: options.maxBodyBytes })),
  }));
  // The text rule, for everything outside /v1 here; every /v1 operation judges it in its own
  // middleware (api/route.ts), after authentication and only once a route matched, so a request
  // without a key stays a 401 and an undeclared method a 405, whatever they carry.
  app.use('*', (c, next) => (c.req.path.startsWith('/v1/') ? next() : inputRules(c, next)));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = { database: await probe(() => deps.db.execute(sql`select 1`)), temporal: await probe(() => deps.temporal?.client.connection.workflowService.getSystemInfo({}) ?? Promise.reject(new Error('not configured'))) };
    const ready = checks.database === 'ok' && checks.temporal === 'ok';
    return c.json({ status: ready ? 'ready' : 'not-ready', checks }, ready ? 200 : 503);
  });

  registerCalendarFeedServing(app);
  registerConnectorInbound(app);
  registerMsgraphInbound(app);
  // The Temporal Web UI calls /codec from its own origin, with credentials; the preflight answers
  // before authentication (a browser sends none with it).
  if (options.codecCorsOrigins.length > 0) {
    app.use('/codec/*', cors({
      origin: options.codecCorsOrigins, allowMethods: ['POST'], credentials: true,
      allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'], maxAge: 600,
    }));
  }
  app.use('/v1/*', authenticate);
  // Prometheus scrapes with an API key like any client (README: Metrics): counts of CTAs and
  // meetings are no more than every role may already list.
  app.get('/metrics', authenticate, requireRole(ROLE_SETS.read), async (c) => c.body(await metrics.text(), 200, { 'Content-Type': metrics.contentType }));
  // The Temporal UI sends no Baton API key: a manager signed into the console (same site) decodes
  // with the session cookie; the API key works too (curl, a UI behind a proxy that adds it).
  const consoleSessions = new Sessions(deps.db, { ...CONSOLE_DEFAULTS, ...deps.console });
  app.use('/codec/*', async (c, next) => {
    if (!c.req.header('authorization')) {
      const session = await consoleSessions.current(c);
      if (session) {
        c.set('principal', session.principal);
        return next();
      }
    }
    return authenticate(c, next);
  });
  registerEmailPreferenceRoutes(app);
  registerClientImportRoutes(app); // before /v1/clients/{clientId}: `import` is not a client id
  registerClientRoutes(app);
  registerStakeholderRoutes(app);
  registerPeopleRoutes(app);
  registerPolicyRoutes(app);
  registerCtaRoutes(app);
  registerOnboardingRoutes(app);
  registerCadenceRoutes(app);
  registerPlanningRoutes(app);
  registerInitiativeRoutes(app);
  registerProposalRoutes(app);
  registerSaleRoutes(app);
  registerUpsellRoutes(app);
  registerApiKeyRoutes(app);
  registerCalendarFeedRoutes(app);
  registerCapacityRoutes(app);
  registerHealthRoutes(app);
  registerRiskRoutes(app);
  registerPortfolioRoutes(app);
  registerCodecRoutes(app);
  registerIntegrationRoutes(app);
  registerPlanningCycleRoutes(app);
  registerConnectorRoutes(app);
  registerPsaImportRoutes(app); // issue 15: clients from a connected PSA's companies

  // The web console at / (console/): after every API route, so its pages can name their operations.
  mountConsole(app, deps);

  let document: unknown;
  app.get('/openapi.json', (c) => c.json((document ??= describeEnforcedRules(app.getOpenAPI31Document(apiInfo) as never, options)) as never));
  app.get('/docs', (c) => c.html(docsPage()));
  app.get('/docs/assets/:file', (c) => swaggerAsset(c, c.req.param('file')));

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      c.header('Allow', allowed.join(', '));
      return problemResponse(c, new ProblemError(405, 'method-not-allowed', 'Method not allowed', `${c.req.method} is not supported on ${c.req.path}; use ${allowed.join(', ')}.`));
    }
    return problemResponse(c, new ProblemError(404, 'not-found', 'Not found', `No route ${c.req.method} ${c.req.path}.`));
  });
  app.onError((err, c) => onError(err, c, deps));
  return app;
}

function onError(err: Error, c: Context<ApiEnv>, deps: ApiDeps): Response {
  if (err instanceof ProblemError) return problemResponse(c, err);
  if (err instanceof HTTPException) {
    // e.g. malformed JSON or another media type, from the validator.
    const problem = err.status === 400
      ? validationProblem([{ location: 'body', path: '(root)', message: err.message }], err.message)
      : err.status === 415
        ? new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', `Send the body as JSON with Content-Type: application/json (got ${c.req.header('content-type') ?? 'none'}).`)
        : new ProblemError(err.status as never, 'http', err.message || 'Error');
    return problemResponse(c, problem);
  }
  deps.logger.error({ err, requestId: c.get('requestId'), path: redactSecrets(c.req.path) }, 'unhandled API error');
  return problemResponse(c, new ProblemError(500, 'internal', 'Internal error', 'Something went wrong; the request id identifies it in the logs.'));
}

async function probe(fn: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout after 3 s')), 3_000))]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

function allowedMethods(app: OpenAPIHono<ApiEnv>, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || r.path.includes('*')) continue;
    const pattern = new RegExp(`^${r.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);
    if (pattern.test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}
