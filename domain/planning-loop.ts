/**
 * The client-level clocks of the planning loop (`client/{id}/planning-loop`): roadmap freshness
 * and staleness, unopened reports, quarter close (R-61 artefacts and decline-reason
 * rate, R-84 variance and realization), and when the next Discovery and Assessment are due
 * (R-67, R-69, R-57).
 *
 * The workflow keeps no copy of the records: at each step an activity reads a snapshot of them
 * (db/planning.ts) and these pure functions say which steps are due (`loopDues`) and what a due
 * step records (`loopStep`). A handled step is marked in the same transaction as its effects, so
 * it never runs twice; a step whose condition no longer holds (the report was opened) records
 * nothing but its mark.
 *
 * Pure and deterministic: no I/O, no clock.
 */
import { DateTime } from 'luxon';
import { addBusinessDays, addElapsedHours, atLocalTime, localDateOf, type BusinessCalendar } from './business-time.js';
import { realization, round, variance } from './budget.js';
import { assessmentRequirement, discoveryPlan, frequencyMonths } from './discovery.js';
import { event, type ProcessEffect } from './effects.js';
import type { Policy, Role } from './policy.js';
import { quarterBasis, quarterCloseAt, quarterOf, nextQuarter, quarterRange, type Quarter } from './quarters.js';

const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

export interface LoopSnapshot {
  clientId: string;
  segment: 'A' | 'B' | 'C' | 'D';
  goalLevel: number;
  appetite: number;
  fiscalYearEnd: string;
  clientCreatedAt: string;
  /** When the loop first ran: quarter closes before it are not judged. */
  loopStartedAt: string;
  roadmap: { latest: { version: number; createdAt: string } | null; lastChangedAt: string | null };
  reports: { id: string; title: string; deliveredAt: string; openedAt: string | null; ownerRole: string; contact: string | null }[];
  discovery: { lastCompletedAt: string | null; plannedSince: boolean; firstCompletedAt: string | null };
  assessment: { lastCompletedAt: string | null; plannedSince: boolean };
  marks: string[];
}

export interface LoopDue { key: string; at: string }

const quarterBasisOf = (snap: Pick<LoopSnapshot, 'fiscalYearEnd'>, policy: Policy) => quarterBasis(policy.calendar.quarters, snap.fiscalYearEnd);

/** Same local time, `n` business days after `instant` (R-88 "5 bd"). */
export function businessDaysAfter(instant: string, n: number, cal: BusinessCalendar): string {
  const local = DateTime.fromISO(instant, { setZone: false }).setZone(cal.timeZone);
  return atLocalTime(addBusinessDays(localDateOf(instant, cal), n, cal), local.toFormat('HH:mm'), cal);
}

/** The quarter whose close the loop judges next: the first closing after the loop started, not yet handled. */
export function nextClose(snap: LoopSnapshot, policy: Policy, cal: BusinessCalendar): { quarter: Quarter; at: string } {
  const basis = quarterBasisOf(snap, policy);
  let q = quarterOf(localDateOf(snap.loopStartedAt, cal), basis);
  if (ms(quarterCloseAt(q, policy.budget.quarterCloseTime, cal, basis)) < ms(snap.loopStartedAt)) q = nextQuarter(q);
  while (snap.marks.includes(`quarter-close/${q}`)) q = nextQuarter(q);
  return { quarter: q, at: quarterCloseAt(q, policy.budget.quarterCloseTime, cal, basis) };
}

