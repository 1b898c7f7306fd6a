import type { Child, FC } from 'hono/jsx';
import { clientTimeline } from '../../db/ledger.js';
import { getClient, listAssignments, type ClientRow } from '../../db/clients.js';
import { listCtas } from '../../db/ctas.js';
import { listStakeholders } from '../../db/stakeholders.js';
import { listPeople, type PersonRow } from '../../db/people.js';
import { ProblemError } from '../../api/problem.js';
import { queryProcess, type ProcessTarget } from '../../api/process-actions.js';
import {
  cadenceStatus, cadenceWorkflowId, ctaClocksWorkflowId, onboardingStatus, onboardingWorkflowId, placementReviewWorkflowId,
  type CadenceQueryResult, type OnboardingQueryResult,
} from '../../workflows/contracts.js';
import type { ConsolePage, PageContext } from '../core.js';
import { day, pct, short, temporalLink, when, words } from '../format.js';
import { Badge } from '../layout.js';
import { CtaTable, OPEN_CTA_STATES } from './ctas.js';
import { loadTimeline, Timeline, timelineQuery } from './timeline.js';

/**
 * A client's page: one section per area, each backed by the API operation(s) it names (a user sees
 * the sections their role may read). Issues adding an area (initiatives, proposals, budget and
 * roadmap versions; health and risks) add a ClientSection to CLIENT_SECTIONS.
 */
export interface ClientSection {
  id: string;
  title: string;
  operations: readonly string[];
  render(ctx: PageContext, client: ClientRow, shared: SharedData): Promise<Child>;
}

/** What several sections use, read once per page. */
export interface SharedData { people: Map<string, PersonRow> }

const ProcessLink: FC<{ ctx: PageContext; workflowId: string; label: string }> = ({ ctx, workflowId, label }) => {
  const href = temporalLink(ctx.options.temporalUiUrl, ctx.deps.temporal?.namespace, workflowId);
  return href ? <a class="temporal" href={href} target="_blank" rel="noopener">{label} in Temporal</a> : <span class="meta">workflow {workflowId}</span>;
};

const lateBy = (ms: number) => (ms >= 48 * 3_600_000 ? `${(ms / 86_400_000).toFixed(1)} days` : `${Math.max(1, Math.round(ms / 3_600_000))} h`);

/** A process's status through the API's query helper, or why there is none. */
async function processStatus<R>(ctx: PageContext, clientId: string, process: string, workflowId: string, q: Parameters<typeof queryProcess<R>>[2]): Promise<{ status: R } | { missing: string }> {
  const target: ProcessTarget = { process, label: process, clientId, workflowId, refusalTypes: {}, startHint: '' };
  try {
    return { status: await queryProcess(ctx.c, target, q) };
  } catch (err) {
    if (err instanceof ProblemError && (err.status === 404 || err.status === 503)) return { missing: err.status === 404 ? `No ${process} for this client.` : 'Workflows are unavailable (this API runs without Temporal).' };
    throw err;
  }
}

