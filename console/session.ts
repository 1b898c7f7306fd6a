import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Principal } from '../db/api-keys.js';
import type { Db } from '../db/client.js';
import { apiKeys, consoleSessions } from '../db/schema.js';
import type { ApiEnv } from '../api/context.js';
import type { ConsoleOptions } from './options.js';

/**
 * Console sessions, kept in PostgreSQL (so every API process knows them and signing out ends them
 * at once). The cookie holds 32 random bytes; the table holds their SHA-256. Cookies are HttpOnly,
 * SameSite=Lax (the IdP's redirect back is a top-level GET, which Lax lets through), and Secure
 * with the `__Host-` prefix whenever Baton is reached over TLS (the request, or BATON_PUBLIC_URL
 * when TLS ends in front of it). Each session has its own CSRF token for the console's forms.
 */
export interface ConsoleSession {
  principal: Principal;
  csrfToken: string;
}

export interface PendingLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

const PENDING_LOGIN_MINUTES = 10;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export function isSecure(c: Context, options: Pick<ConsoleOptions, 'publicUrl'>): boolean {
  return new URL(c.req.url).protocol === 'https:' || (options.publicUrl?.startsWith('https:') ?? false);
}

/** Cookie names: `__Host-` binds a cookie to this exact origin, and browsers accept it only when Secure. */
export function cookieNames(secure: boolean) {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}baton_session`, login: `${prefix}baton_login`, csrf: `${prefix}baton_csrf` };
}

function cookieOptions(secure: boolean, maxAgeSeconds: number) {
  return { httpOnly: true, secure, sameSite: 'Lax' as const, path: '/', maxAge: Math.floor(maxAgeSeconds) };
}

export class Sessions {
  constructor(private readonly db: Db, private readonly options: ConsoleOptions) {}

  /** The signed-in principal, or undefined (no cookie, unknown, expired, or its API key revoked). */
  async current(c: Context<ApiEnv>): Promise<ConsoleSession | undefined> {
    const value = getCookie(c, cookieNames(isSecure(c, this.options)).session);
    if (!value) return undefined;
    const [row] = await this.db.select({ principal: consoleSessions.principal, csrfToken: consoleSessions.csrfToken, apiKeyId: consoleSessions.apiKeyId })
      .from(consoleSessions)
      .where(and(eq(consoleSessions.tokenHash, hash(value)), eq(consoleSessions.state, 'active'), gt(consoleSessions.expiresAt, sql`now()`)));
    if (!row?.principal) return undefined;
    if (row.apiKeyId) {
      // A local sign-in lasts only as long as its API key.
      const [key] = await this.db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.id, row.apiKeyId), isNull(apiKeys.revokedAt)));
      if (!key) return undefined;
    }
    return { principal: row.principal as unknown as Principal, csrfToken: row.csrfToken };
  }

  /** Signs `principal` in: a new session (a new token, so a token planted before sign-in is worthless). */
  async signIn(c: Context<ApiEnv>, principal: Principal, apiKeyId?: string): Promise<void> {
    const value = token();
    const secure = isSecure(c, this.options);
    await this.db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, sql`now()`));
    await this.db.insert(consoleSessions).values({
      tokenHash: hash(value), state: 'active', principal: principal as unknown as Record<string, unknown>, apiKeyId: apiKeyId ?? null, csrfToken: token(),
      expiresAt: sql`now() + make_interval(secs => ${Math.round(this.options.sessionHours * 3600)})` as never,
    });
    setCookie(c, cookieNames(secure).session, value, cookieOptions(secure, this.options.sessionHours * 3600));
  }

  async signOut(c: Context<ApiEnv>): Promise<void> {
    const names = cookieNames(isSecure(c, this.options));
    const value = getCookie(c, names.session);
    if (value) await this.db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, hash(value)));
    deleteCookie(c, names.session, { path: '/', secure: isSecure(c, this.options) });
  }

  /** An OpenID Connect login under way: its PKCE verifier, state and nonce wait here for the IdP's redirect back. */
  async beginLogin(c: Context<ApiEnv>, login: PendingLogin): Promise<void> {
    const value = token();
    const secure = isSecure(c, this.options);
    await this.db.insert(consoleSessions).values({
      tokenHash: hash(value), state: 'pending', login: login as unknown as Record<string, unknown>, csrfToken: token(),
      expiresAt: sql`now() + make_interval(mins => ${PENDING_LOGIN_MINUTES})` as never,
    });
    setCookie(c, cookieNames(secure).login, value, cookieOptions(secure, PENDING_LOGIN_MINUTES * 60));
  }

  /** The login this browser began (used once: taken and deleted), or undefined. */
  async takeLogin(c: Context<ApiEnv>): Promise<PendingLogin | undefined> {
    const names = cookieNames(isSecure(c, this.options));
    const value = getCookie(c, names.login);
    if (!value) return undefined;
    deleteCookie(c, names.login, { path: '/', secure: isSecure(c, this.options) });
    const [row] = await this.db.delete(consoleSessions)
      .where(and(eq(consoleSessions.tokenHash, hash(value)), eq(consoleSessions.state, 'pending'), gt(consoleSessions.expiresAt, sql`now()`)))
      .returning({ login: consoleSessions.login });
    return row?.login ? (row.login as unknown as PendingLogin) : undefined;
  }

  /**
   * CSRF for the sign-in form, before any session exists: a random token in a cookie and in the
   * form (double submit). Returns the token to put in the form.
   */
  loginCsrf(c: Context<ApiEnv>): string {
    const names = cookieNames(isSecure(c, this.options));
    const existing = getCookie(c, names.csrf);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const value = token();
    setCookie(c, names.csrf, value, { ...cookieOptions(isSecure(c, this.options), 3600), sameSite: 'Strict' });
    return value;
  }

  loginCsrfMatches(c: Context<ApiEnv>, sent: unknown): boolean {
    return sameToken(getCookie(c, cookieNames(isSecure(c, this.options)).csrf), sent);
  }
}

/** Constant-time comparison of two tokens. */
export function sameToken(expected: string | undefined, sent: unknown): boolean {
  if (!expected || typeof sent !== 'string' || sent.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(sent));
}
