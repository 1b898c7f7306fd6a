/**
 * A problem the user can fix (a busy port, an unreachable database, a missing file). The CLI
 * prints its message alone — one line saying what is wrong and how to fix it — never a stack.
 */
export class ActionableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActionableError';
  }
}

/** Hides the password of a connection URL, for messages and logs. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/**
 * Turns a failure to reach PostgreSQL into one actionable line, or returns undefined when the
 * error is something else (a bug, a failed migration) that deserves its stack.
 */
export function databaseProblem(err: unknown, url: string, source: 'DATABASE_URL' | 'embedded'): ActionableError | undefined {
  const e = err as { code?: string; errno?: string; message?: string };
  const code = e?.code ?? e?.errno;
  const where = redactUrl(url);
  const fix = source === 'DATABASE_URL' ? 'check DATABASE_URL (or unset it to use the embedded PostgreSQL)' : 'see the PostgreSQL log under BATON_DATA_DIR';
  const reason: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing listens there)',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    CONNECT_TIMEOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    '28P01': 'wrong user name or password',
    '28000': 'the server refused this login',
    '3D000': 'the database does not exist',
    '42501': 'the user lacks a required privilege',
  };
  const why = code ? reason[code] : undefined;
  if (!why) return undefined;
  return new ActionableError(`Cannot use PostgreSQL at ${where}: ${why}; ${fix}.`, { cause: err });
}
