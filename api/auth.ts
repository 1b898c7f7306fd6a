import type { MiddlewareHandler } from 'hono';
import { findPrincipal, type Role } from '../db/api-keys.js';
import type { ApiEnv } from './context.js';
import { ProblemError } from './problem.js';

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i;

/** Bearer API key → principal. Every /v1 route runs behind this; wrong keys are rate limited per address. */
export const authenticate: MiddlewareHandler<ApiEnv> = async (c, next) => {
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
    const { role } = c.get('principal');
    if (!roles.includes(role)) {
      throw new ProblemError(403, 'forbidden', 'Not allowed for this role', `This operation needs one of the roles ${roles.join(', ')}; the key has role ${role}.`, { allowedRoles: roles });
    }
    await next();
  };
}
