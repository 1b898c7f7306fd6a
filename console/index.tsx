import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findPrincipal } from '../db/api-keys.js';
import type { ApiDeps, ApiEnv } from '../api/context.js';
import { OperationRoles } from './access.js';
import { navFor, PageRouter, redirect, safeReturn, sameOrigin, type ConsoleCore } from './core.js';
import { Layout, NoticeBox, type Notice } from './layout.js';
import { OidcSignIn } from './oidc.js';
import { CONSOLE_DEFAULTS, type ConsoleOptions } from './options.js';
import { CONSOLE_PAGES } from './pages.js';
import { Rehearsals } from './rehearsals.js';
import { cookieNames, isSecure, sameToken, Sessions } from './session.js';

export type { ConsoleOptions } from './options.js';

/**
 * The web console for managers and CSMs (issue 16), served by Baton's own API process at `/`:
 * server-rendered HTML (hono/jsx), htmx for progressive enhancement, one stylesheet, no build
 * step. Signed in with OpenID Connect or, without an IdP, an API key; every page reads through the
 * API's repositories and query helpers and every action runs the API operation itself.
 */
const here = path.dirname(new URL(import.meta.url).pathname);
const htmxFile = path.join(path.dirname(createRequire(import.meta.url).resolve('htmx.org/package.json')), 'dist', 'htmx.min.js');
const STATIC = new Map<string, { type: string; file: string }>([
  ['console.css', { type: 'text/css; charset=utf-8', file: path.join(here, 'static', 'console.css') }],
  ['htmx.min.js', { type: 'text/javascript; charset=utf-8', file: htmxFile }],
]);

/** Paths the console answers (everything but the API, its docs, health and calendar feeds). */
export function isConsolePath(p: string): boolean {
  return !/^\/(v1|codec|docs|openapi\.json|healthz|readyz|calendar)(\/|$)/.test(p);
}

