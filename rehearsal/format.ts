import type { RehearsalResult } from './run.js';

/** The human-readable report of `baton rehearse` (without `--json`): steps, then each client's timeline and final state. */
export function formatRehearsal(r: RehearsalResult): string {
  const lines: string[] = [`Rehearsal "${r.scenario}" from ${r.start} to ${r.end}`, '', 'Steps'];
  for (const s of r.steps) {
    const detail = s.status >= 400 && s.body && typeof s.body === 'object' && 'detail' in s.body ? ` — ${(s.body as { detail: string }).detail}` : '';
    lines.push(`  ${s.ok ? '✓' : '✗'} ${s.at}  ${s.op.padEnd(30)} ${s.status}${s.expected && s.expected !== s.status ? ` (expected ${s.expected})` : ''}${detail}`);
  }
  for (const [clientId, events] of Object.entries(r.timelines)) {
    const state = r.states[clientId]!;
    lines.push('', `Client ${state.ref} (${clientId})`);
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
  }
  return lines.join('\n');
}

const flag = (v: boolean | null) => (v === null ? 'pending' : v ? 'met' : 'missed');
