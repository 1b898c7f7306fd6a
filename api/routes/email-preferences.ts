import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { emailPreferences, setEmailPreferences } from '../../db/notifications.js';
import { CATEGORY_LABELS, EMAIL_CATEGORIES } from '../../domain/email.js';
import { verifyUnsubscribeToken } from '../../runtime/unsubscribe.js';
import { currentTime, type ApiEnv } from '../context.js';
import { notFound, ProblemError } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id } from '../schemas.js';

/**
 * Email preferences per category (issue 15): `opened`, `dueSoon`, `escalated`, `digest`. The
 * authenticated API for admins and ops, and the signed one-click unsubscribe link every message
 * carries (RFC 8058: `List-Unsubscribe` + `List-Unsubscribe-Post: List-Unsubscribe=One-Click`),
 * which works without a login and stops that one category only.
 */
const Preferences = z.object(Object.fromEntries(EMAIL_CATEGORIES.map((c) => [c, z.boolean().openapi({ description: `Send ${CATEGORY_LABELS[c]}.` })])) as Record<(typeof EMAIL_CATEGORIES)[number], z.ZodBoolean>)
  .openapi('EmailPreferences');
const PersonParams = z.object({ personId: Id.openapi({ param: { name: 'personId', in: 'path' } }) });

const getRoute = securedRoute(ROLE_SETS.read, {
  method: 'get', path: '/v1/people/{personId}/email-preferences', operationId: 'getEmailPreferences', tags: ['People'],
  summary: 'Which email categories this person receives (issue 15: opened, due soon, escalated, daily digest)',
  request: { params: PersonParams }, responses: { 200: jsonResponse(Preferences, 'true: sent; false: unsubscribed') },
});
const putRoute = securedRoute(ROLE_SETS.operate, {
  method: 'patch', path: '/v1/people/{personId}/email-preferences', operationId: 'setEmailPreferences', tags: ['People'],
  summary: 'Turn email categories on or off for this person; the categories not sent stay as they are',
  request: { params: PersonParams, ...jsonBody(Preferences.partial().strict().refine((b) => Object.keys(b).length > 0, 'send at least one category').openapi({ minProperties: 1 })) },
  responses: { 200: jsonResponse(Preferences, 'The preferences now') },
});

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${title}</title></head><body style="font-family:sans-serif;max-width:36rem;margin:3rem auto">${body}</body></html>`;

export function registerEmailPreferenceRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(getRoute, async (c) => {
    const { personId } = c.req.valid('param');
    const prefs = await emailPreferences(c.get('deps').db, personId);
    if (!prefs) throw notFound('Person', personId);
    return c.json(prefs, 200);
  });
  app.openapi(putRoute, async (c) => {
    const { personId } = c.req.valid('param');
    const prefs = await setEmailPreferences(c.get('deps').db, personId, c.req.valid('json'), (await currentTime(c.get('deps'))).toISOString());
    if (!prefs) throw notFound('Person', personId);
    return c.json(prefs, 200);
  });

  // The link in the message footer: a page with one button (a GET never unsubscribes: mail scanners follow links, RFC 8058 §4).
  app.get('/unsubscribe', async (c) => {
    const target = await tokenTarget(c);
    const what = CATEGORY_LABELS[target.category];
    const token = c.req.query('token')!;
    return c.html(page('Unsubscribe', `<h1>Unsubscribe</h1><p>Stop ${what} from Baton? Other email stays on.</p><form method="post" action="/unsubscribe?token=${encodeURIComponent(token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe from ${what}</button></form>`), 200, { 'cache-control': 'no-store' });
  });
  // RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click` to the List-Unsubscribe URL, no login, no cookie.
  app.post('/unsubscribe', async (c) => {
    const target = await tokenTarget(c);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    if (form['List-Unsubscribe'] !== 'One-Click') throw new ProblemError(400, 'validation', 'Invalid request', 'A one-click unsubscribe sends List-Unsubscribe=One-Click (RFC 8058).');
    const prefs = await setEmailPreferences(c.get('deps').db, target.personId, { [target.category]: false }, (await currentTime(c.get('deps'))).toISOString());
    if (!prefs) throw new ProblemError(404, 'not-found', 'Not found', 'This unsubscribe link is not valid.');
    return c.html(page('Unsubscribed', `<h1>Unsubscribed</h1><p>You will no longer receive ${CATEGORY_LABELS[target.category]} from Baton.</p>`), 200, { 'cache-control': 'no-store' });
  });
}

/** The person and category the link's token names; a missing, malformed or forged token is a 404 that says nothing more. */
async function tokenTarget(c: Context<ApiEnv>) {
  const token = c.req.query('token') ?? '';
  let target: ReturnType<typeof verifyUnsubscribeToken>;
  try {
    target = verifyUnsubscribeToken(token);
  } catch {
    target = undefined; // no integration key configured: no link can be valid
  }
  if (!target) throw new ProblemError(404, 'not-found', 'Not found', 'This unsubscribe link is not valid.');
  return target;
}
