/**
 * The portfolio view (DOMAIN §2.1 R-4..R-6, §2.6 R-37): what each account is worth investing in,
 * whether the team can carry the mix, and how a segment's meetings spread over the months of a
 * quarter. Pure and deterministic: no I/O, no clock; every number comes from the policy
 * (`investment.*`, `capacity.*`, `governance.*`).
 */
import { DateTime } from 'luxon';
import type { Policy } from './policy.js';
import type { Role } from './policy.js';

export const SEGMENT_KEYS = ['A', 'B', 'C', 'D'] as const;
export type SegmentKey = (typeof SEGMENT_KEYS)[number];

const round2 = (n: number) => Math.round(n * 100) / 100;

// ---------------------------------------------------------------------------------------------
// Investment per client

export interface InvestmentInputs {
  mrrUsd: number;
  segment: SegmentKey;
  /** % of MRR reinvested in CS for the segment. */
  investmentPct: number;
  hourlyCostUsd: number;
  /** the planned (proactive) share of CS time. */
  proactiveSharePct: number;
  /** the share of the proactive budget spent on playbooks. */
  playbookSharePct: number;
}

export interface ClientInvestment {
  /** R-4 investment model % of MRR. */
  investmentPct: number;
  /** MRR × 12 × %. */
  csBudgetYearUsd: number;
  /** budget ÷ hourly cost. */
  hoursPerYear: number;
  /** hours × proactive share. */
  proactiveHoursPerYear: number;
  /** budget × planned (proactive) share × playbook share. */
  playbookBudgetYearUsd: number;
  /** playbook budget ÷ hourly cost. */
  playbookHoursPerYear: number;
  /** the hours the segment requires per client and year, for comparison. */
  requiredHoursPerYear: number;
  inputs: InvestmentInputs;
  formulas: Record<string, string>;
  ruleIds: string[];
  policyKeys: string[];
}

/**
 * a client's CS investment from its MRR and segment. The seed's worked example
 * (5 % × 50 % × 40 % on $2,000 MRR = $240 = 3.2 h at $75) is this with investmentPct 5,
 * proactiveSharePct 50, playbookSharePct 40 and hourlyCostUsd 75.
 */
export function clientInvestment(client: { mrr: number; segment: SegmentKey }, policy: Policy): ClientInvestment {
  const inv = policy.investment;
  const inputs: InvestmentInputs = {
    mrrUsd: client.mrr, segment: client.segment, investmentPct: inv.mrrPctBySegment[client.segment], hourlyCostUsd: inv.hourlyCostUsd,
    proactiveSharePct: inv.proactiveSharePct, playbookSharePct: inv.playbookSharePct,
  };
  return investmentOf(inputs, policy.capacity.requiredHoursPerClientYear[client.segment]);
}

/** R-5 arithmetic on explicit inputs (the worked example passes its own). */
export function investmentOf(i: InvestmentInputs, requiredHoursPerYear: number): ClientInvestment {
  const budget = i.mrrUsd * 12 * (i.investmentPct / 100);
  const hours = i.hourlyCostUsd > 0 ? budget / i.hourlyCostUsd : 0;
  const playbookBudget = budget * (i.proactiveSharePct / 100) * (i.playbookSharePct / 100);
  return {
    investmentPct: i.investmentPct,
    csBudgetYearUsd: round2(budget),
    hoursPerYear: round2(hours),
    proactiveHoursPerYear: round2(hours * (i.proactiveSharePct / 100)),
    playbookBudgetYearUsd: round2(playbookBudget),
    playbookHoursPerYear: round2(i.hourlyCostUsd > 0 ? playbookBudget / i.hourlyCostUsd : 0),
    requiredHoursPerYear,
    inputs: i,
    formulas: {
      csBudgetYearUsd: 'mrrUsd × 12 × investmentPct (R-4, R-5)',
      hoursPerYear: 'csBudgetYearUsd ÷ hourlyCostUsd (R-5)',
      proactiveHoursPerYear: 'hoursPerYear × proactiveSharePct (R-5)',
      playbookBudgetYearUsd: 'csBudgetYearUsd × proactiveSharePct × playbookSharePct (R-5)',
      playbookHoursPerYear: 'playbookBudgetYearUsd ÷ hourlyCostUsd (R-5)',
    },
    ruleIds: ['R-4', 'R-5'],
    policyKeys: [`investment.mrrPctBySegment.${i.segment}`, 'investment.hourlyCostUsd', 'investment.proactiveSharePct', 'investment.playbookSharePct', `capacity.requiredHoursPerClientYear.${i.segment}`],
  };
}

