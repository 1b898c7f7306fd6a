import type { Context } from 'hono';
import type { Actor } from '../db/schema.js';
import type { ApiEnv } from './context.js';

/** The ledger's actor for an API call: the key's principal and role. */
export function actorOf(c: Context<ApiEnv>): Actor & { name: string } {
  const p = c.get('principal');
  return { kind: 'api-key', id: p.id, name: p.name, role: p.role };
}
