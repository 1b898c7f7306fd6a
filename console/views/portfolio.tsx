import type { Child, FC } from 'hono/jsx';
import { capacityReport, type CapacityReport } from '../../db/capacity.js';
import { clientCounts } from '../../db/clients.js';
import { activePolicy, type PolicyVersion } from '../../db/policies.js';
import { portfolioRadar, type Figure, type PortfolioRadar } from '../../db/radar.js';
import type { ConsolePage, PageContext } from '../core.js';
import { day, pct, query, when } from '../format.js';
import { Badge } from '../layout.js';

/**
 * The portfolio: the Cadence Radar (R-38, R-39), clients by segment and touch tier, and the load
 * heatmap by role and week (R-37). One panel per figure group, each backed by the API operation it
 * names; areas still to come (health colours and At-Risk accounts, investment, capacity gap and
 * KPIs) add a PortfolioPanel to PORTFOLIO_PANELS.
 */
export interface PortfolioData {
  policy: PolicyVersion;
  /** Read once per page view and shared by the panels that show load (R-37). */
  capacity: () => Promise<CapacityReport>;
  lookbackDays: number;
}

export interface PortfolioPanel {
  id: string;
  title: string;
  operations: readonly string[];
  render(ctx: PageContext, data: PortfolioData): Promise<Child>;
}

const FigureRow: FC<{ label: string; rule: string; f: Figure; records?: string }> = ({ label, rule, f, records }) => (
  <tr>
    <th scope="row">{label} <span class="rule">{rule}</span></th>
    <td class="num" data-label="Value">{pct(f.value)}</td>
    <td class="num" data-label="Counted">{records ? <a href={records}>{f.numerator} of {f.denominator}</a> : `${f.numerator} of ${f.denominator}`}</td>
    <td class="num" data-label="Target">{f.target} %</td>
    <td data-label="Verdict">{f.meets === null ? <Badge kind="plain">nothing to measure</Badge> : f.meets ? <Badge kind="ok">meets target</Badge> : <Badge kind="bad">below target</Badge>}</td>
  </tr>
);

