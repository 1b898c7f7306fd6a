import type { Context } from 'hono';
import type { WriteContext } from '../db/ledger.js';
import type { Actor } from '../db/schema.js';
import { currentTime, type ApiEnv } from './context.js';

/** The ledger's actor for an API call: the key's (or the console user's) principal and role. */
export function actorOf(c: Context<ApiEnv>): Actor & { name: string } {
  const p = c.get('principal');
  return { kind: p.kind ?? 'api-key', id: p.id, name: p.name, role: p.role };
}

/** Who and when for a write made by this request, on the API's clock. */
export async function writeContext(c: Context<ApiEnv>): Promise<WriteContext> {
  return { actor: actorOf(c), at: (await currentTime(c.get('deps'))).toISOString() };
}
