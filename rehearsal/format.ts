import type { LedgerEvent } from '../db/ledger.js';
import type { ClientState, RehearsalResult } from './run.js';

/**
 * The human-readable report of `baton rehearse` (without `--json`): steps, then each client's timeline
 * and final state (full detail), then one summary line per client and the portfolio's totals.
 */
export function formatRehearsal(r: RehearsalResult): string {
  const details = Object.entries(r.timelines).map(([clientId, events]) => formatClientDetail(clientId, events, r.states[clientId]!));
  return [formatHeader(r), ...details, formatSummary(r)].join('\n\n');
}

/** Title and steps. */
export function formatHeader(r: Pick<RehearsalResult, 'scenario' | 'start' | 'end' | 'steps'>): string {
  const lines: string[] = [`Rehearsal "${r.scenario}" from ${r.start} to ${r.end}`, '', 'Steps'];
  for (const s of r.steps) {
    const detail = s.status >= 400 && s.body && typeof s.body === 'object' && 'detail' in s.body ? ` — ${(s.body as { detail: string }).detail}` : '';
    lines.push(`  ${s.ok ? '✓' : '✗'} ${s.at}  ${s.op.padEnd(30)} ${s.status}${s.expected && s.expected !== s.status ? ` (expected ${s.expected})` : ''}${detail}`);
  }
  return lines.join('\n');
}

/** One client's timeline and final state. */
export function formatClientDetail(clientId: string, events: LedgerEvent[], state: ClientState): string {
  const lines: string[] = [`Client ${state.ref} (${clientId})`];
  for (const e of events) {
    const data = e.data as Record<string, unknown>;
    const what = data.deadline ?? data.fact ?? data.kind ?? data.name ?? data.gate ?? data.level ?? '';
    const due = typeof data.dueAt === 'string' ? ` due ${data.dueAt}` : '';
    lines.push(`  ${e.occurredAt}  ${e.type.padEnd(22)} ${(e.ruleId ?? '').padEnd(6)} ${String(what)}${due}`);
  }
  const o = state.onboarding;
  if (o && 'steps' in o) {
    lines.push(`  onboarding: ${o.phase}; current step ${o.currentStep ? `${o.currentStep.number} ${o.currentStep.name}` : '—'}; gate ${o.gates[0]!.open ? 'open' : 'shut'}; access ${o.access.percent} %`);
    lines.push(`  KPIs: kickoff on time ${flag(o.kpis.kickoffWithinBusinessDays)}, access by Day 14 ${flag(o.kpis.accessByCheckpoint)}, early wins by Day 30 ${flag(o.kpis.earlyWinsByCheckpoint)}`);
  }
  const open = state.ctas.filter((c) => c.state !== 'done' && c.state !== 'cancelled');
  lines.push(`  CTAs: ${state.ctas.length} (${open.length} open${open.length ? `: ${open.map((c) => `${c.kind}/${c.state}`).join(', ')}` : ''})`);
  return lines.join('\n');
}

/** One line per client (segment, ledger events, meetings, CTAs, cadence horizon) and the totals. */
export function formatSummary(r: Pick<RehearsalResult, 'summaries' | 'totals' | 'wallMs' | 'clock'>): string {
  const rows = Object.values(r.summaries).map((s) => [
    s.ref, s.segment ?? '—', String(s.events), String(s.meetings.total), String(s.meetings.strategic),
    String(s.meetings.byState.held ?? 0), String(s.meetings.byState.missed ?? 0),
    `${s.ctas.open}/${s.ctas.total}`, String(s.eventsByType['cta.escalated'] ?? 0),
    s.cadence?.bookedThrough ?? (s.onboarding?.phase ?? '—'), s.lastEventAt ?? '—',
  ]);
  const head = ['client', 'seg', 'events', 'meetings', 'strategic', 'held', 'missed', 'CTAs open', 'escalations', 'booked to', 'last event'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i < 2 || i >= 9 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
  const t = r.totals;
  const kinds = Object.entries(t.meetingsByKind).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `Summary (${t.clients} client${t.clients === 1 ? '' : 's'}, rehearsed in ${(r.wallMs / 1000).toFixed(1)} s)`,
    line(head), ...rows.map(line),
    '',
    `  Totals: ${t.events} ledger events, ${t.meetings} meetings${kinds ? ` (${kinds})` : ''}, ${t.ctas} CTAs (${t.openCtas} open), ${t.escalations} escalations, ${t.misses} misses`,
    `  Clock: ${r.clock.slices} calls to skip time (at most a day each), ${r.clock.unanswered} failed and watched, ${r.clock.resent} sent again`,
  ].join('\n');
}

const flag = (v: boolean | null) => (v === null ? 'pending' : v ? 'met' : 'missed');