/** Every step not yet handled, earliest first. */
export function loopDues(snap: LoopSnapshot, policy: Policy, cal: BusinessCalendar): LoopDue[] {
  const dues: LoopDue[] = [];
  const add = (key: string, at: string) => {
    if (!snap.marks.includes(key)) dues.push({ key, at });
  };
  const close = nextClose(snap, policy, cal);
  dues.push({ key: `quarter-close/${close.quarter}`, at: close.at });
  // reviewed within freshnessDays (A/B 120, C 180, D 365) of the last version, else a freshness CTA.
  if (snap.roadmap.latest) add(`roadmap-fresh/${snap.roadmap.latest.version}`, iso(ms(snap.roadmap.latest.createdAt) + policy.roadmap.freshnessDays[snap.segment] * DAY_MS));
  // unchanged for more than staleAfterQuarters quarters → a health warning.
  if (snap.roadmap.lastChangedAt) {
    add(`roadmap-stale/${snap.roadmap.lastChangedAt}`, DateTime.fromISO(snap.roadmap.lastChangedAt, { setZone: true }).plus({ months: 3 * policy.roadmap.staleAfterQuarters }).toISO()!);
  }
  // unopened 5 bd → reminder + management alert; 5 bd more → escalation.
  for (const r of snap.reports) {
    if (r.openedAt) continue;
    const reminder = businessDaysAfter(r.deliveredAt, policy.deliverables.unopenedReminderBusinessDays, cal);
    add(`report/${r.id}/reminder`, reminder);
    if (snap.marks.includes(`report/${r.id}/reminder`)) add(`report/${r.id}/escalation`, businessDaysAfter(reminder, policy.deliverables.unopenedEscalationBusinessDays, cal));
  }
  // the next Discovery on the segment's cadence (a new client's first within newClientDiscoveryDays).
  const d = discoveryPlan(policy, snap.segment);
  const dMonths = frequencyMonths(d.cadence);
  if (!snap.discovery.plannedSince) {
    if (snap.discovery.lastCompletedAt && dMonths) add(`discovery-due/${snap.discovery.lastCompletedAt}`, plusMonths(snap.discovery.lastCompletedAt, dMonths));
    else if (!snap.discovery.lastCompletedAt) add('discovery-due/first', iso(ms(snap.clientCreatedAt) + policy.discoveryAssessment.newClientDiscoveryDays * DAY_MS));
  }
  // an assessment on the segment's cadence when the goal level asks for one, from the last one (or the first Discovery, R-64).
  const req = assessmentRequirement(policy, snap.goalLevel, snap.appetite);
  const aMonths = frequencyMonths(policy.discoveryAssessment.assessmentCadence[snap.segment]);
  const anchor = snap.assessment.lastCompletedAt ?? snap.discovery.firstCompletedAt;
  if (req.due && aMonths && anchor && !snap.assessment.plannedSince) add(`assessment-due/${anchor}`, plusMonths(anchor, aMonths));
  return dues.sort((a, b) => ms(a.at) - ms(b.at) || a.key.localeCompare(b.key));
}

const plusMonths = (instant: string, n: number) => DateTime.fromISO(instant, { setZone: true }).plus({ months: n }).toISO()!;

/** What the quarter close reads (db/planning.ts `quarterCloseFacts`). */
export interface CloseFacts {
  quarter: Quarter;
  decisions: { eventId: string; meetingId: string; title: string; ownerRole: Role; initiativeId?: string; at: string }[];
  /** Roadmap and budget versions created up to the close: source ref (a recap's meeting) and the initiatives on them. */
  versions: { kind: 'roadmap' | 'budget'; sourceRef: string | null; createdAt: string; initiativeIds: string[] }[];
  proposals: { initiativeId: string; createdAt: string }[];
  initiatives: { id: string; state: string; approvedAt: string | null }[];
  /** Proposals declined or expired in the quarter, with the reason if captured. */
  declined: { proposalId: string; reason: string | null }[];
  /** The quarter's lines in the budget version in force at the close. */
  lines: { initiativeId: string; amountUsd: number }[];
  actualUsd: number | null;
  /** Realization of earlier quarters, newest first (from their `quarter.closed` events). */
  previousBelow: boolean[];
}

