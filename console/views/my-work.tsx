import { DateTime } from 'luxon';
import { feedContents } from '../../db/calendar-feeds.js';
import { clientsByIds } from '../../db/clients.js';
import { listCtas } from '../../db/ctas.js';
import { activePolicy } from '../../db/policies.js';
import { getPerson, listPeople, personByEmail, type PersonRow } from '../../db/people.js';
import { ProblemError } from '../../api/problem.js';
import { queryProcess } from '../../api/process-actions.js';
import { cadenceStatus, cadenceWorkflowId, type CadenceQueryResult } from '../../workflows/contracts.js';
import type { ConsolePage, PageContext } from '../core.js';
import { query, when } from '../format.js';
import { Badge, Pager } from '../layout.js';
import { CtaTable, OPEN_CTA_STATES, registerCtaActions } from './ctas.js';

const PAGE = 50;

/** Prep status of strategic meetings, from each client's cadence (the API's getCadence query). */
async function prepStatuses(ctx: PageContext, clientIds: string[]) {
  const byMeeting = new Map<string, { prep: string; late: boolean }>();
  await Promise.all([...new Set(clientIds)].map(async (clientId) => {
    let s: CadenceQueryResult;
    try {
      s = await queryProcess(ctx.c, { process: 'cadence', label: 'cadence', clientId, workflowId: cadenceWorkflowId(clientId), refusalTypes: {}, startHint: '' }, cadenceStatus);
    } catch (err) {
      if (err instanceof ProblemError) return; // no cadence (or no Temporal): nothing to show
      throw err;
    }
    if (s.phase !== 'running') return;
    for (const m of s.meetings) {
      if (!m.meetingId) continue;
      const p = m.prep;
      const prep = !p ? 'no prep cycle' : p.signedOffAt ? 'prep signed off' : p.attachedAt ? 'pack attached, sign-off pending' : `pack due ${when(p.dueAt, s.timeZone)}`;
      byMeeting.set(m.meetingId, { prep: m.preRead?.sentAt ? `${prep}; pre-read sent` : prep, late: !!p && !p.attachedAt && Date.parse(p.dueAt) < ctx.now.getTime() });
    }
  }));
  return byMeeting;
}

/**
 * A person's work (My work): their open CTAs by due date with overdue and escalation marks and the
 * one-click actions, and their meetings this week with prep status. The signed-in user's own by
 * default (their email matches a person); anyone's through the picker (GET /v1/ctas is a read for
 * every role).
 */
export const myWorkPage: ConsolePage = {
  id: 'my-work', label: 'My work', path: '/my-work', operations: ['listCtas', 'listPeople'],
  routes(router) {
    registerCtaActions(router);
    router.get('/my-work', async (ctx) => {
      const { db } = ctx.deps;
      const asked = ctx.c.req.query('person');
      const person: PersonRow | undefined = asked && /^[0-9a-f-]{36}$/i.test(asked)
        ? await getPerson(db, asked.toLowerCase())
        : ctx.principal.email ? await personByEmail(db, ctx.principal.email) : undefined;
      const staff = await listPeople(db, { active: true, limit: 500 });
      const people = new Map(staff.items.map((p) => [p.id, p]));
      if (person) people.set(person.id, person);
      const picker = (
        <form method="get" action="/my-work" class="filters" aria-label="Whose work">
          <label>Person
            <select name="person">
              {!person && <option value="">choose…</option>}
              {[...people.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => <option value={p.id} selected={p.id === person?.id}>{p.name} ({p.roles.join(', ')})</option>)}
            </select>
          </label>
          <button type="submit">Show</button>
        </form>
      );
      if (!person) {
        return { title: 'My work', body: <><h1>My work</h1><p>{ctx.principal.email ? `No person in the registry has your email (${ctx.principal.email}).` : 'Signed in with an API key: choose whose work to see.'}</p>{picker}</> };
      }
      const policy = await activePolicy(db);
      const zone = policy.document.capacity.weekTimeZone;
      const after = ctx.c.req.query('after')?.slice(0, 200);
      const [page, overdue] = await Promise.all([
        listCtas(db, { ownerId: person.id, state: OPEN_CTA_STATES, sort: 'dueAt', after, now: ctx.now.toISOString(), limit: PAGE }),
        listCtas(db, { ownerId: person.id, overdue: true, now: ctx.now.toISOString(), limit: 500 }),
      ]);
      const week = DateTime.fromJSDate(ctx.now).setZone(zone).startOf('week');
      const [weekStart, weekEnd] = [week.toUTC().toISO()!, week.plus({ weeks: 1 }).toUTC().toISO()!];
      const feed = await feedContents(db, person.id, weekStart);
      const meetings = feed.meetings.filter((m) => m.meeting.startsAt < weekEnd && ['scheduled', 'held', 'missed', 'unbooked'].includes(m.meeting.state));
      const [clients, prep] = await Promise.all([
        clientsByIds(db, page.items.flatMap((r) => (r.clientId ? [r.clientId] : []))),
        prepStatuses(ctx, meetings.filter((m) => m.meeting.strategic).map((m) => m.meeting.clientId)),
      ]);
      const clientNames = new Map(clients.map((c) => [c.id, c.name]));
      const self = `/my-work${query({ person: asked ? person.id : undefined })}`;
      return {
        title: person.id === (ctx.principal.email && (await personByEmail(db, ctx.principal.email))?.id) ? 'My work' : `${person.name}'s work`,
        body: (
          <>
            <h1>{person.name}'s work</h1>
            {picker}
            <section class="panel" id="ctas" aria-labelledby="ctas-h">
              <h2 id="ctas-h">Open CTAs <Badge kind={overdue.items.length ? 'bad' : 'ok'}>{overdue.items.length} overdue</Badge></h2>
              <CtaTable ctx={ctx} rows={page.items} clientNames={clientNames} people={people} returnTo={`${self}${after ? `${self.includes('?') ? '&' : '?'}after=${encodeURIComponent(after)}` : ''}`} zone={zone} caption="Soonest due first; overdue: past due, or past the first-action SLA (C-5)" />
              <Pager label="CTAs" first={after ? self : undefined} next={page.next ? `/my-work${query({ person: person.id, after: page.next })}` : undefined} />
            </section>
            <section class="panel" id="meetings" aria-labelledby="meetings-h">
              <h2 id="meetings-h">Meetings this week</h2>
              {meetings.length === 0 ? <p class="muted">No meetings this week.</p> : (
                <div class="table-wrap">
                  <table>
                    <caption>Week of {week.toFormat('d LLL yyyy')} ({zone}); the clients {person.name} holds a role for, or is Accountable for</caption>
                    <thead><tr><th scope="col">When</th><th scope="col">Client</th><th scope="col">Meeting</th><th scope="col">State</th><th scope="col">Prep</th></tr></thead>
                    <tbody>
                      {meetings.map(({ meeting: m, clientName }) => {
                        const p = prep.get(m.id);
                        return (
                          <tr>
                            <td><time datetime={m.startsAt}>{when(m.startsAt, zone)}</time></td>
                            <td><a href={`/clients/${m.clientId}#meeting-${m.id}`}>{clientName}</a></td>
                            <td>{m.kind}{m.strategic && <Badge kind="plain">strategic</Badge>}</td>
                            <td>{m.state}</td>
                            <td>{m.strategic ? (p ? <>{p.late && <Badge kind="bad">late</Badge>} {p.prep}</> : '—') : 'no prep pack (tactical)'}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        ),
      };
    });
  },
};
