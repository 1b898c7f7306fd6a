import type { OpenAPIHono } from '@hono/zod-openapi';
import { DELEGATED_PRINCIPAL } from '../api/auth.js';
import type { ApiEnv } from '../api/context.js';
import type { Principal } from '../db/api-keys.js';

/** An API answer as the console reads it: the status and the parsed JSON (a problem's `detail` on failure). */
export interface ApiAnswer { status: number; body: any; ok: boolean }

/**
 * Runs one API operation for the console's signed-in user, in process: the request goes through
 * the app's own middleware and route (validation, role matrix, Idempotency-Key, problem answers,
 * ledger actor), with the user's principal instead of a Bearer key. The console never writes by
 * any other path.
 */
export async function callApi(app: OpenAPIHono<ApiEnv>, principal: Principal, method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const request = new Request(new URL(path, 'http://baton.console'), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const res = await app.fetch(request, { [DELEGATED_PRINCIPAL]: principal } as never);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, ok: res.status < 400 };
}
