import { createRoute, type RouteConfig, type z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../db/api-keys.js';
import { requireRole } from './auth.js';
import type { ApiEnv } from './context.js';
import { idempotency } from './idempotency.js';
import { inputRules } from './input-rules.js';
import { ProblemSchema } from './problem.js';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

export const commonProblems = {
  400: problem('Invalid request; `errors` lists each field.'),
  401: problem('Missing, unknown or revoked API key.'),
  403: problem('The key\'s role may not use this operation.'),
  404: problem('Unknown resource.'),
  409: problem('Conflicts with the current state.'),
  422: problem('Well-formed but cannot be applied (including a reused Idempotency-Key).'),
} as const;

const idempotencyHeaderDoc = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description: 'Retry-safe key, 1–255 visible ASCII characters: the same key and body return the first response; the same key with another body is a 422; while the first request with it runs (at most its lease), a 409 with Retry-After.',
  schema: { type: 'string' as const, minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]{1,255}$' },
};

/**
 * An authenticated /v1 operation. `roles` is the single source of the role matrix: it guards the
 * route and is published in the OpenAPI document as `x-baton-roles`.
 */
export function securedRoute<const P extends string, const R extends Omit<RouteConfig, 'path' | 'security' | 'middleware'> & { path: P; operationId: string }>(
  roles: readonly Role[],
  config: R,
  /**
   * `http` (default): POSTs replay through the API's idempotency store. `workflow`: the key goes to
   * the workflow, which dedupes durably and logs the duplicate on the timeline (C-6).
   */
  idempotencyBy: 'http' | 'workflow' = 'http',
) {
  const middleware: MiddlewareHandler<ApiEnv>[] = [requireRole(roles), inputRules];
  if (config.method === 'post' && idempotencyBy === 'http') middleware.push(idempotency);
  return createRoute({
    ...config,
    security: [{ Bearer: [] }],
    middleware: middleware as never,
    'x-baton-roles': roles,
    parameters: config.method === 'post' ? [idempotencyHeaderDoc] : undefined,
    responses: { ...commonProblems, ...config.responses },
  } as R & { security: RouteConfig['security'] });
}

/** Who may do what, by kind of operation (the role matrix in the README is generated from these). */
export const ROLE_SETS = {
  read: ['admin', 'ops', 'automation', 'manager'],
  operate: ['admin', 'ops'],
  govern: ['admin', 'manager'],
  act: ['admin', 'ops', 'automation', 'manager'],
  signal: ['admin', 'ops', 'automation'],
  assign: ['admin', 'ops', 'manager'],
  /** Planning decisions (issue 11): ops and managers decide, automations report. */
  decide: ['admin', 'ops', 'manager'],
  timeline: ['admin', 'ops', 'manager'],
  admin: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