// ---------------------------------------------------------------------------------------------
// Portfolio capacity

export interface TeamMember { personId: string; roles: readonly string[]; weeklyCapacityHours: number }

export interface SegmentCapacity {
  clients: number;
  mrrUsd: number;
  csBudgetYearUsd: number;
  /** R-5 hours the segment's investment funds. */
  fundedHoursPerYear: number;
  requiredHoursPerClient: number;
  /** clients × requiredHoursPerClient. */
  requiredHours: number;
}

export interface CapacityGapOption {
  option: 'raiseBoundaries' | 'cutHoursPerSegment' | 'lowerInvestmentPct';
  ruleId: 'R-6';
  what: string;
  /** What closing the gap this way takes, where a number says it exactly. */
  figures: Record<string, unknown>;
}

export interface PortfolioCapacity {
  bySegment: Record<SegmentKey, SegmentCapacity>;
  requiredHours: number;
  team: { people: number; source: 'fte' | 'weeklyHours'; roles: string[]; hoursPerPerson?: number };
  availableHours: number;
  /** requiredHours − availableHours; > 0 is a gap. */
  gapHours: number;
  gap: boolean;
  /** requiredHours ÷ availableHours × 100, one decimal; null with no team. */
  utilisationPct: number | null;
  /** The three ways out, with their figures; empty without a gap. */
  options: CapacityGapOption[];
  ruleIds: string[];
  policyKeys: string[];
}

/**
 * Σ required hours (clients × hours per segment) against the team's hours — the active people
 * holding a `investment.teamRoles` role, each counted once, at `fteHoursPerYear × csAvailableSharePct`
 * (or their own weekly hours × `workWeeksPerYear` × the share). Required > available is a gap, with
 * the three options: raise the segment boundaries, cut hours per segment, lower the investment %.
 */
export function portfolioCapacity(clients: { segment: SegmentKey; mrr: number }[], team: TeamMember[], policy: Policy): PortfolioCapacity {
  const inv = policy.investment;
  const cap = policy.capacity;
  const bySegment = Object.fromEntries(SEGMENT_KEYS.map((s) => [s, { clients: 0, mrrUsd: 0, csBudgetYearUsd: 0, fundedHoursPerYear: 0, requiredHoursPerClient: cap.requiredHoursPerClientYear[s], requiredHours: 0 }])) as Record<SegmentKey, SegmentCapacity>;
  for (const c of clients) {
    const row = bySegment[c.segment];
    const i = clientInvestment(c, policy);
    row.clients += 1;
    row.mrrUsd += c.mrr;
    row.csBudgetYearUsd += i.csBudgetYearUsd;
    row.fundedHoursPerYear += i.hoursPerYear;
  }
  for (const s of SEGMENT_KEYS) {
    const row = bySegment[s];
    row.mrrUsd = round2(row.mrrUsd);
    row.csBudgetYearUsd = round2(row.csBudgetYearUsd);
    row.fundedHoursPerYear = round2(row.fundedHoursPerYear);
    row.requiredHours = round2(row.clients * row.requiredHoursPerClient);
  }
  const members = team.filter((m) => m.roles.some((r) => inv.teamRoles.includes(r as Role)));
  const share = inv.csAvailableSharePct / 100;
  const availableHours = round2(inv.teamHoursSource === 'fte'
    ? members.length * inv.fteHoursPerYear * share
    : members.reduce((sum, m) => sum + m.weeklyCapacityHours * inv.workWeeksPerYear * share, 0));
  const requiredHours = round2(SEGMENT_KEYS.reduce((sum, s) => sum + bySegment[s].requiredHours, 0));
  const gapHours = round2(requiredHours - availableHours);
  const gap = gapHours > 0;
  return {
    bySegment, requiredHours,
    team: { people: members.length, source: inv.teamHoursSource, roles: [...inv.teamRoles], ...(inv.teamHoursSource === 'fte' ? { hoursPerPerson: round2(inv.fteHoursPerYear * share) } : {}) },
    availableHours, gapHours, gap,
    utilisationPct: availableHours > 0 ? Math.round((requiredHours / availableHours) * 1000) / 10 : null,
    options: gap ? gapOptions(bySegment, requiredHours, availableHours, gapHours, policy) : [],
    ruleIds: ['R-6', 'R-4', 'R-5'],
    policyKeys: ['capacity.requiredHoursPerClientYear', 'investment.teamRoles', 'investment.teamHoursSource', 'investment.fteHoursPerYear', 'investment.csAvailableSharePct', 'investment.workWeeksPerYear'],
  };
}

