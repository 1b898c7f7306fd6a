import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { Principal, Role } from '../db/api-keys.js';
import { currentTime, type ApiDeps, type ApiEnv } from '../api/context.js';
import type { OperationRoles } from './access.js';
import { callApi, type ApiAnswer } from './delegate.js';
import { Layout, type NavItem, type Notice } from './layout.js';
import type { ConsoleOptions } from './options.js';
import type { Rehearsals } from './rehearsals.js';
import { sameToken, type ConsoleSession, type Sessions } from './session.js';

/**
 * The console's page framework. A page (one module per area under console/views/) says which API
 * operations back it — who may open it follows their roles — and registers its routes through a
 * PageRouter, which signs the user in first, checks the role, checks CSRF on every POST and wraps
 * what the handler renders in the layout. Pages are listed in console/pages.ts (the nav registry).
 */
export interface PageContext {
  c: Context<ApiEnv>;
  deps: ApiDeps;
  principal: Principal;
  session: ConsoleSession;
  options: ConsoleOptions;
  access: OperationRoles;
  /** The API's clock (the Temporal test server's in tests and rehearsals). */
  now: Date;
  /** Runs an API operation as this user (console/delegate.ts): the only way the console changes anything. */
  api(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<ApiAnswer>;
  /** Whether this user may use all of these API operations (to show or hide a section or a button). */
  may(...operations: string[]): boolean;
  /** Hidden form field with the session's CSRF token. */
  csrfField: () => Child;
  /** Policy rehearsals run from the console (console/rehearsals.ts). */
  rehearsals: Rehearsals;
}

export interface Rendered { title: string; body: Child; status?: 200 | 403 | 404 | 409 | 422; notice?: Notice }
export type PageHandler = (ctx: PageContext) => Promise<Rendered | Response>;
export type PostHandler = (ctx: PageContext, form: Record<string, string>) => Promise<Rendered | Response>;

export interface RouteAccess {
  /** The API operations this route reads or runs; default the page's. */
  operations?: readonly string[];
  /** Roles beyond the operations' (a console-only action such as rehearsing a policy change). */
  roles?: readonly Role[];
}

export interface ConsolePage {
  id: string;
  label: string;
  /** The nav entry's link; a page without one (a client's page) is reached from other pages. */
  path?: string;
  /** The API operations whose data the page shows. */
  operations: readonly string[];
  roles?: readonly Role[];
  routes(router: PageRouter): void;
}

export interface ConsoleCore {
  app: OpenAPIHono<ApiEnv>;
  deps: ApiDeps;
  options: ConsoleOptions;
  access: OperationRoles;
  sessions: Sessions;
  rehearsals: Rehearsals;
  pages: readonly ConsolePage[];
}

/** A local path to return to after sign-in (never another origin). */
export const safeReturn = (v: unknown, fallback = '/'): string => (typeof v === 'string' && /^\/(?![/\\])/.test(v) ? v : fallback);

/** The pages this user may open, for the nav. */
export function navFor(core: ConsoleCore, principal: Principal): NavItem[] {
  return core.pages.filter((p) => p.path && core.access.may(principal, p.operations, p.roles)).map((p) => ({ id: p.id, label: p.label, path: p.path! }));
}

/** Same-origin check for a console POST: the browser's Origin (or Sec-Fetch-Site) must be Baton's own. */
export function sameOrigin(c: Context, options: ConsoleOptions): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  if (!origin) return true; // not sent by every browser for same-origin posts; the token still must match
  const own = [new URL(c.req.url).origin, ...(options.publicUrl ? [new URL(options.publicUrl).origin] : [])];
  return own.includes(origin);
}

/** Redirect that also works for htmx requests (which follow 3xx themselves but need a full navigation to the sign-in). */
export function redirect(c: Context, to: string, full = false): Response {
  if (full && c.req.header('hx-request')) return c.body(null, 200, { 'HX-Redirect': to });
  return c.redirect(to, 303);
}

export class PageRouter {
  constructor(private readonly core: ConsoleCore, private readonly page: ConsolePage) {}

  get(path: string, handler: PageHandler, access: RouteAccess = {}) {
    this.core.app.get(path, async (c) => this.run(c, access, async (ctx) => this.render(ctx, await handler(ctx))));
  }

  post(path: string, handler: PostHandler, access: RouteAccess = {}) {
    this.core.app.post(path, async (c) => this.run(c, access, async (ctx) => {
      const form = Object.fromEntries(Object.entries(await c.req.parseBody()).filter((e): e is [string, string] => typeof e[1] === 'string'));
      if (!sameOrigin(c, this.core.options) || !sameToken(ctx.session.csrfToken, form._csrf)) {
        return this.render(ctx, { status: 403, title: 'Form expired', body: <p>This form could not be accepted (its security token did not match). Reload the page and try again.</p> });
      }
      return this.render(ctx, await handler(ctx, form));
    }));
  }

  private async run(c: Context<ApiEnv>, access: RouteAccess, fn: (ctx: PageContext) => Promise<Response>): Promise<Response> {
    const { core } = this;
    const session = await core.sessions.current(c);
    if (!session) {
      const back = new URL(c.req.url);
      return redirect(c, `/login?returnTo=${encodeURIComponent(c.req.method === 'GET' ? back.pathname + back.search : '/')}`, true);
    }
    const ctx = this.context(c, session, await currentTime(core.deps));
    const operations = access.operations ?? this.page.operations;
    const roles = access.roles ?? this.page.roles;
    if (!core.access.may(session.principal, operations, roles)) {
      const allowed = core.access.allowed(operations, roles);
      return this.render(ctx, {
        status: 403, title: 'Not for your role',
        body: (
          <section class="panel">
            <h1>Not for your role</h1>
            <p>This page needs one of the roles <strong>{allowed.join(', ') || 'none'}</strong>; you are signed in as <strong>{session.principal.role}</strong>.</p>
            <p>It shows data of the API operations {operations.join(', ')}, and the console follows the API's role matrix.</p>
          </section>
        ),
      });
    }
    return fn(ctx);
  }

  private context(c: Context<ApiEnv>, session: ConsoleSession, now: Date): PageContext {
    const { core } = this;
    return {
      c, deps: core.deps, principal: session.principal, session, options: core.options, access: core.access, now,
      api: (method, path, body, key) => callApi(core.app, session.principal, method, path, body, key),
      may: (...operations) => core.access.may(session.principal, operations),
      csrfField: () => <input type="hidden" name="_csrf" value={session.csrfToken} />,
      rehearsals: core.rehearsals,
    };
  }

  private async render(ctx: PageContext, r: Rendered | Response): Promise<Response> {
    if (r instanceof Response) return r;
    const { c } = ctx;
    const notice = r.notice ?? noticeFrom(c);
    const html = (
      <Layout title={r.title} nav={navFor(this.core, ctx.principal)} current={this.page.id} principal={ctx.principal} csrf={ctx.session.csrfToken} notice={notice}>
        {r.body}
      </Layout>
    );
    return c.html(`<!doctype html>${html}`, r.status ?? 200);
  }
}

/** A notice carried over a redirect (PRG): `?ok=` or `?error=` on the page redirected to. */
function noticeFrom(c: Context): Notice | undefined {
  const ok = c.req.query('ok');
  const error = c.req.query('error');
  if (error) return { kind: 'error', text: error.slice(0, 500) };
  if (ok) return { kind: 'ok', text: ok.slice(0, 500) };
  return undefined;
}