/** One due step's effects; empty when its condition no longer holds (the mark is recorded by the caller). */
export function loopStep(key: string, snap: LoopSnapshot, policy: Policy, cal: BusinessCalendar, now: string, close?: CloseFacts): ProcessEffect[] {
  const [kind, ref, stage] = key.split('/') as [string, string, string | undefined];
  const due = (h: number) => addElapsedHours(now, h, cal);
  switch (kind) {
    case 'roadmap-fresh': {
      const latest = snap.roadmap.latest;
      if (!latest || String(latest.version) !== ref) return [];
      const owner = policy.raci[snap.segment].roadmapBudget.accountable;
      const days = policy.roadmap.freshnessDays[snap.segment];
      const dueAt = iso(ms(latest.createdAt) + days * DAY_MS);
      return [
        event('deadline.missed', 'R-86', { deadline: 'roadmap.review', dueAt: addElapsedHours(dueAt, 0, cal) }, { lastReviewedAt: latest.createdAt, version: latest.version, freshnessDays: days, segment: snap.segment }),
        {
          kind: 'cta', key: `roadmap-fresh/${latest.version}`, ctaKind: 'roadmap-review', title: `Review the roadmap: not reviewed since ${localDateOf(latest.createdAt, cal)} (every ${days} days for ${snap.segment}, R-86)`, ruleId: 'R-86',
          ownerRole: owner, dueAt: due(policy.roadmap.freshnessCtaHours), why: { version: latest.version, lastReviewedAt: latest.createdAt, freshnessDays: days, policyKeys: ['roadmap.freshnessDays', 'roadmap.freshnessCtaHours', `raci.${snap.segment}.roadmapBudget.accountable`] },
        },
      ];
    }
    case 'roadmap-stale': {
      if (snap.roadmap.lastChangedAt !== ref) return [];
      return [event('roadmap.stale', 'R-86', { lastChangedAt: addElapsedHours(ref, 0, cal), quarters: policy.roadmap.staleAfterQuarters }, { warning: 'health warning: roadmap unchanged for more than two quarters (R-86)', policyKeys: ['roadmap.staleAfterQuarters'] })];
    }
    case 'report': {
      const r = snap.reports.find((x) => x.id === ref);
      if (!r || r.openedAt) return [];
      const delivered = localDateOf(r.deliveredAt, cal);
      if (stage === 'reminder') {
        const n = policy.deliverables.unopenedReminderBusinessDays;
        return [
          event('report.unopened', 'R-88', { reportId: r.id, stage: 'reminder', businessDays: n }, { deliveredAt: r.deliveredAt, contact: r.contact }),
          { kind: 'cta', key: `report/${r.id}/reminder`, ctaKind: 'report-reminder', title: `Remind ${r.contact ?? 'the client contact'} to open "${r.title}" (delivered ${delivered}, unopened ${n} business days; R-88)`, ruleId: 'R-88', ownerRole: r.ownerRole as Role, dueAt: due(policy.meeting.firstActionHours), why: { reportId: r.id, deliveredAt: r.deliveredAt, businessDays: n }, data: { reportId: r.id } },
          { kind: 'cta', key: `report/${r.id}/manager-alert`, ctaKind: 'report-manager-alert', title: `Management alert: "${r.title}" unopened ${n} business days after delivery (R-88)`, ruleId: 'R-88', ownerRole: policy.deliverables.managerAlertRole, dueAt: due(policy.meeting.firstActionHours), why: { reportId: r.id, deliveredAt: r.deliveredAt }, data: { reportId: r.id } },
        ];
      }
      const n = policy.deliverables.unopenedReminderBusinessDays + policy.deliverables.unopenedEscalationBusinessDays;
      return [
        event('report.unopened', 'R-88', { reportId: r.id, stage: 'escalation', businessDays: n }, { deliveredAt: r.deliveredAt, rule: 'no response after the reminder → escalation (R-88)' }),
        { kind: 'cta', key: `report/${r.id}/escalation`, ctaKind: 'report-escalation', title: `Escalate: no response to "${r.title}" ${n} business days after delivery (R-88)`, ruleId: 'R-88', ownerRole: policy.deliverables.escalationOwner, dueAt: due(policy.meeting.firstActionHours), why: { reportId: r.id, deliveredAt: r.deliveredAt }, data: { reportId: r.id } },
      ];
    }
    case 'discovery-due': {
      const d = discoveryPlan(policy, snap.segment);
      return [{
        kind: 'cta', key: `discovery-due/${ref}`, ctaKind: 'discovery-due', title: ref === 'first' ? `Plan the client's first Discovery (${d.format}; within ${policy.discoveryAssessment.newClientDiscoveryDays} days, R-57, R-67)` : `Discovery due (${d.cadence}, ${d.format}; R-67)`,
        ruleId: ref === 'first' ? 'R-57' : 'R-67', ownerRole: d.ownerRole, dueAt: due(policy.meeting.firstActionHours), why: { last: ref, cadence: d.cadence, format: d.format, policyKeys: ['discoveryAssessment.discoveryCadence', 'discoveryAssessment.discoveryFormat'] },
      }];
    }
    case 'assessment-due': {
      const req = assessmentRequirement(policy, snap.goalLevel, snap.appetite);
      const cadence = policy.discoveryAssessment.assessmentCadence[snap.segment];
      return [{
        kind: 'cta', key: `assessment-due/${ref}`, ctaKind: 'assessment-due', title: `Assessment due (${cadence}; ${req.requirement} at goal level ${snap.goalLevel}, R-69)`, ruleId: 'R-69',
        ownerRole: policy.discoveryAssessment.assessmentOwner[snap.segment], dueAt: due(policy.meeting.firstActionHours), why: { anchor: ref, cadence, requirement: req.requirement, policyKeys: ['discoveryAssessment.assessmentCadence', 'discoveryAssessment.assessmentByGoal'] },
      }];
    }
    case 'quarter-close':
      return close ? closeQuarter(close, snap, policy, cal, now) : [];
    default:
      return [];
  }
}

