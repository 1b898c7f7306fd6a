import { listClients } from '../../db/clients.js';
import type { ConsolePage } from '../core.js';
import { query } from '../format.js';
import { Pager } from '../layout.js';

const SEGMENTS = ['A', 'B', 'C', 'D'];
const TIERS = ['VIP', 'High', 'Mid', 'Tech'];
const PAGE = 50;

/** All clients (GET /v1/clients' repository), filtered by segment, touch tier and name, paged by id. */
export const clientsPage: ConsolePage = {
  id: 'clients', label: 'Clients', path: '/clients', operations: ['listClients'],
  routes(router) {
    router.get('/clients', async (ctx) => {
      const q = (k: string) => ctx.c.req.query(k)?.trim().slice(0, 200) || undefined;
      const segment = SEGMENTS.includes(q('segment') ?? '') ? q('segment') : undefined;
      const touchTier = TIERS.includes(q('touchTier') ?? '') ? q('touchTier') : undefined;
      const name = q('q');
      const after = q('after');
      const page = await listClients(ctx.deps.db, { segment: segment ? [segment] : undefined, touchTier: touchTier ? [touchTier] : undefined, q: name, after, limit: PAGE });
      const filters = { segment, touchTier, q: name };
      return {
        title: 'Clients',
        body: (
          <>
            <h1>Clients</h1>
            <form method="get" action="/clients" class="filters" role="search" aria-label="Filter clients">
              <label>Name <input name="q" value={name ?? ''} maxlength={200} /></label>
              <label>Segment
                <select name="segment"><option value="">any</option>{SEGMENTS.map((s) => <option selected={s === segment}>{s}</option>)}</select>
              </label>
              <label>Touch tier
                <select name="touchTier"><option value="">any</option>{TIERS.map((s) => <option selected={s === touchTier}>{s}</option>)}</select>
              </label>
              <button type="submit">Filter</button>
            </form>
            {page.items.length === 0 ? <p class="muted">No clients match.</p> : (
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">Clients</caption>
                  <thead><tr><th scope="col">Client</th><th scope="col">Segment</th><th scope="col">Goal</th><th scope="col">Touch tier</th><th scope="col">MRR</th><th scope="col">Zone</th></tr></thead>
                  <tbody>
                    {page.items.map((c) => (
                      <tr><td><a href={`/clients/${c.id}`}>{c.name}</a></td><td>{c.segment}</td><td>{c.goalLevel}</td><td>{c.touchTier}</td><td>{c.mrr.toLocaleString('en-US')}</td><td>{c.timeZone}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Pager label="Clients" first={after ? `/clients${query(filters)}` : undefined} next={page.next ? `/clients${query({ ...filters, after: page.next })}` : undefined} />
          </>
        ),
      };
    });
  },
};
