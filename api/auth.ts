import type { MiddlewareHandler } from 'hono';
import { findPrincipal, type Principal, type Role } from '../db/api-keys.js';
import type { ApiEnv } from './context.js';
import { ProblemError } from './problem.js';

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i;

/**
 * The console (console/) runs an API operation for its signed-in user by calling the app in
 * process with the user's principal under this symbol in the request's env: the operation then
 * runs exactly as over HTTP (validation, role matrix, Idempotency-Key, problem answers). A symbol
 * key cannot come from the network (the Node server's env holds only its request and response).
 */
export const DELEGATED_PRINCIPAL = Symbol('baton.delegatedPrincipal');

/** Bearer API key → principal. Every /v1 route runs behind this; wrong keys are rate limited per address. */
export const authenticate: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const delegated = (c.env as Record<symbol, Principal | undefined> | undefined)?.[DELEGATED_PRINCIPAL];
  if (delegated) {
    c.set('principal', delegated);
    return next();
  }
  const throttle = c.get('authThrottle');
  const header = c.req.header('authorization');
  if (!header) throw unauthorized('Send an API key as `Authorization: Bearer <key>`.');
  const retryAfter = throttle.blockedFor(c);
  if (retryAfter !== undefined) {
    throw new ProblemError(429, 'too-many-requests', 'Too many failed authentications', `Too many wrong API keys from this address; try again in ${retryAfter} s.`, {}, { 'Retry-After': String(retryAfter) });
  }
  const match = BEARER.exec(header);
  if (!match) {
    throttle.recordFailure(c);
    throw unauthorized('The Authorization header must be `Bearer <key>`.');
  }
  const principal = await findPrincipal(c.get('deps').db, match[1]!);
  if (!principal) {
    throttle.recordFailure(c);
    throw unauthorized('The API key is unknown or revoked.');
  }
  c.set('principal', principal);
  await next();
};

function unauthorized(detail: string) {
  return new ProblemError(401, 'unauthorized', 'Authentication required', detail);
}

export function requireRole(roles: readonly Role[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const { role, kind } = c.get('principal');
    if (!roles.includes(role)) {
      throw new ProblemError(403, 'forbidden', 'Not allowed for this role', `This operation needs one of the roles ${roles.join(', ')}; the ${kind === 'user' ? 'user' : 'key'} has role ${role}.`, { allowedRoles: roles });
    }
    await next();
  };
}
