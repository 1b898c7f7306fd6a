import type { Child, FC } from 'hono/jsx';
import type { Principal } from '../db/api-keys.js';

export interface NavItem { id: string; label: string; path: string }

/** Base page: skip link, header with the pages this user may open, who is signed in, sign-out (a CSRF-protected POST). */
export const Layout: FC<{ title: string; nav?: NavItem[]; current?: string; principal?: Principal; csrf?: string; notice?: Notice; children?: Child }> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {/* htmx may not inject its own <style>, touch style attributes or evaluate code (the CSP allows none of it); pages answered with 4xx (forbidden, a refused form) are shown too. */}
      <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"attributesToSettle":["class","width","height"],"responseHandling":[{"code":"204","swap":false},{"code":"...","swap":true}]}' />
      <title>{`${p.title} · Baton`}</title>
      <link rel="stylesheet" href="/static/console.css" />
      <link rel="icon" href="data:," />
      <script src="/static/htmx.min.js" defer></script>
    </head>
    <body hx-boost="true">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">Baton</a>
        {p.nav && p.nav.length > 0 && (
          <nav aria-label="Console">
            <ul>
              {p.nav.map((n) => (
                <li><a href={n.path} aria-current={p.current === n.id ? 'page' : undefined}>{n.label}</a></li>
              ))}
            </ul>
          </nav>
        )}
        {p.principal && (
          <form class="who" method="post" action="/logout">
            <span>{p.principal.name} <span class="role">{p.principal.role}</span></span>
            <input type="hidden" name="_csrf" value={p.csrf} />
            <button type="submit" class="link">Sign out</button>
          </form>
        )}
      </header>
      <main id="main" tabindex={-1}>
        {p.notice && <NoticeBox notice={p.notice} />}
        {p.children}
      </main>
    </body>
  </html>
);

export interface Notice { kind: 'ok' | 'error'; text: string }

export const NoticeBox: FC<{ notice: Notice }> = ({ notice }) => (
  <p class={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>{notice.text}</p>
);

/** "Next page" (cursor) and "first page" links of a paginated list. */
export const Pager: FC<{ first?: string; next?: string; label: string }> = ({ first, next, label }) => (
  (first || next) ? (
    <nav class="pager" aria-label={`${label} pages`}>
      {first && <a href={first}>First page</a>}
      {next && <a href={next} rel="next">Next page</a>}
    </nav>
  ) : null
);

/** A badge with text (never colour alone). */
export const Badge: FC<{ kind: string; children?: Child }> = ({ kind, children }) => <span class={`badge ${kind}`}>{children}</span>;
