/** PostgreSQL unique_violation, also when drizzle wraps the driver's error in `cause`. */
export function isUniqueViolation(err: unknown): boolean {
  return sqlStateOf(err) === '23505';
}

/** The SQLSTATE of a PostgreSQL error, looking through drizzle's wrapper (`cause`). */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 10; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && 'severity' in e) return e.code;
  }
  return undefined;
}

/** drizzle's query errors append the bound parameters to the message: personal data and key hashes. */
const PARAMS_LINE = /\nparams: [\s\S]*$/;

/**
 * What may be said about an error outside the process (logs, workflow histories): the message
 * without SQL parameters, and for PostgreSQL errors the SQLSTATE, the server's message and the
 * constraint — never `parameters`, `args` or `detail` (which quotes the offending values).
 */
export function safeErrorMessage(err: unknown): string {
  const state = sqlStateOf(err);
  if (state) {
    let e = err as { code?: unknown; cause?: unknown; message?: string; constraint_name?: string };
    while (e && !(typeof e.code === 'string' && 'severity' in e)) e = e.cause as typeof e;
    return `PostgreSQL ${state}: ${e.message ?? 'error'}${e.constraint_name ? ` (constraint ${e.constraint_name})` : ''}`;
  }
  return err instanceof Error ? err.message.replace(PARAMS_LINE, '') : String(err);
}

const UNSAFE_KEYS = new Set(['parameters', 'params', 'args', 'detail', 'query_params']);

/** A log-safe copy of an error and its causes (pino's `err` serializer). */
export function safeErrorForLog(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 5) return err;
  const out: Record<string, unknown> = { type: err.name, message: err.message.replace(PARAMS_LINE, '') };
  if (err.stack) out.stack = err.stack.replace(err.message, out.message as string);
  for (const [k, v] of Object.entries(err)) {
    if (UNSAFE_KEYS.has(k) || k === 'cause' || k === 'message' || k === 'stack') continue;
    if (v === undefined || typeof v === 'function') continue;
    out[k] = v;
  }
  if (err.cause !== undefined) out.cause = safeErrorForLog(err.cause, depth + 1);
  return out;
}