const placement: ClientSection = {
  id: 'placement', title: 'Placement', operations: ['getClient', 'getClientTimeline'],
  async render(ctx, client) {
    const p = client;
    const history = await clientTimeline(ctx.deps.db, client.id, { types: ['client.registered', 'client.updated', 'segment.changed', 'segment.overridden', 'segment.override_cleared', 'segment.review_due'], order: 'desc', limit: 20 });
    return (
      <>
        <dl class="summary">
          <dt>Segment</dt><dd><strong>{p.segment}</strong> · goal level {p.goalLevel} · {p.archetype}</dd>
          <dt>Touch tier</dt><dd>{p.touchTier} (MRR tier {p.mrrTier}, MRR {p.mrr.toLocaleString('en-US')})</dd>
          <dt>Rules</dt><dd>{p.segmentRuleIds.join(', ')} · policy v{p.placementPolicyVersion}</dd>
          <dt>Source</dt><dd>{p.segmentSource === 'override' && p.segmentOverride ? <>override by {p.segmentOverride.by} on {day(p.segmentOverride.at, client.timeZone)}: “{p.segmentOverride.rationale}”</> : 'computed (R-1..R-3)'}</dd>
          <dt>Calendar</dt><dd>{client.timeZone}{client.region ? ` · ${client.region}` : ''} · FY end {client.fiscalYearEnd}{client.renewalDate ? ` · renewal ${client.renewalDate}` : ''}</dd>
        </dl>
        <h3>Placement history and rationale</h3>
        {history.length === 0 ? <p class="muted">Nothing yet.</p> : (
          <ul class="history">
            {history.map((e) => {
              const why = e.why as Record<string, unknown>;
              return (
                <li>
                  <time datetime={e.occurredAt}>{when(e.occurredAt, client.timeZone)}</time> <span class="type">{e.type}</span> {e.ruleId && <span class="rule">{e.ruleId}</span>}{' '}
                  {placementGist(e.data as Record<string, unknown>)}
                  {typeof why.rationale === 'string' && <> · <q>{why.rationale}</q></>}
                  {' '}<a href={`/clients/${client.id}?type=${encodeURIComponent(e.type)}#event-${e.seq}`}>on the timeline</a>
                </li>
              );
            })}
          </ul>
        )}
        <p><ProcessLink ctx={ctx} workflowId={placementReviewWorkflowId(client.id)} label="Placement review (R-7)" /></p>
      </>
    );
  },
};

type PlacementFacts = { segment?: string; goalLevel?: number; touchTier?: string };
const placed = (p: PlacementFacts | undefined) => (p?.segment ? `${p.segment} · goal ${p.goalLevel} · ${p.touchTier}` : '');

/** A placement event in words: "A · goal 4 · VIP", or "C · goal 2 · High → B · goal 3 · High", or the fields changed. */
function placementGist(d: Record<string, unknown>): string {
  if (d.before && d.after) return `${placed(d.before as PlacementFacts)} → ${placed(d.after as PlacementFacts)}`;
  if (typeof d.segment === 'string') return placed(d as PlacementFacts);
  if (d.changes && typeof d.changes === 'object') return `changed ${Object.keys(d.changes).join(', ')}`;
  return short(d, 140);
}

const team: ClientSection = {
  id: 'team', title: 'Team', operations: ['listRoleAssignments'],
  async render(ctx, client, shared) {
    const rows = await listAssignments(ctx.deps.db, client.id);
    if (!rows.length) return <p class="muted">Nobody is assigned yet.</p>;
    const name = (id: string | null) => (id ? shared.people.get(id)?.name ?? id : '—');
    return (
      <table>
        <caption class="sr-only">Role assignments</caption>
        <thead><tr><th scope="col">Role</th><th scope="col">Person</th><th scope="col">Backup (R-122)</th></tr></thead>
        <tbody>{rows.map((r) => <tr><td>{r.role}</td><td><a href={`/my-work?person=${r.personId}`}>{name(r.personId)}</a></td><td>{name(r.backupPersonId)}</td></tr>)}</tbody>
      </table>
    );
  },
};