const SETTLED = ['Approved', 'InDelivery', 'Delivered', 'Verified'];

/**
 * every decision of the quarter produced an artefact (a roadmap or budget version from its
 * meeting's recap or naming its initiative, a proposal, a project), else a CTA to its Accountable;
 * the decline-reason capture rate against ≥90 %. R-84: variance and realization.
 */
export function closeQuarter(f: CloseFacts, snap: LoopSnapshot, policy: Policy, cal: BusinessCalendar, now: string): ProcessEffect[] {
  const out: ProcessEffect[] = [];
  let withArtefact = 0;
  for (const d of f.decisions) {
    const after = (t: string) => ms(t) >= ms(d.at);
    const fromRecap = f.versions.some((v) => v.sourceRef === d.meetingId);
    const viaInitiative = d.initiativeId !== undefined && (
      f.proposals.some((p) => p.initiativeId === d.initiativeId && after(p.createdAt))
      || f.initiatives.some((i) => i.id === d.initiativeId && SETTLED.includes(i.state))
      || f.versions.some((v) => after(v.createdAt) && v.initiativeIds.includes(d.initiativeId!))
    );
    if (fromRecap || viaInitiative) {
      withArtefact++;
      continue;
    }
    out.push({
      kind: 'cta', key: `quarter-close/${f.quarter}/artefact/${d.eventId}`, ctaKind: 'decision-artefact', title: `Decision "${d.title}" produced no artefact by the ${f.quarter} close: roadmap change, budget version, proposal or project (R-61)`,
      ruleId: 'R-61', ownerRole: d.ownerRole, dueAt: addElapsedHours(now, policy.budget.artefactCtaHours, cal), why: { decisionEvent: d.eventId, meetingId: d.meetingId, decidedAt: d.at, ...(d.initiativeId ? { initiativeId: d.initiativeId } : {}), policyKeys: ['budget.artefactCtaHours'] },
    });
  }
  const captured = f.declined.filter((x) => x.reason).length;
  const ratePct = f.declined.length ? round((captured / f.declined.length) * 100) : null;
  // R-84 variance and realization over the quarter's budget lines.
  const forecastUsd = round(f.lines.reduce((s, l) => s + l.amountUsd, 0));
  const v = variance(forecastUsd, f.actualUsd, policy);
  const approvedIds = new Set(f.initiatives.filter((i) => i.approvedAt && quarterOf(localDateOf(i.approvedAt, cal), quarterBasis(policy.calendar.quarters, snap.fiscalYearEnd)) === f.quarter).map((i) => i.id));
  const approvedUsd = round(f.lines.filter((l) => approvedIds.has(l.initiativeId)).reduce((s, l) => s + l.amountUsd, 0));
  const real = realization(forecastUsd, approvedUsd, policy);
  const owner = policy.budget.varianceOwner[snap.segment];
  if (v.status === 'investigate') {
    out.push({
      kind: 'cta', key: `quarter-close/${f.quarter}/variance`, ctaKind: 'budget-variance', title: `Investigate the ${f.quarter} budget variance: ${v.variancePct! > 0 ? '+' : ''}${v.variancePct} % against the forecast (R-84)`, ruleId: 'R-84',
      ownerRole: owner, dueAt: addElapsedHours(now, policy.meeting.firstActionHours, cal), why: { forecastUsd, actualUsd: f.actualUsd, variancePct: v.variancePct, greenWithinPct: policy.budget.varianceGreenMaxPct },
    });
    out.push({
      kind: 'riskSignal', key: `variance/${f.quarter}`, trigger: 'budgetVariance', bucket: 'Strategic', ruleId: 'R-84',
      evidence: { dimension: 'Alignment', quarter: f.quarter, forecastUsd, actualUsd: f.actualUsd, variancePct: v.variancePct, investigateAbovePct: policy.budget.varianceInvestigateAbovePct, rule: 'R-93' },
      firstActionCta: `quarter-close/${f.quarter}/variance`,
    });
  }
  // realization below the minimum for `realizationQuarters` quarters in a row → simplify scope.
  const streak = real.below ? 1 + takeWhile(f.previousBelow) : 0;
  if (real.below && streak >= policy.budget.realizationQuarters) {
    out.push({
      kind: 'cta', key: `quarter-close/${f.quarter}/simplify`, ctaKind: 'simplify-scope', title: `Simplify scope: budget realization ${real.pct} % (< ${policy.budget.realizationMinPct} %) ${streak} quarters in a row (R-84)`, ruleId: 'R-84',
      ownerRole: owner, dueAt: addElapsedHours(now, policy.meeting.firstActionHours, cal), why: { quarter: f.quarter, pct: real.pct, streak, minPct: policy.budget.realizationMinPct },
    });
  }
  out.unshift(event('quarter.closed', 'R-61', {
    quarter: f.quarter, decisions: f.decisions.length, withArtefact,
    declineReasons: { captured, total: f.declined.length, ratePct, targetPct: policy.kpis.proposals.reasonsCapturedPct },
    variance: { forecastUsd, actualUsd: f.actualUsd, variancePct: v.variancePct, status: v.status },
    realization: { budgetedUsd: forecastUsd, approvedUsd, pct: real.pct, below: real.below },
  }, { closedAt: now, range: quarterRange(f.quarter, quarterBasis(policy.calendar.quarters, snap.fiscalYearEnd)), declineReasonsMet: ratePct === null || ratePct >= policy.kpis.proposals.reasonsCapturedPct, realizationStreak: streak, policyKeys: ['budget.quarterCloseTime', 'budget.varianceInvestigateAbovePct', 'budget.realizationMinPct', 'kpis.proposals.reasonsCapturedPct'] }));
  return out;
}

function takeWhile(list: boolean[]): number {
  let n = 0;
  for (const b of list) {
    if (!b) break;
    n++;
  }
  return n;
}
