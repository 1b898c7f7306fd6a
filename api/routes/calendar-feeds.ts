import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { createCalendarFeed, feedContents, feedOwner, listCalendarFeeds, revokeCalendarFeed } from '../../db/calendar-feeds.js';
import { peopleByIds } from '../../db/clients.js';
import { actorOf } from '../actor.js';
import { renderCalendar } from '../calendar.js';
import { currentTime, type ApiEnv } from '../context.js';
import { requestScopedId } from '../idempotency.js';
import { notFound, ProblemError } from '../problem.js';
import { jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { Id, page, Pagination } from '../schemas.js';

/** How far back a feed shows meetings: calendar apps keep what they already synced. */
const FEED_LOOKBACK_DAYS = 30;
const TOKEN = /^batcal_[A-Za-z0-9_-]{43}$/;

const Feed = z.object({ id: Id, personId: Id, prefix: z.string(), createdBy: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }).openapi('CalendarFeed');
const NewFeed = Feed.extend({
  token: z.string().openapi({ description: 'The secret, shown once; only its hash is stored.' }),
  url: z.string().openapi({ description: 'Subscribe to this URL in any calendar app (webcal/https).' }),
}).openapi('NewCalendarFeed');
const PersonParams = z.object({ personId: Id.openapi({ param: { name: 'personId', in: 'path' } }) });
const FeedParams = z.object({ feedId: Id.openapi({ param: { name: 'feedId', in: 'path' } }) });

const createRoute = securedRoute(ROLE_SETS.assign, {
  method: 'post', path: '/v1/people/{personId}/calendar-feeds', operationId: 'createCalendarFeed', tags: ['Calendar'],
  summary: 'Create a subscribable iCalendar feed of the person\'s Baton meetings and CTA due dates; the URL carries a secret token',
  request: { params: PersonParams },
  responses: { 201: jsonResponse(NewFeed, 'Created; the token is shown only here') },
});
const listRoute = securedRoute(ROLE_SETS.assign, {
  method: 'get', path: '/v1/people/{personId}/calendar-feeds', operationId: 'listCalendarFeeds', tags: ['Calendar'], summary: 'The person\'s feeds (without tokens)',
  request: { params: PersonParams, query: Pagination },
  responses: { 200: jsonResponse(page(Feed), 'A page of the feeds, by id') },
});
const revokeRoute = securedRoute(ROLE_SETS.assign, {
  method: 'delete', path: '/v1/calendar-feeds/{feedId}', operationId: 'revokeCalendarFeed', tags: ['Calendar'], summary: 'Revoke a feed: its URL stops working at once',
  request: { params: FeedParams },
  responses: { 200: jsonResponse(Feed, 'Revoked (revoking again keeps the first time)') },
});

export function registerCalendarFeedRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(createRoute, async (c) => {
    const { personId } = c.req.valid('param');
    const { db } = c.get('deps');
    const [person] = await peopleByIds(db, [personId]);
    if (!person) throw notFound('Person', personId);
    const { token, feed } = await createCalendarFeed(db, personId, actorOf(c).name, requestScopedId(c, 'calendar-feed'));
    return c.json({ ...feed, token, url: `${new URL(c.req.url).origin}/calendar/${token}.ics` }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const { personId } = c.req.valid('param');
    const { db } = c.get('deps');
    const q = c.req.valid('query');
    if (!(await peopleByIds(db, [personId]))[0]) throw notFound('Person', personId);
    const rows = await listCalendarFeeds(db, personId, { after: q.after, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit);
    return c.json({ items, ...(rows.length > q.limit ? { next: items.at(-1)!.id } : {}) }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const { feedId } = c.req.valid('param');
    const feed = await revokeCalendarFeed(c.get('deps').db, feedId, (await currentTime(c.get('deps'))).toISOString());
    if (!feed) throw notFound('Calendar feed', feedId);
    return c.json(feed, 200);
  });
}

/**
 * `GET /calendar/{token}.ics`, outside /v1: calendar apps cannot send an Authorization header, so
 * the secret token in the URL is the credential. Unknown and revoked tokens get the same 404.
 */
export function registerCalendarFeedServing(app: OpenAPIHono<ApiEnv>) {
  app.get('/calendar/:file', async (c) => {
    const file = c.req.param('file');
    const token = file.endsWith('.ics') ? file.slice(0, -4) : file;
    const { db } = c.get('deps');
    const person = TOKEN.test(token) ? await feedOwner(db, token) : undefined;
    if (!person) throw new ProblemError(404, 'not-found', 'Not found', 'No calendar feed at this address (unknown or revoked).');
    const now = await currentTime(c.get('deps'));
    const since = new Date(now.getTime() - FEED_LOOKBACK_DAYS * 86_400_000).toISOString();
    const body = renderCalendar(person, await feedContents(db, person.id, since), now);
    return c.body(body, 200, { 'content-type': 'text/calendar; charset=utf-8', 'cache-control': 'private, max-age=300' });
  });
}