function gapOptions(by: Record<SegmentKey, SegmentCapacity>, required: number, available: number, gapHours: number, policy: Policy): CapacityGapOption[] {
  // Moving a client one segment down frees the difference in required hours (A→B, B→C, C→D).
  const steps = (['A', 'B', 'C'] as const).map((s, i) => {
    const down = SEGMENT_KEYS[i + 1]!;
    const freed = by[s].requiredHoursPerClient - by[down].requiredHoursPerClient;
    return { from: s, to: down, clients: by[s].clients, hoursFreedPerClient: freed, clientsToMove: freed > 0 ? Math.ceil(gapHours / freed) : null };
  });
  const cutPct = Math.ceil((gapHours / required) * 1000) / 10;
  const cutTo = Object.fromEntries(SEGMENT_KEYS.map((s) => [s, Math.floor(by[s].requiredHoursPerClient * (available / required) * 10) / 10]));
  const funded = SEGMENT_KEYS.reduce((sum, s) => sum + by[s].fundedHoursPerYear, 0);
  return [
    {
      option: 'raiseBoundaries', ruleId: 'R-6',
      what: 'Raise the segment boundaries (R-1, R-2: e.g. highScoreCutoff, MRR tiers) so fewer clients sit in the hour-hungry segments; each client moved one segment down frees the difference in hours.',
      figures: { gapHours, moves: steps, policyKeys: ['segmentation.highScoreCutoff', 'segmentation.goal5RequiresBothAtLeast', 'segmentation.mrrTiers'] },
    },
    {
      option: 'cutHoursPerSegment', ruleId: 'R-6',
      what: 'Cut the required hours per client in every segment by the same share.',
      figures: { cutPct, requiredHoursPerClientTo: cutTo, policyKeys: ['capacity.requiredHoursPerClientYear'] },
    },
    {
      option: 'lowerInvestmentPct', ruleId: 'R-6',
      what: 'Lower the investment % (R-4): the hours each client funds shrink, and the hours per segment follow them down to what the team can carry.',
      figures: { fundedHoursPerYear: round2(funded), availableHours: available, investmentPctBySegment: { ...policy.investment.mrrPctBySegment }, policyKeys: ['investment.mrrPctBySegment'] },
    },
  ];
}

/** What the one capacity-gap alert should do given the figures and whether it is open. */
export type CapacityGapAction = { kind: 'open' } | { kind: 'update' } | { kind: 'close' } | { kind: 'none' };
export function capacityGapAction(c: Pick<PortfolioCapacity, 'gap'>, alertOpen: boolean): CapacityGapAction {
  if (c.gap) return alertOpen ? { kind: 'update' } : { kind: 'open' };
  return alertOpen ? { kind: 'close' } : { kind: 'none' };
}

