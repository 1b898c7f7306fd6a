import { DateTime } from 'luxon';
import type { FC } from 'hono/jsx';
import { clientTimeline, type LedgerEvent } from '../../db/ledger.js';
import type { PageContext } from '../core.js';
import { query, short, when } from '../format.js';

/**
 * A client's timeline (the ledger, GET /v1/clients/{id}/timeline's repository), newest first,
 * filtered by process, type, rule, actor and dates; every entry expands to its `why` (the rule and
 * the inputs that decided it) and its data. Paged by sequence number.
 */
export const TIMELINE_PAGE = 50;

export interface TimelineQuery { process?: string; type?: string; rule?: string; actor?: string; from?: string; to?: string; before?: string }

export function timelineQuery(ctx: PageContext): TimelineQuery {
  const q = (k: string) => {
    const v = ctx.c.req.query(k)?.trim();
    return v ? v.slice(0, 200) : undefined;
  };
  return { process: q('process'), type: q('type'), rule: q('rule'), actor: q('actor'), from: q('from'), to: q('to'), before: q('before') };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const localBound = (d: string | undefined, zone: string, end: boolean) => {
  if (!d || !DATE.test(d)) return undefined;
  const t = DateTime.fromISO(d, { zone });
  return t.isValid ? (end ? t.endOf('day') : t.startOf('day')).toUTC().toISO()! : undefined;
};

export async function loadTimeline(ctx: PageContext, clientId: string, zone: string, f: TimelineQuery) {
  const before = f.before && /^\d{1,12}$/.test(f.before) ? Number(f.before) : undefined;
  const rows = await clientTimeline(ctx.deps.db, clientId, {
    process: f.process, types: f.type ? [f.type] : undefined, ruleId: f.rule, actor: f.actor,
    from: localBound(f.from, zone, false), to: localBound(f.to, zone, true), beforeSeq: before, order: 'desc', limit: TIMELINE_PAGE + 1,
  });
  return { events: rows.slice(0, TIMELINE_PAGE), older: rows.length > TIMELINE_PAGE ? rows[TIMELINE_PAGE - 1]!.seq : undefined };
}

const actorName = (e: LedgerEvent) => (e.actor.kind === 'system' ? 'Baton' : `${e.actor.name ?? e.actor.id ?? e.actor.kind}${e.actor.role ? ` (${e.actor.role})` : ''}`);

const Facts: FC<{ values: Record<string, unknown> }> = ({ values }) => {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return <p class="muted">—</p>;
  return (
    <dl class="facts">
      {entries.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v !== null && typeof v === 'object' ? <code>{short(v, 600)}</code> : String(v)}</dd>
        </>
      ))}
    </dl>
  );
};

export const Timeline: FC<{ ctx: PageContext; clientId: string; zone: string; f: TimelineQuery; data: Awaited<ReturnType<typeof loadTimeline>>; processes: string[] }> = ({ clientId, zone, f, data, processes }) => {
  const base = `/clients/${clientId}`;
  const filters = { process: f.process, type: f.type, rule: f.rule, actor: f.actor, from: f.from, to: f.to };
  return (
    <div id="timeline">
      <form method="get" action={`${base}#timeline`} class="filters" role="search" aria-label="Filter the timeline">
        <label>Process
          <select name="process">
            <option value="">any</option>
            {processes.map((p) => <option value={p} selected={f.process === p}>{p}</option>)}
          </select>
        </label>
        <label>Type <input name="type" value={f.type ?? ''} placeholder="e.g. deadline.missed" maxlength={100} /></label>
        <label>Rule <input name="rule" value={f.rule ?? ''} placeholder="e.g. R-47" maxlength={12} /></label>
        <label>Actor <input name="actor" value={f.actor ?? ''} placeholder="system, user, a name" maxlength={200} /></label>
        <label>From <input type="date" name="from" value={f.from ?? ''} /></label>
        <label>To <input type="date" name="to" value={f.to ?? ''} /></label>
        <button type="submit">Filter</button>
        <a href={`${base}#timeline`}>Clear</a>
      </form>
      {data.events.length === 0 && <p class="muted">No entries match.</p>}
      <ol class="timeline" reversed>
        {data.events.map((e) => (
          <li id={`event-${e.seq}`}>
            <details>
              <summary>
                <time datetime={e.occurredAt}>{when(e.occurredAt, zone)}</time>
                <span class="type">{e.type}</span>
                {e.ruleId && <span class="rule">{e.ruleId}</span>}
                <span class="process">{e.process}</span>
                <span class="actor">{actorName(e)}</span>
                <span class="gist">{gist(e)}</span>
              </summary>
              <div class="why">
                <h4>Why</h4>
                <Facts values={e.why} />
                <h4>What</h4>
                <Facts values={e.data} />
                <p class="meta">Event {e.id} · recorded {when(e.recordedAt, zone)}{e.workflowId ? ` · workflow ${e.workflowId}` : ''}</p>
              </div>
            </details>
          </li>
        ))}
      </ol>
      <nav class="pager" aria-label="Timeline pages">
        {f.before && <a href={`${base}${query(filters)}#timeline`}>Newest</a>}
        {data.older !== undefined && <a href={`${base}${query({ ...filters, before: data.older })}#timeline`} rel="next">Older entries</a>}
      </nav>
    </div>
  );
};

/** One line saying what the entry is about, from its data. */
function gist(e: LedgerEvent): string {
  const d = e.data as Record<string, unknown>;
  const pick = d.title ?? d.deadline ?? d.name ?? d.template ?? d.trigger ?? d.signal ?? d.step ?? d.note ?? d.reason ?? d.kind;
  const at = typeof d.startsAt === 'string' ? ` ${d.startsAt.slice(0, 16).replace('T', ' ')}Z` : typeof d.dueAt === 'string' && e.type.startsWith('deadline') ? '' : '';
  return pick === undefined ? at.trim() : `${short(pick, 80)}${at}`;
}