export function mountConsole(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const options: ConsoleOptions = { ...CONSOLE_DEFAULTS, ...deps.console };
  const core: ConsoleCore = {
    app, deps, options, access: new OperationRoles(app), sessions: new Sessions(deps.db, options), rehearsals: new Rehearsals(options, deps.logger), pages: CONSOLE_PAGES,
  };
  const oidc = options.oidc ? new OidcSignIn(options.oidc) : undefined;
  const cache = new Map<string, Buffer>();

  app.get('/static/:file', (c) => {
    const asset = STATIC.get(c.req.param('file'));
    if (!asset) return c.text('Not found', 404);
    let body = cache.get(asset.file);
    if (!body) cache.set(asset.file, (body = fs.readFileSync(asset.file)));
    return c.body(body as never, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' });
  });

  app.get('/', async (c) => {
    const session = await core.sessions.current(c);
    if (!session) return redirect(c, '/login', true);
    return redirect(c, navFor(core, session.principal)[0]?.path ?? '/my-work');
  });

  const signInPage = (c: Context<ApiEnv>, notice?: Notice, status: 200 | 401 | 403 | 429 | 502 = 200) => {
    const returnTo = safeReturn(c.req.query('returnTo'));
    const csrf = core.sessions.loginCsrf(c);
    return c.html(`<!doctype html>${(
      <Layout title="Sign in">
        <section class="panel narrow">
          <h1>Sign in to Baton</h1>
          {notice && <NoticeBox notice={notice} />}
          {oidc && (
            <p><a class="button primary" href={`/login/oidc?returnTo=${encodeURIComponent(returnTo)}`} hx-boost="false">Sign in with {oidc.options.label}</a></p>
          )}
          {options.localSignIn && (
            <form method="post" action="/login/key" class="stack">
              {oidc && <p class="muted">Or, without the identity provider:</p>}
              <input type="hidden" name="_csrf" value={csrf} />
              <input type="hidden" name="returnTo" value={returnTo} />
              <label for="apiKey">API key</label>
              <input id="apiKey" name="apiKey" type="password" autocomplete="current-password" required minlength={10} maxlength={200} aria-describedby="apiKey-hint" />
              <p class="hint" id="apiKey-hint">A Baton API key (<code>baton keys create</code>); you act with its role.</p>
              <button type="submit">Sign in with the key</button>
            </form>
          )}
        </section>
      </Layout>
    )}`, status);
  };

  app.get('/login', async (c) => {
    if (await core.sessions.current(c)) return redirect(c, safeReturn(c.req.query('returnTo')));
    return signInPage(c);
  });

  app.post('/login/key', async (c) => {
    const form = await c.req.parseBody();
    if (!options.localSignIn) return signInPage(c, { kind: 'error', text: 'Sign-in with an API key is switched off here (BATON_CONSOLE_LOCAL_SIGNIN).' }, 403);
    if (!sameOrigin(c, options) || !core.sessions.loginCsrfMatches(c, form._csrf)) return signInPage(c, { kind: 'error', text: 'The form expired; please sign in again.' }, 403);
    const throttle = c.get('authThrottle');
    const wait = throttle.blockedFor(c);
    if (wait !== undefined) return signInPage(c, { kind: 'error', text: `Too many wrong keys from this address; try again in ${wait} s.` }, 429);
    const key = typeof form.apiKey === 'string' ? form.apiKey.trim() : '';
    const principal = /^[A-Za-z0-9._~+/-]+=*$/.test(key) ? await findPrincipal(deps.db, key) : undefined;
    if (!principal) {
      throttle.recordFailure(c);
      return signInPage(c, { kind: 'error', text: 'That API key is unknown or revoked.' }, 401);
    }
    await core.sessions.signIn(c, { ...principal, kind: 'api-key' }, principal.id);
    return redirect(c, safeReturn(form.returnTo));
  });

  app.get('/login/oidc', async (c) => {
    if (!oidc) return c.redirect('/login', 303);
    try {
      const begun = await oidc.begin(callbackUrl(c, options));
      await core.sessions.beginLogin(c, { codeVerifier: begun.codeVerifier, state: begun.state, nonce: begun.nonce, returnTo: safeReturn(c.req.query('returnTo')) });
      return c.redirect(begun.url.href, 302);
    } catch (err) {
      deps.logger.warn({ err }, 'console: OpenID Connect discovery failed');
      return signInPage(c, { kind: 'error', text: `${oidc.options.label} cannot be reached right now; try again, or sign in with an API key.` }, 502);
    }
  });

  app.get('/auth/callback', async (c) => {
    if (!oidc) return c.redirect('/login', 303);
    const pending = await core.sessions.takeLogin(c);
    if (!pending) return signInPage(c, { kind: 'error', text: 'That sign-in expired or was already used; please sign in again.' }, 401);
    const url = new URL(c.req.url);
    const idpError = url.searchParams.get('error');
    if (idpError) return signInPage(c, { kind: 'error', text: `${oidc.options.label} refused the sign-in: ${url.searchParams.get('error_description') ?? idpError}` }, 401);
    try {
      const outcome = await oidc.finish(new URL(`${callbackUrl(c, options)}${url.search}`), pending);
      if ('refused' in outcome) return signInPage(c, { kind: 'error', text: outcome.refused }, 403);
      await core.sessions.signIn(c, outcome.principal);
      deps.logger.info({ principal: outcome.principal.name, role: outcome.principal.role }, 'console: signed in with OpenID Connect');
      return redirect(c, pending.returnTo);
    } catch (err) {
      deps.logger.warn({ err }, 'console: OpenID Connect sign-in failed');
      return signInPage(c, { kind: 'error', text: `The sign-in with ${oidc.options.label} could not be completed; please try again.` }, 401);
    }
  });

  app.post('/logout', async (c) => {
    const session = await core.sessions.current(c);
    const form = await c.req.parseBody();
    if (session && sameOrigin(c, options) && sameToken(session.csrfToken, form._csrf)) await core.sessions.signOut(c);
    return redirect(c, '/login', true);
  });

  for (const page of core.pages) page.routes(new PageRouter(core, page));
}

/** The redirect URI registered at the IdP: BATON_PUBLIC_URL's origin (TLS in front), else this request's. */
function callbackUrl(c: Context, options: ConsoleOptions): string {
  const base = options.publicUrl ? new URL(options.publicUrl) : new URL(c.req.url);
  return `${base.origin}/auth/callback`;
}

export { cookieNames, isSecure };