// ---------------------------------------------------------------------------------------------
// R-37 month rule: no month holds more than monthSpreadMaxPct of a segment's quarterly meetings

export interface SpreadMeeting { meetingId: string; clientId: string; segment: string; startsAt: string; state: string; strategic: boolean }

export interface QuarterSpread {
  segment: string;
  /** `2027-Q1` (calendar quarters in governance.timeZone). */
  quarter: string;
  meetings: number;
  months: { month: string; meetings: number; sharePct: number }[];
  /** Most meetings one month may hold: ⌊n × maxPct⌋, or the most even split when 40 % cannot be met in whole meetings (n = 4, 7). */
  allowedPerMonth: number;
  over: boolean;
  /** Meetings to move and where, so no month holds more than allowed; only meetings not yet held and after `now`. */
  moves: { meetingId: string; clientId: string; startsAt: string; fromMonth: string; toMonth: string }[];
}

/** Calendar quarter label and its three months of a local date `yyyy-MM-dd`. */
export function quarterOf(localDate: string): { quarter: string; months: [string, string, string]; startDate: string; endDate: string } {
  const d = DateTime.fromISO(localDate, { zone: 'utc' });
  const q = Math.floor((d.month - 1) / 3);
  const start = DateTime.utc(d.year, q * 3 + 1, 1);
  const months = [0, 1, 2].map((i) => start.plus({ months: i }).toFormat('yyyy-MM')) as [string, string, string];
  return { quarter: `${d.year}-Q${q + 1}`, months, startDate: start.toISODate()!, endDate: start.plus({ months: 3 }).minus({ days: 1 }).toISODate()! };
}

/**
 * per segment and calendar quarter (in `zone`), how the segment's meetings fall over the
 * three months; a month over the line and the moves that fix it — from the fullest month's latest
 * meetings not yet held to the emptiest months. Meetings held or in the past are counted, never moved.
 */