const radarPanel: PortfolioPanel = {
  id: 'radar', title: 'Cadence Radar', operations: ['getPortfolioRadar'],
  async render(ctx, data) {
    const zone = data.policy.document.capacity.weekTimeZone;
    const r: PortfolioRadar = await portfolioRadar(ctx.deps.db, ctx.now, data.policy, { lookbackDays: data.lookbackDays, capacity: await data.capacity() });
    return (
      <>
        <p class="meta">As of {when(r.asOf, zone)} · lookback {r.lookbackDays} days · policy v{r.policyVersion} · <a href="/portfolio?lookbackDays=7">7</a> / <a href="/portfolio?lookbackDays=30">30</a> / <a href="/portfolio?lookbackDays=90">90</a> days</p>
        <h3 id="past-due">Past-due strategic meetings <Badge kind={r.pastDue.total ? 'bad' : 'ok'}>{r.pastDue.total}</Badge></h3>
        {r.pastDue.items.length === 0 ? <p class="muted">None: every strategic meeting was held or is still ahead.</p> : (
          <div class="table-wrap">
            <table class="cards">
              <caption>Oldest first{r.pastDue.total > r.pastDue.items.length ? ` (the first ${r.pastDue.items.length} of ${r.pastDue.total}, capacity.radarTopPastDue)` : ''}; each gets an owner and a next date (R-38)</caption>
              <thead><tr><th scope="col">Client</th><th scope="col">Meeting</th><th scope="col">Was due</th><th scope="col">Owner</th><th scope="col">Next strategic date</th></tr></thead>
              <tbody>
                {r.pastDue.items.map((m) => (
                  <tr>
                    <td data-label="Client"><a href={`/clients/${m.clientId}#meeting-${m.meetingId}`}>{m.clientName}</a></td>
                    <td data-label="Meeting">{m.kind} <Badge kind={m.state === 'missed' ? 'bad' : 'warn'}>{m.state === 'missed' ? 'missed' : 'not marked held'}</Badge></td>
                    <td data-label="Was due"><time datetime={m.startsAt}>{when(m.startsAt, zone)}</time></td>
                    <td data-label="Owner">{m.owner.name ?? <Badge kind="warn">nobody</Badge>}{m.owner.role && <span class="meta">{m.owner.role}</span>}</td>
                    <td data-label="Next strategic date">{m.nextDate ? <time datetime={m.nextDate}>{day(m.nextDate, zone)}</time> : <Badge kind="warn">none booked</Badge>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="table-wrap">
          <table class="figures cards">
            <caption>Cadence KPIs against their policy targets (kpis.cadence.*)</caption>
            <thead><tr><th scope="col">KPI</th><th scope="col">Value</th><th scope="col">Counted</th><th scope="col">Target</th><th scope="col">Verdict</th></tr></thead>
            <tbody>
              <FigureRow label="Coverage, next 30 days" rule="R-39, A-10" f={r.coverageNext30Days} records="/clients" />
              <FigureRow label="Recap within 48 h" rule="R-29" f={r.recapWithin48h} />
              <FigureRow label="First action within 72 h" rule="C-5" f={r.firstActionWithin72h} records="/my-work" />
              <FigureRow label="Meetings with a decision" rule="R-27" f={r.meetingsWithDecision} />
              {(['A', 'B', 'C', 'D'] as const).map((s) => <FigureRow label={`Sponsor seen ≤${data.policy.document.health.sponsorHeartbeatDays} days, segment ${s}`} rule="R-104" f={r.sponsorSeenBySegment[s]} records={`/clients${query({ segment: s })}`} />)}
            </tbody>
          </table>
        </div>
        <div class="table-wrap">
          <table>
            <caption>Load by role, next 30 days (R-37: auto-booking stops above {data.policy.document.capacity.autoBookCapPct} %, rebalance above {data.policy.document.capacity.rebalanceAbovePct} %)</caption>
            <thead><tr><th scope="col">Role</th><th scope="col">People</th><th scope="col">Meetings</th><th scope="col">Hours</th><th scope="col">Available</th><th scope="col">Load</th></tr></thead>
            <tbody>
              {r.loadByRole.map((l) => (
                <tr><th scope="row">{l.role}</th><td class="num">{l.people}</td><td class="num">{l.meetings}</td><td class="num">{l.hours}</td><td class="num">{l.availableHours}</td>
                  <td class="num">{pct(l.loadPct)} {l.overRebalance ? <Badge kind="bad">over {data.policy.document.capacity.rebalanceAbovePct} %</Badge> : l.overAutoBookCap ? <Badge kind="warn">over cap</Badge> : null}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </>
    );
  },
};

const countsPanel: PortfolioPanel = {
  id: 'segments', title: 'Clients by segment and touch tier', operations: ['listClients'],
  async render(ctx) {
    const rows = await clientCounts(ctx.deps.db);
    const tiers = ['VIP', 'High', 'Mid', 'Tech'];
    const cell = (s: string, t: string) => rows.find((r) => r.segment === s && r.touchTier === t)?.clients ?? 0;
    const total = rows.reduce((n, r) => n + r.clients, 0);
    return (
      <div class="table-wrap">
        <table class="counts">
          <caption>{total} clients (R-1 segment, R-3 touch tier); each count lists its clients</caption>
          <thead><tr><th scope="col">Segment</th>{tiers.map((t) => <th scope="col">{t}</th>)}<th scope="col">All</th></tr></thead>
          <tbody>
            {['A', 'B', 'C', 'D'].map((s) => (
              <tr>
                <th scope="row"><a href={`/clients${query({ segment: s })}`}>{s}</a></th>
                {tiers.map((t) => <td class="num">{cell(s, t) ? <a href={`/clients${query({ segment: s, touchTier: t })}`}>{cell(s, t)}</a> : 0}</td>)}
                <td class="num">{rows.filter((r) => r.segment === s).reduce((n, r) => n + r.clients, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  },
};

/** A heat bucket for a load percentage (the cell also prints the number: colour is never the only cue). */
const bucket = (v: number | null) => (v === null ? 'none' : v === 0 ? 'l0' : v < 50 ? 'l1' : v < 75 ? 'l2' : v <= 90 ? 'l3' : v <= 100 ? 'l4' : 'l5');

const loadPanel: PortfolioPanel = {
  id: 'load', title: 'Load heatmap by role and week', operations: ['getCapacity'],
  async render(ctx, data) {
    const cap = await data.capacity();
    const weeks = cap.roles[0]?.weeks ?? [];
    return (
      <>
        <div class="table-wrap">
          <table class="heatmap">
            <caption>Meeting + prep hours ÷ available hours per ISO week ({cap.weekTimeZone}); over {cap.thresholds.rebalanceAbovePct} % is flagged (R-37)</caption>
            <thead><tr><th scope="col">Role</th>{weeks.map((w) => <th scope="col" title={`week of ${w.startsOn}`}>{w.week.slice(5)}</th>)}</tr></thead>
            <tbody>
              {cap.roles.map((r) => (
                <tr>
                  <th scope="row">{r.role} <span class="meta">{r.people === 1 ? '1 person' : `${r.people} people`}</span></th>
                  {r.weeks.map((w) => <td class={`heat ${bucket(w.loadPct)}${w.overRebalance ? ' over' : ''}`}>{w.loadPct === null ? '—' : `${Math.round(w.loadPct)}%`}{w.overRebalance ? ' !' : ''}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="legend" aria-hidden="true"><span class="heat l1">&lt;50%</span><span class="heat l2">50–75%</span><span class="heat l3">75–90%</span><span class="heat l4">90–100%</span><span class="heat l5">&gt;100%</span></p>
        {cap.flaggedWeeks.filter((f) => f.personId === null && f.nextWeek).map((f) => <p><Badge kind="bad">Rebalance next week</Badge> {f.role}: {pct(f.loadPct)} in {f.week} (R-37)</p>)}
      </>
    );
  },
};

/** The portfolio's panels, in order. Add an area's panel here. */
export const PORTFOLIO_PANELS: PortfolioPanel[] = [radarPanel, countsPanel, loadPanel];

export const portfolioPage: ConsolePage = {
  id: 'portfolio', label: 'Portfolio', path: '/portfolio', operations: ['getPortfolioRadar'],
  routes(router) {
    router.get('/portfolio', async (ctx) => {
      const lookback = Number(ctx.c.req.query('lookbackDays'));
      const lookbackDays = Number.isInteger(lookback) && lookback >= 1 && lookback <= 365 ? lookback : 30;
      const policy = await activePolicy(ctx.deps.db);
      let capacity: Promise<CapacityReport> | undefined;
      const data: PortfolioData = { policy, lookbackDays, capacity: () => (capacity ??= capacityReport(ctx.deps.db, ctx.now, policy)) };
      const panels = PORTFOLIO_PANELS.filter((p) => ctx.may(...p.operations));
      const rendered = await Promise.all(panels.map((p) => p.render(ctx, data)));
      return {
        title: 'Portfolio',
        body: (
          <>
            <h1>Portfolio</h1>
            {panels.map((p, i) => (
              <section id={p.id} class="panel" aria-labelledby={`${p.id}-h`}>
                <h2 id={`${p.id}-h`}>{p.title}</h2>
                {rendered[i]}
              </section>
            ))}
          </>
        ),
      };
    });
  },
};
