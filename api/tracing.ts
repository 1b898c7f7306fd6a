import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ApiEnv } from './context.js';
import { redactSecrets } from './problem.js';

const tracer = trace.getTracer('baton-api');

/**
 * A server span per request, continuing a caller's W3C `traceparent` (runtime/tracing.ts). Through
 * the global OpenTelemetry API: while tracing is off (no provider registered) every call is a no-op.
 * Inside it the Temporal client's interceptor carries the context into the workflow.
 */
export const traceRequests: MiddlewareHandler<ApiEnv> = (c, next) => {
  const parent = propagation.extract(ROOT_CONTEXT, Object.fromEntries(c.req.raw.headers));
  return context.with(parent, () => tracer.startActiveSpan(c.req.method, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': c.req.method, 'url.path': redactSecrets(c.req.path), 'baton.request_id': c.get('requestId') },
  }, async (span) => {
    try {
      await next();
    } finally {
      const route = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1)?.path;
      if (route) {
        span.updateName(`${c.req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }));
};

/** The trace id of the request's span, for its log line; undefined while tracing is off. */
export function currentTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span.spanContext().traceId : undefined;
}