export function monthSpread(rows: SpreadMeeting[], policy: Policy, zone: string, now: string): QuarterSpread[] {
  const maxPct = policy.capacity.monthSpreadMaxPct;
  const groups = new Map<string, { segment: string; quarter: string; months: [string, string, string]; rows: (SpreadMeeting & { month: string })[] }>();
  for (const r of rows) {
    const local = DateTime.fromISO(r.startsAt, { zone: 'utc' }).setZone(zone);
    const q = quarterOf(local.toISODate()!);
    const key = `${r.segment}|${q.quarter}`;
    const g = groups.get(key) ?? { segment: r.segment, quarter: q.quarter, months: q.months, rows: [] };
    g.rows.push({ ...r, month: local.toFormat('yyyy-MM') });
    groups.set(key, g);
  }
  const out: QuarterSpread[] = [];
  for (const g of [...groups.values()].sort((a, b) => (a.quarter + a.segment < b.quarter + b.segment ? -1 : 1))) {
    const n = g.rows.length;
    const allowed = Math.max(Math.floor((n * maxPct) / 100), Math.ceil(n / 3));
    const count = new Map(g.months.map((m) => [m, g.rows.filter((r) => r.month === m).length]));
    const over = [...count.values()].some((c) => c > allowed);
    const moves: QuarterSpread['moves'] = [];
    if (over) {
      const movable = new Map(g.months.map((m) => [m, g.rows
        .filter((r) => r.month === m && r.state === 'scheduled' && Date.parse(r.startsAt) > Date.parse(now))
        .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt) || (a.meetingId < b.meetingId ? 1 : -1))]));
      const load = new Map(count);
      for (const m of g.months) {
        while (load.get(m)! > allowed && movable.get(m)!.length) {
          // The emptiest other month that still has room.
          const target = g.months.filter((x) => x !== m && load.get(x)! < allowed).sort((a, b) => load.get(a)! - load.get(b)! || (a < b ? -1 : 1))[0];
          if (!target) break;
          const meeting = movable.get(m)!.shift()!;
          moves.push({ meetingId: meeting.meetingId, clientId: meeting.clientId, startsAt: meeting.startsAt, fromMonth: m, toMonth: target });
          load.set(m, load.get(m)! - 1);
          load.set(target, load.get(target)! + 1);
        }
      }
    }
    out.push({
      segment: g.segment, quarter: g.quarter, meetings: n,
      months: g.months.map((m) => ({ month: m, meetings: count.get(m)!, sharePct: n ? Math.round((count.get(m)! / n) * 1000) / 10 : 0 })),
      allowedPerMonth: allowed, over, moves,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// R-37 next-week rebalance: which B/C meetings to move

export interface WeekMeeting { meetingId: string; clientId: string; segment: string | null; startsAt: string; endsAt: string; prepHours: number; strategic: boolean; kind: string }

export interface RebalanceProposal {
  personId: string;
  week: string;
  loadPct: number;
  hours: number;
  weeklyCapacityHours: number;
  /** Load after the proposed moves. */
  loadPctAfter: number;
  moves: { meetingId: string; clientId: string; segment: string; startsAt: string; hours: number; toWeek: string | null }[];
  /** True when moving every B/C meeting still leaves the week above the target. */
  notEnough: boolean;
}

const meetingHours = (m: { startsAt: string; endsAt: string; prepHours: number }) => Math.max(0, Date.parse(m.endsAt) - Date.parse(m.startsAt)) / 3_600_000 + (m.prepHours ?? 0);

/**
 * a person whose next week is loaded above `capacity.rebalanceAbovePct` gets a proposal: move
 * meetings of the `governance.rebalanceSegments` (B/C) — tactical before strategic, shortest first
 * is not the aim: the biggest first, so the fewest meetings move — until the week is at or below
 * `capacity.loadTargetPct`; each to the first of the next `rebalanceWeeksAhead` weeks with room
 * under the target. Anchored meetings (annual planning, triggers, resets) never move.
 */
export function rebalanceProposal(
  input: { personId: string; week: string; weeklyCapacityHours: number; meetings: WeekMeeting[]; laterWeeks: { week: string; hours: number }[] },
  policy: Policy,
): RebalanceProposal | undefined {
  const c = policy.capacity;
  const cap = input.weeklyCapacityHours;
  if (cap <= 0) return undefined;
  const hours = input.meetings.reduce((s, m) => s + meetingHours(m), 0);
  const loadPct = (hours / cap) * 100;
  if (loadPct <= c.rebalanceAbovePct) return undefined;
  const movableKinds = new Set(['strategic', 'tactical']);
  const candidates = input.meetings
    .filter((m) => m.segment && policy.governance.rebalanceSegments.includes(m.segment as SegmentKey) && movableKinds.has(m.kind))
    .sort((a, b) => Number(a.strategic) - Number(b.strategic) || meetingHours(b) - meetingHours(a) || Date.parse(b.startsAt) - Date.parse(a.startsAt) || (a.meetingId < b.meetingId ? -1 : 1));
  const later = input.laterWeeks.slice(0, policy.governance.rebalanceWeeksAhead).map((w) => ({ ...w }));
  let left = hours;
  const moves: RebalanceProposal['moves'] = [];
  for (const m of candidates) {
    if ((left / cap) * 100 <= c.loadTargetPct) break;
    const h = meetingHours(m);
    const to = later.find((w) => ((w.hours + h) / cap) * 100 <= c.loadTargetPct);
    if (to) to.hours += h;
    moves.push({ meetingId: m.meetingId, clientId: m.clientId, segment: m.segment!, startsAt: m.startsAt, hours: round2(h), toWeek: to?.week ?? null });
    left -= h;
  }
  return {
    personId: input.personId, week: input.week, loadPct: Math.round(loadPct * 10) / 10, hours: round2(hours), weeklyCapacityHours: cap,
    loadPctAfter: Math.round((left / cap) * 1000) / 10, moves, notEnough: (left / cap) * 100 > c.loadTargetPct,
  };
}