const onboarding: ClientSection = {
  id: 'onboarding', title: 'Onboarding', operations: ['getOnboarding'],
  async render(ctx, client) {
    const found = await processStatus<OnboardingQueryResult>(ctx, client.id, 'onboarding', onboardingWorkflowId(client.id), onboardingStatus);
    if ('missing' in found) return <p class="muted">{found.missing}</p>;
    const s = found.status;
    if (s.phase === 'starting') return <p>Starting: the plan is being recorded.</p>;
    const zone = s.timeZone ?? client.timeZone;
    const done = s.steps.filter((x) => x.state !== 'open').length;
    return (
      <>
        <p>
          <Badge kind={s.phase === 'completed' ? 'ok' : 'plain'}>{s.phase}</Badge>{' '}
          Day 0 {when(s.signedAt, zone)} · {s.currentStep ? <>now at step {s.currentStep.number} {words(s.currentStep.name)} ({s.currentStep.ruleId})</> : 'closed'} · policy v{s.policyVersion} · process v{s.processVersion}{' '}
          <ProcessLink ctx={ctx} workflowId={onboardingWorkflowId(client.id)} label="Onboarding" />
        </p>
        <p><label for="onb-progress">Steps done</label> <progress id="onb-progress" max={s.steps.length} value={done}>{done} of {s.steps.length}</progress> {done} of {s.steps.length}</p>
        {s.gates.map((g) => (
          <p>Delivery gate ({g.ruleId}): <Badge kind={g.open ? 'ok' : 'warn'}>{g.open ? 'open' : 'shut'}</Badge>{' '}
            {Object.entries(g.conditions).map(([k, v]) => <span class="cond">{v ? '✓' : '✗'} {words(k)}</span>)}</p>
        ))}
        <div class="table-wrap">
          <table>
            <caption>Deadlines, in the client's zone ({zone})</caption>
            <thead><tr><th scope="col">Deadline</th><th scope="col">Due</th><th scope="col">Rule</th><th scope="col">Owner</th><th scope="col">State</th></tr></thead>
            <tbody>
              {s.deadlines.map((d) => (
                <tr>
                  <td>{words(d.key)}</td>
                  <td><time datetime={d.dueAt}>{when(d.dueAt, zone)}</time></td>
                  <td>{d.ruleId}</td>
                  <td>{d.ownerRole}</td>
                  <td><Badge kind={d.status === 'missed' ? 'bad' : d.status === 'met' ? 'ok' : 'plain'}>{d.status}</Badge>{d.resolvedAt && <span class="meta"> {when(d.resolvedAt, zone)}</span>}{d.lateByMs ? <span class="meta"> · late by {lateBy(d.lateByMs)}</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <dl class="summary">
          <dt>KPIs (R-57)</dt>
          <dd>{Object.entries(s.kpis).map(([k, v]) => <span class="cond">{v === null ? '…' : v ? '✓' : '✗'} {words(k)}</span>)}</dd>
          <dt>Access (R-49)</dt>
          <dd>{pct(s.access.percent)} of the matrix (threshold {s.access.thresholdPct} %)</dd>
        </dl>
      </>
    );
  },
};

const cadence: ClientSection = {
  id: 'cadence', title: 'Cadence: the booked year', operations: ['getCadence'],
  async render(ctx, client) {
    const found = await processStatus<CadenceQueryResult>(ctx, client.id, 'cadence', cadenceWorkflowId(client.id), cadenceStatus);
    if ('missing' in found) return <p class="muted">{found.missing}</p>;
    const s = found.status;
    if (s.phase === 'starting') return <p>Starting: the year is being booked.</p>;
    const zone = s.timeZone ?? client.timeZone;
    return (
      <>
        <p>
          Locked {day(s.lockedAt, zone)} · booked through {s.bookedThrough} · {s.segment}/{s.touchTier} · policy v{s.policyVersion}
          {s.consecutiveMisses > 0 && <> · <Badge kind="bad">{s.consecutiveMisses} missed in a row</Badge></>}
          {s.autoRebookSuspended && <> · <Badge kind="warn">auto-rebook suspended (R-35)</Badge></>}{' '}
          <ProcessLink ctx={ctx} workflowId={cadenceWorkflowId(client.id)} label="Cadence" />
        </p>
        <MeetingStrip meetings={s.meetings} now={ctx.now} zone={zone} />
        <div class="table-wrap">
          <table class="meetings">
            <caption>Meetings and each one's cycle (R-24..R-32)</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Meeting</th><th scope="col">State</th><th scope="col">Prep (R-24, R-25)</th><th scope="col">Pre-read (R-26)</th><th scope="col">Held (R-27)</th><th scope="col">Recap (R-29)</th></tr></thead>
            <tbody>
              {s.meetings.map((m) => (
                <tr id={m.meetingId ? `meeting-${m.meetingId}` : undefined} class={m.strategic ? 'strategic' : undefined}>
                  <td><time datetime={m.startsAt}>{when(m.startsAt, zone)}</time></td>
                  <td>{m.template}{m.strategic && <Badge kind="plain">strategic</Badge>}<span class="meta">{m.mode} · {m.raci?.accountable ?? ''}</span></td>
                  <td><Badge kind={m.status === 'missed' ? 'bad' : m.status === 'held' ? 'ok' : m.status === 'unbooked' ? 'warn' : 'plain'}>{m.status}</Badge>
                    {m.status === 'scheduled' && Date.parse(m.startsAt) < ctx.now.getTime() && <Badge kind="warn">not marked held</Badge>}{m.supersededBy && <span class="meta"> superseded</span>}</td>
                  <td>{m.prep ? <>{m.prep.attachedAt ? `pack ${when(m.prep.attachedAt, zone)}` : `due ${when(m.prep.dueAt, zone)}`}{m.prep.signedOffAt ? ' · signed off' : ''}{m.prep.late ? ' · late' : ''}</> : '—'}</td>
                  <td>{m.preRead ? (m.preRead.sentAt ? `sent ${when(m.preRead.sentAt, zone)}` : `due ${when(m.preRead.dueAt, zone)}`) : '—'}</td>
                  <td>{m.held ? `${m.held.decisions} decision(s)${m.held.sponsorPresent ? ', sponsor present' : ''}` : '—'}</td>
                  <td>{m.recap ? (m.recap.sentAt ? `sent ${when(m.recap.sentAt, zone)}` : `due ${when(m.recap.dueAt, zone)}`) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </>
    );
  },
};

/** The booked year at a glance: one mark per meeting on a month axis (the table below carries the same facts). */
const MeetingStrip: FC<{ meetings: { startsAt: string; status: string; strategic: boolean; template: string }[]; now: Date; zone: string }> = ({ meetings, now, zone }) => {
  if (!meetings.length) return null;
  const times = meetings.map((m) => Date.parse(m.startsAt));
  const from = Math.min(...times, now.getTime());
  const to = Math.max(...times, now.getTime()) + 86_400_000;
  const W = 1000;
  const x = (t: number) => Math.round(((t - from) / (to - from)) * (W - 20)) + 10;
  const months: number[] = [];
  for (let d = new Date(Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth() + 1, 1)); d.getTime() < to; d.setUTCMonth(d.getUTCMonth() + 1)) months.push(d.getTime());
  return (
    <figure class="strip">
      <svg viewBox={`0 0 ${W} 70`} role="img" aria-label={`${meetings.length} meetings from ${day(new Date(from).toISOString(), zone)} to ${day(new Date(to).toISOString(), zone)}; strategic ones are tall marks, misses red`}>
        <line x1="10" y1="40" x2={W - 10} y2="40" class="axis" />
        {months.map((t) => <><line x1={x(t)} y1="34" x2={x(t)} y2="46" class="tick" /><text x={x(t) + 2} y="62" class="label">{new Date(t).toISOString().slice(0, 7)}</text></>)}
        <line x1={x(now.getTime())} y1="4" x2={x(now.getTime())} y2="50" class="now" />
        {meetings.map((m) => (
          <rect x={x(Date.parse(m.startsAt)) - 2} y={m.strategic ? 12 : 28} width="4" height={m.strategic ? 28 : 12} class={`mark ${m.status}`}>
            <title>{`${m.template} ${when(m.startsAt, zone)} (${m.status})`}</title>
          </rect>
        ))}
      </svg>
      <figcaption>Meeting timeline: tall marks are strategic meetings; colour and the table give each one's state. The vertical line is now.</figcaption>
    </figure>
  );
};

const ctasSection: ClientSection = {
  id: 'ctas', title: 'Open CTAs', operations: ['listCtas'],
  async render(ctx, client, shared) {
    const page = await listCtas(ctx.deps.db, { clientId: client.id, state: OPEN_CTA_STATES, sort: 'dueAt', now: ctx.now.toISOString(), limit: 100 });
    return (
      <>
        <CtaTable ctx={ctx} rows={page.items} people={shared.people} returnTo={`/clients/${client.id}#ctas`} zone={client.timeZone} caption={`Open CTAs of ${client.name}, soonest due first`} />
        <p><ProcessLink ctx={ctx} workflowId={ctaClocksWorkflowId(client.id)} label="First-action clocks (C-5, R-122)" /></p>
        {page.next && <p class="meta">Showing the first 100; <a href={`/my-work`}>My work</a> lists each person's.</p>}
      </>
    );
  },
};

const stakeholders: ClientSection = {
  id: 'stakeholders', title: 'Stakeholders', operations: ['listClientStakeholders'],
  async render(ctx, client) {
    const rows = await listStakeholders(ctx.deps.db, client.id);
    if (!rows.length) return <p class="muted">No stakeholders registered.</p>;
    return (
      <table>
        <caption class="sr-only">The client's people</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Title</th><th scope="col">Roles</th><th scope="col">Active</th></tr></thead>
        <tbody>{rows.map((r) => <tr><td>{r.name}{r.email && <span class="meta">{r.email}</span>}</td><td>{r.title ?? ''}</td><td>{r.roles.map(words).join(', ')}</td><td>{r.active ? 'yes' : `left ${r.deactivatedAt ? day(r.deactivatedAt, client.timeZone) : ''}`}</td></tr>)}</tbody>
      </table>
    );
  },
};

const timeline: ClientSection = {
  id: 'timeline', title: 'Timeline', operations: ['getClientTimeline'],
  async render(ctx, client) {
    const f = timelineQuery(ctx);
    const data = await loadTimeline(ctx, client.id, client.timeZone, f);
    return <Timeline ctx={ctx} clientId={client.id} zone={client.timeZone} f={f} data={data} processes={['onboarding', 'cadence', 'cta', 'client', 'placement-review', 'manual', 'policy']} />;
  },
};

/** The client page's sections, in order. Add an area's section here. */
export const CLIENT_SECTIONS: ClientSection[] = [placement, team, onboarding, cadence, ctasSection, stakeholders, timeline];

export const clientPage: ConsolePage = {
  id: 'clients', label: 'Client', operations: ['getClient'],
  routes(router) {
    router.get('/clients/:clientId', async (ctx) => {
      const id = ctx.c.req.param('clientId')!.toLowerCase();
      const client = /^[0-9a-f-]{36}$/.test(id) ? await getClient(ctx.deps.db, id) : undefined;
      if (!client) return { status: 404, title: 'Unknown client', body: <p>No client with id {id}. <a href="/clients">All clients</a></p> };
      const staff = await listPeople(ctx.deps.db, { limit: 500 });
      const shared: SharedData = { people: new Map(staff.items.map((p) => [p.id, p])) };
      const visible = CLIENT_SECTIONS.filter((s) => ctx.may(...s.operations));
      const rendered = await Promise.all(visible.map((s) => s.render(ctx, client, shared)));
      return {
        title: client.name,
        body: (
          <>
            <h1>{client.name} <Badge kind="plain">{client.segment}</Badge></h1>
            <nav class="sections" aria-label="Sections">
              <ul>{visible.map((s) => <li><a href={`#${s.id}`}>{s.title}</a></li>)}</ul>
            </nav>
            {visible.map((s, i) => (
              <section id={s.id} class="panel" aria-labelledby={`${s.id}-h`}>
                <h2 id={`${s.id}-h`}>{s.title}</h2>
                {rendered[i]}
              </section>
            ))}
          </>
        ),
      };
    });
  },
};
