/**
 * The health process of one client (DOMAIN §2.18 R-104..R-121, R-32, R-93, R-22, A-8) as a pure
 * model, in two halves:
 *
 * - `conditionsOf` (run by the evaluation activity, next to the scores): which plays (R-110..R-119,
 *   R-104 sponsor reminders) and At-Risk triggers hold now, each resolved to its owner, due
 *   instant and rule, plus the instants at which time alone will change one (sponsor heartbeat,
 *   roadmap staleness);
 * - `react` (run by the workflow over its small state): what changed since the last evaluation.
 *   Every score or colour change is a `health.score_changed` event whose `why` carries the inputs,
 *   weights, band crossed and previous value. A condition fires its play once (a CTA with one
 *   owner and its own deadline); while that CTA is open, the condition holding again (a new token:
 *   another complaint, a new measurement) appends evidence instead, and a condition that
 *   merely keeps holding does nothing — so a flapping input never opens a play twice. At the
 *   monthly snapshot the Red months are counted: two in a row gate credit and pause
 *   initiatives; the first snapshot that lifts the gate releases the deferred credit.
 *
 * Health books no meetings: its plays are CTAs and its R-93 triggers go to At Risk.
 * Pure and deterministic (imported from workflow code): no I/O, no clock.
 */
import { addBusinessDays, addElapsedHours, endOfLocalDay, localDateOf, type BusinessCalendar } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { DIMENSIONS, type Colour, type Dimension, type HealthScores, type HealthSignals, type Segment } from './health.js';
import type { Policy, Role } from './policy.js';

export type Bucket = 'Service' | 'Delivery' | 'Strategic' | 'Financial';
export type Scored = Dimension | 'composite';
const SCORED: Scored[] = [...DIMENSIONS, 'composite'];
const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

// ---------------------------------------------------------------------------------------------
// Conditions (evaluation side)

export type HealthCondition =
  | {
      kind: 'play'; key: string; token: string; ruleId: string; ctaKind: string; title: string; ownerRole: Role; dueAt: string; why: Record<string, unknown>;
      /** the 14-day check-in that follows the call. */
      checkIn?: { title: string; dueAt: string };
      /** the derived placement, for the quadrant-shift alert and `autoResegment`. */
      quadrant?: { from: Segment; to: Segment; maturity: number; appetite: number; maturityScore: number; appetiteScore: number };
    }
  | { kind: 'risk'; key: string; token: string; ruleId: string; trigger: string; bucket: Bucket; evidence: Record<string, unknown> };

/** Facts besides the scores that conditions read (loaded by the activity). */
export interface ConditionFacts {
  /** The segment in force and how it was set (a manual override is never moved automatically, R-7). */
  segment: Segment;
  segmentSource: 'computed' | 'override';
  /** Last roadmap movement (roadmap version, initiative state change, roadmap confirmed), for R-93 "no roadmap movement". */
  roadmapLastMovementAt: string | null;
  /** Instants of proposals declined for relevance or timing in the window (R-80, R-93 "recurring declines"). */
  relevanceTimingDeclines: string[];
  /** Sponsors/champions who left recently (R-93 "champion left"). */
  stakeholdersLeft: { id: string; at: string; roles: string[] }[];
  /** When the executive sponsor was last seen, else when the client was registered (R-104 heartbeat anchor). */
  sponsorAnchor: string;
  /** Service metrics of the last cycles, newest last: their SLA % (R-93 "SLA breach trend"). */
  slaHistory: number[];
}

export interface EvaluatedConditions {
  conditions: HealthCondition[];
  /** Future instants at which a condition changes by time alone (sponsor reminders, roadmap staleness). */
  wakeAt: string[];
}

/** A play's due instant from its policy dues (days first, then business days, then hours; C-1, A-14). */
export function playDue(play: { dueHours: number | null; dueDays: number | null; dueBusinessDays: number | null }, at: string, cal: BusinessCalendar): string {
  if (play.dueDays !== null) return addElapsedHours(at, play.dueDays * 24, cal);
  if (play.dueBusinessDays !== null) return endOfLocalDay(addBusinessDays(localDateOf(at, cal), play.dueBusinessDays, cal), cal);
  return addElapsedHours(at, play.dueHours ?? 0, cal);
}

const playPolicyKeys = (path: string) => [`playsAndGates.${path}.owner`, `playsAndGates.${path}.dueHours`, `playsAndGates.${path}.dueDays`, `playsAndGates.${path}.dueBusinessDays`];

/** Every play and At-Risk trigger that holds for these scores and facts at `at` (R-104, R-110..R-119, R-93). */
export function conditionsOf(scores: HealthScores, s: HealthSignals, f: ConditionFacts, policy: Policy, cal: BusinessCalendar, at: string): EvaluatedConditions {
  const pg = policy.playsAndGates;
  const h = policy.health;
  const ar = policy.atRisk;
  const seg = s.segment;
  const out: HealthCondition[] = [];
  const wakeAt: string[] = [];
  type PlayConfig = { owner: Record<Segment, Role>; dueHours: number | null; dueDays: number | null; dueBusinessDays: number | null };
  const play = (key: string, token: string, ruleId: string, cfg: PlayConfig, path: string, title: string, why: Record<string, unknown>, extra: Partial<Extract<HealthCondition, { kind: 'play' }>> = {}) => {
    out.push({ kind: 'play', key, token, ruleId, ctaKind: `play-${key.split('/')[0]}`, title, ownerRole: cfg.owner[seg], dueAt: playDue(cfg, at, cal), why: { ...why, policyKeys: playPolicyKeys(path) }, ...extra });
  };
  const risk = (key: string, token: string, trigger: string, bucket: Bucket, evidence: Record<string, unknown>) => out.push({ kind: 'risk', key, token, ruleId: 'R-93', trigger, bucket, evidence });
  const d = scores.dimensions;
  const e = s.engagement;
  const q = s.serviceQuality;

  // CX Red → CTA; A/B a vCIO review, C/D the CSM/TAM's fix, within 7 d.
  if (d.cx.colour === 'Red') {
    const toVcio = pg.cxRedEscalateToVcio.includes(seg);
    out.push({
      kind: 'play', key: 'cxRed', token: 'red', ruleId: 'R-111', ctaKind: 'play-cxRed', title: toVcio ? 'CX is Red: vCIO review with the client' : 'CX is Red: fix what the client is telling us',
      ownerRole: toVcio ? 'vCIO' : pg.cxRed.owner[seg], dueAt: playDue(pg.cxRed, at, cal), why: { reasons: d.cx.reasons, escalatedToVcio: toVcio, policyKeys: [...playPolicyKeys('cxRed'), 'playsAndGates.cxRedEscalateToVcio'] },
    });
  }
  // negative pulse or complaint → "we own the miss" call (48h) and the 14-day check-in.
  if (s.cx.lastNegativeAt) {
    const np = pg.negativePulse;
    out.push({
      kind: 'play', key: 'negativePulse', token: s.cx.lastNegativeAt, ruleId: 'R-112', ctaKind: 'play-negativePulse',
      title: `"We own the miss" call: ${pg.fixPlanPoints}-point fix plan and the client note (we heard / we'll change / you'll see by)`,
      ownerRole: np.owner[seg], dueAt: addElapsedHours(at, np.dueHours ?? 0, cal),
      why: { lastNegativeAt: s.cx.lastNegativeAt, pulseAverage: s.cx.pulseAverage, complaints: s.cx.complaints, complaintTags: s.cx.complaintTags, policyKeys: playPolicyKeys('negativePulse') },
      ...(np.dueDays !== null ? { checkIn: { title: 'Check in with the client on the fix plan (14-day check-in)', dueAt: addElapsedHours(at, np.dueDays * 24, cal) } } : {}),
    });
  }
  // Engagement Red, one play per cause.
  if (d.engagement.colour === 'Red') {
    const er = pg.engagementRed;
    const eg = h.engagement;
    if (e.cadenceAdherencePct !== null && e.cadenceAdherencePct < eg.redCadenceBelowPct) play('engagementRed/cadence', 'red', 'R-113', er.cadence, 'engagementRed.cadence', 'Engagement Red (cadence): reset cadence and scope', { cadenceAdherencePct: e.cadenceAdherencePct, below: eg.redCadenceBelowPct });
    if (s.cx.sponsorDays > h.sponsorHeartbeatDays) play('engagementRed/sponsor', f.sponsorAnchor, 'R-113', er.sponsor, 'engagementRed.sponsor', 'Engagement Red (no sponsor): executive intro and value recap', { sponsorDays: s.cx.sponsorDays, healthyDays: h.sponsorHeartbeatDays });
    if (e.lastQbrsWithoutDecision) play('engagementRed/noDecisions', 'red', 'R-113', er.noDecisions, 'engagementRed.noDecisions', 'Engagement Red (no decisions): unblock or resequence the roadmap', { strategicMeetingsWithoutDecision: eg.redQbrsWithoutDecision });
    if (e.recapOnTimePct !== null && e.recapOnTimePct < eg.redRecapBelowPct) play('engagementRed/recap', 'red', 'R-113', er.recap, 'engagementRed.recap', 'Engagement Red (recaps): recap discipline reset', { recapOnTimePct: e.recapOnTimePct, below: eg.redRecapBelowPct });
    const tags = s.cx.complaintTags.filter((t) => t === 'Relevance' || t === 'Follow-through');
    if (tags.length) play('engagementRed/complaint', s.cx.lastNegativeAt ?? 'red', 'R-113', er.complaint, 'engagementRed.complaint', `Engagement Red (${tags.join('/')} complaint): re-engage stakeholders`, { complaintTags: tags });
  }
  // decision-maker absent twice → sponsor re-intro.
  if (e.decisionMakerAbsentStreak >= pg.engagementRed.decisionMakerAbsentCount) {
    play('decisionMakerAbsent', 'absent', 'R-113', pg.engagementRed.decisionMakerAbsent, 'engagementRed.decisionMakerAbsent', 'Decision-maker absent twice: sponsor re-intro and "why now" note', { consecutiveAbsences: e.decisionMakerAbsentStreak });
  }
  // backup success below the line over the rolling window.
  if (q.backupSuccessPct !== null && q.backupSuccessPct < policy.triggers.thresholds.backupMinPct) {
    play('backupLow', q.measuredAt ?? 'low', 'R-114', pg.backupLow, 'backupLow', 'Backup success below the line: root cause and a test restore', { backupSuccessPct: q.backupSuccessPct, minPct: policy.triggers.thresholds.backupMinPct });
  }
  // DMI drop ≥ 10 points, or flat for 2 cycles.
  const dmis = [...s.adoption.previousDmi, ...(s.adoption.dmi !== null ? [s.adoption.dmi] : [])];
  if (dmis.length >= 2) {
    const drop = dmis.at(-2)! - dmis.at(-1)!;
    const steps = dmis.slice(-(pg.dmiFlatCycles + 1));
    const flat = steps.length === pg.dmiFlatCycles + 1 && steps.slice(1).every((v, i) => Math.abs(v - steps[i]!) < pg.dmiFlatTolerancePoints);
    if (drop >= pg.dmiDropPoints || flat) {
      play('dmiDrop', s.adoption.measuredAt ?? 'dmi', 'R-115', pg.dmiDrop, 'dmiDrop', drop >= pg.dmiDropPoints ? `DMI dropped ${Math.round(drop * 100) / 100} points: resequence the roadmap, add quick wins` : `DMI flat for ${pg.dmiFlatCycles} cycles: resequence the roadmap, add quick wins`, { dmi: dmis.slice(-(pg.dmiFlatCycles + 1)), dropPoints: pg.dmiDropPoints, flatCycles: pg.dmiFlatCycles, policyKeys: ['playsAndGates.dmiDropPoints', 'playsAndGates.dmiFlatCycles', 'playsAndGates.dmiFlatTolerancePoints'] });
    }
  }
  // SLA Red this month (below the segment's per-signal green line, R-107).
  const slaGreen = h.serviceQuality.slaGreenPct[seg];
  if (q.slaPct !== null && q.slaPct < slaGreen) play('slaRed', q.measuredAt ?? 'sla', 'R-116', pg.slaRed, 'slaRed', 'SLA Red: root cause, client comms and prevention', { slaPct: q.slaPct, greenPct: slaGreen });
  // each milestone late by more than 14 days.
  for (const m of q.lateMilestones) {
    if (m.daysLate > pg.milestoneLateDays) play(`milestoneLate/${m.milestone}`, 'late', 'R-117', pg.milestoneLate, 'milestoneLate', `Milestone "${m.milestone}" ${m.daysLate} d late: resequence, new ETA, risk note`, { milestone: m.milestone, daysLate: m.daysLate, lateAfterDays: pg.milestoneLateDays });
  }
  // reopen rate above 8 % over 30 d, or repeats above the segment line.
  const repeatMax = h.serviceQuality.repeatMaxPct[seg];
  if ((q.reopenPct !== null && q.reopenPct > pg.reopenAbovePct) || (q.repeatPct !== null && q.repeatPct > repeatMax)) {
    play('reopen', q.measuredAt ?? 'reopen', 'R-118', pg.reopen, 'reopen', `Reopens/repeats high: mini-RCA (5-Why, ≤${pg.rcaMaxMinutes} min, within ${pg.rcaWithinBusinessDays} bd), remove the top ${pg.removeTopRepeaters} repeaters`, { reopenPct: q.reopenPct, reopenAbovePct: pg.reopenAbovePct, repeatPct: q.repeatPct, repeatMaxPct: repeatMax });
  }
  // Alignment causes.
  const al = s.alignment;
  if (al?.method === 'rubric') {
    const b = h.alignment.bands[seg];
    if (al.perception < b.yellowMin) play('alignment/perception', al.observedAt, 'R-119', pg.alignmentPerception, 'alignmentPerception', 'Alignment: perception Red — value check with the client', { perception: al.perception, redBelow: b.yellowMin });
    if (al.presence < b.yellowMin) play('alignment/presence', al.observedAt, 'R-119', pg.alignmentPresence, 'alignmentPresence', 'Alignment: presence gap — add or replace a service, update the Service Map', { presence: al.presence, redBelow: b.yellowMin });
  }
  if (al && (al.lateRoadmapCount ?? 0) >= 2) play('alignment/lateRoadmap', al.observedAt, 'R-119', pg.alignmentLateRoadmap, 'alignmentLateRoadmap', 'Alignment: roadmap/lifecycle late twice — resequence', { lateRoadmapCount: al.lateRoadmapCount });
  if (al?.roadmapNotRelevant) play('alignment/notRelevant', al.observedAt, 'R-119', pg.alignmentNotRelevant, 'alignmentNotRelevant', `"Roadmap not relevant": ${pg.goalCheckMinutes}-min goal check, resequence or cut`, { roadmapNotRelevant: true });
  // R-110 (R-119 segment drift): the derived segment differs from the one in force → quadrant-shift alert + segment review.
  if (scores.derived && scores.derived.segment !== f.segment) {
    const dv = scores.derived;
    out.push({
      kind: 'play', key: 'segmentDrift', token: dv.segment, ruleId: 'R-110', ctaKind: 'play-segmentDrift', title: `Segment review: health places the client in ${dv.segment}, it is ${f.segment}`,
      ownerRole: pg.alignmentSegmentDrift.owner[seg], dueAt: addElapsedHours(at, policy.segmentation.reviewCtaDays * 24, cal),
      why: { derived: dv, current: f.segment, source: f.segmentSource, autoResegment: policy.segmentation.autoResegment, policyKeys: ['segmentation.reviewCtaDays', 'segmentation.autoResegment', 'health.maturityWeightsPct', 'health.appetiteWeightsPct'] },
      quadrant: { from: f.segment, to: dv.segment, maturity: dv.maturity, appetite: dv.appetite, maturityScore: dv.maturityScore, appetiteScore: dv.appetiteScore },
    });
  }
  // sponsor heartbeat reminders at 90 and 120 days (one per anchor and age).
  const anchorAge = (ms(at) - ms(f.sponsorAnchor)) / DAY_MS;
  for (const days of h.sponsorReminderDays) {
    const due = iso(ms(f.sponsorAnchor) + days * DAY_MS);
    if (anchorAge >= days) {
      out.push({
        kind: 'play', key: `sponsorReminder/${days}`, token: f.sponsorAnchor, ruleId: 'R-104', ctaKind: 'sponsor-reminder', title: `Executive sponsor not seen for ${days} days: get them into the next session`,
        ownerRole: policy.raci[seg].healthAlerts.accountable, dueAt: addElapsedHours(at, policy.meeting.firstActionHours, cal),
        why: { sponsorSeenOrSince: f.sponsorAnchor, days, policyKeys: ['health.sponsorReminderDays', `raci.${seg}.healthAlerts.accountable`] },
      });
    } else {
      wakeAt.push(due);
    }
  }
  if (s.cx.sponsorDays <= h.sponsorHeartbeatDays) wakeAt.push(iso(ms(f.sponsorAnchor) + (h.sponsorHeartbeatDays + 1) * DAY_MS));

  // R-93 At-Risk triggers; the At Risk process opens a risk or appends evidence to the open one of the bucket.
  if (s.cx.pulseMonthAverage !== null && s.cx.pulseMonthAverage < ar.csatBelow) risk('risk/csat', s.cx.lastNegativeAt ?? 'csat', 'csatBelowForTheMonth', 'Strategic', { pulseMonthAverage: s.cx.pulseMonthAverage, below: ar.csatBelow });
  if (s.cx.complaints >= ar.detractorTickets) risk('risk/detractors', s.cx.lastNegativeAt ?? 'detractors', 'detractorTickets', 'Service', { complaints: s.cx.complaints, windowDays: h.cx.complaintWindowDays, threshold: ar.detractorTickets });
  const trend = f.slaHistory.slice(-ar.slaBreachTrendCycles);
  if (trend.length >= ar.slaBreachTrendCycles && ar.slaBreachTrendCycles > 0 && trend.every((x) => x < slaGreen)) risk('risk/slaTrend', q.measuredAt ?? 'sla', 'slaBreachTrend', 'Service', { slaPct: trend, greenPct: slaGreen, cycles: ar.slaBreachTrendCycles });
  if (q.backlogAgingDays !== null && q.backlogAgingDays > ar.backlogAgingDays) risk('risk/backlogAging', q.measuredAt ?? 'backlog', 'backlogAging', 'Service', { backlogAgingDays: q.backlogAgingDays, aboveDays: ar.backlogAgingDays });
  if (q.repeatPct !== null && q.repeatPct > repeatMax) risk('risk/repeatIncidents', q.measuredAt ?? 'repeat', 'repeatIncidents', 'Service', { repeatPct: q.repeatPct, maxPct: repeatMax });
  if ((q.openPostMortemActions ?? 0) > 0) risk('risk/postMortem', q.measuredAt ?? 'pm', 'openPostMortemActions', 'Service', { openPostMortemActions: q.openPostMortemActions });
  const stale = ar.noRoadmapMovementDays[seg];
  if (stale !== null && f.roadmapLastMovementAt) {
    const staleAt = iso(ms(f.roadmapLastMovementAt) + stale * DAY_MS);
    if (ms(at) >= ms(staleAt)) risk('risk/noRoadmapMovement', f.roadmapLastMovementAt, 'noRoadmapMovement', 'Strategic', { lastMovementAt: f.roadmapLastMovementAt, days: stale });
    else wakeAt.push(staleAt);
  }
  if (f.relevanceTimingDeclines.length >= 2) risk('risk/declines', f.relevanceTimingDeclines.at(-1)!, 'recurringRelevanceTimingDeclines', 'Strategic', { declines: f.relevanceTimingDeclines.length });
  for (const left of f.stakeholdersLeft) risk(`risk/championLeft/${left.id}`, left.at, 'championLeft', 'Strategic', { stakeholderId: left.id, leftAt: left.at, roles: left.roles });

  return { conditions: out, wakeAt: wakeAt.filter((w) => ms(w) > ms(at)).sort((a, b) => ms(a) - ms(b)) };
}

// ---------------------------------------------------------------------------------------------
// The workflow's state and reaction

export interface GateState { closed: boolean; reasons: string[]; since: string | null }
export interface HealthState {
  clientId: string;
  /** Reports accepted (kernel), naming batches. */
  actions: number;
  /** Evaluations run, naming batches. */
  evaluations: number;
  last: { asOf: string; scores: Record<Scored, { score: number | null; colour: Colour | null }> } | null;
  /** Snapshot colours by month (yyyy-MM), oldest first; a second snapshot in a month replaces it. */
  months: { month: string; colours: Record<Scored, Colour | null> }[];
  /** Condition key → its token at the last evaluation (rising edges fire). */
  active: Record<string, string>;
  /** Open plays by condition key: the CTA that carries it and the evidence appended. */
  plays: Record<string, { ctaKey: string; evidence: number; since: string }>;
  /** Plays fired per condition key (a re-fire after the CTA closed gets a fresh CTA). */
  fired: Record<string, number>;
  credit: GateState;
  /** R-120 initiatives-above-$X pause; the alignment reason holds until a Roadmap Reset after it began. */
  pause: GateState & { alignmentSince: string | null };
  nextSnapshot: { month: string; at: string } | null;
  wakeAt: string | null;
  snapshots: number;
}

export function initialHealthState(clientId: string, carried?: Partial<HealthState>): HealthState {
  return {
    clientId, actions: carried?.actions ?? 0, evaluations: carried?.evaluations ?? 0, last: carried?.last ?? null, months: carried?.months ?? [],
    active: carried?.active ?? {}, plays: carried?.plays ?? {}, fired: carried?.fired ?? {},
    credit: carried?.credit ?? { closed: false, reasons: [], since: null },
    pause: carried?.pause ?? { closed: false, reasons: [], since: null, alignmentSince: null },
    nextSnapshot: carried?.nextSnapshot ?? null, wakeAt: carried?.wakeAt ?? null, snapshots: carried?.snapshots ?? 0,
  };
}

/** What one evaluation brings the workflow (computed by the activity, recorded in history). */
export interface HealthEvaluation {
  occasion: 'snapshot' | 'signal' | 'wake';
  at: string;
  /** The snapshot's month (yyyy-MM), for `snapshot`. */
  month?: string;
  policyVersion: number;
  scores: HealthScores;
  conditions: HealthCondition[];
  /** Keys of this process's play CTAs that are still open (done/cancelled ones re-arm their condition). */
  openPlayCtas: string[];
  /** What the snapshot's gates need. */
  gate: {
    consecutiveRedMonths: number;
    pauseThresholdUsd: number;
    /** A segment's quarter to date. */
    aQuarter: { attendancePct: number | null; latencyDays: number | null; attendanceMinPct: number; latencyMaxDays: number } | null;
    /** Last Roadmap Reset (roadmap version) recorded, for R-120's Alignment pause. */
    roadmapResetAt: string | null;
    /** R-120 Quality: the vCIO roadmap review play. */
    qualityReview: { ownerRole: Role; dueAt: string };
  };
  segment: { current: Segment; source: 'computed' | 'override'; autoResegment: boolean };
  nextSnapshot: { month: string; at: string };
  wakeAt: string[];
}

/** Consecutive Red snapshot months ending with `month`, each the calendar month before the next. */
export function redStreak(months: HealthState['months'], dim: Scored, month: string): number {
  let n = 0;
  let expect = month;
  for (let i = months.length - 1; i >= 0; i--) {
    const m = months[i]!;
    if (m.month !== expect || m.colours[dim] !== 'Red') break;
    n++;
    expect = previousMonth(expect);
  }
  return n;
}
const previousMonth = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};

const LABEL: Record<Scored, string> = { cx: 'CX', adoption: 'Adoption (DMI)', engagement: 'Engagement', serviceQuality: 'Service Quality', alignment: 'Service Level Alignment', composite: 'Composite' };
const RULE: Record<Scored, string> = { cx: 'R-104', adoption: 'R-105', engagement: 'R-106', serviceQuality: 'R-107', alignment: 'R-108', composite: 'R-109' };

/** Applies one evaluation to the state; returns what to record, in order. */
export function react(state: HealthState, ev: HealthEvaluation): ProcessEffect[] {
  const out: ProcessEffect[] = [];
  state.evaluations += 1;
  // Plays whose CTA is done or cancelled are over: their condition may fire again.
  const open = new Set(ev.openPlayCtas);
  for (const [key, p] of Object.entries(state.plays)) if (!open.has(p.ctaKey)) delete state.plays[key];

  // Every score or colour change, explained (inputs, weights, band crossed, previous value).
  const current = currentScores(ev.scores);
  for (const dim of SCORED) {
    const prev = state.last?.scores[dim] ?? { score: null, colour: null };
    const cur = current[dim];
    if (prev.score === cur.score && prev.colour === cur.colour) continue;
    const detail = dim === 'composite' ? { inputs: Object.fromEntries(DIMENSIONS.map((d) => [d, ev.scores.dimensions[d].score])), weights: ev.scores.composite.weights, band: ev.scores.composite.band, reasons: [] as string[] } : ev.scores.dimensions[dim];
    out.push(event('health.score_changed', RULE[dim], {
      dimension: dim, score: cur.score, colour: cur.colour, previousScore: prev.score, previousColour: prev.colour, occasion: ev.occasion,
    }, {
      label: LABEL[dim], inputs: detail.inputs, weightsPct: detail.weights, ...('band' in detail && detail.band ? { band: detail.band } : {}), reasons: detail.reasons,
      crossed: prev.colour !== cur.colour ? `${prev.colour ?? 'none'} → ${cur.colour ?? 'none'}` : null, previous: prev, policyVersion: ev.policyVersion,
    }, ev.at));
  }

  // Conditions: rising edges fire a play (or append evidence to its open CTA); R-93 triggers go to At Risk.
  const seen = new Set<string>();
  for (const c of ev.conditions) {
    seen.add(c.key);
    const before = state.active[c.key];
    state.active[c.key] = c.token;
    if (before === c.token) continue; // still holding: nothing new
    if (c.kind === 'risk') {
      out.push({ kind: 'riskSignal', key: `${c.key}@${c.token}`, trigger: c.trigger, bucket: c.bucket, ruleId: c.ruleId, evidence: { ...c.evidence, source: 'health', occasion: ev.occasion } });
      continue;
    }
    const openPlay = state.plays[c.key];
    if (openPlay) {
      openPlay.evidence += 1;
      out.push(event('play.evidence_added', 'R-124', { play: c.key, ctaKey: openPlay.ctaKey, evidence: openPlay.evidence }, { ...c.why, token: c.token, rule: 'a repeated condition appends evidence to the open play (R-124)' }, ev.at));
      continue;
    }
    const n = (state.fired[c.key] ?? 0) + 1;
    state.fired[c.key] = n;
    const ctaKey = `play/${c.key}/${n}`;
    state.plays[c.key] = { ctaKey, evidence: 1, since: ev.at };
    out.push(event('play.fired', c.ruleId, { play: c.key, ctaKey, ownerRole: c.ownerRole, dueAt: c.dueAt }, { ...c.why, token: c.token, occasion: ev.occasion }, ev.at));
    out.push({ kind: 'cta', key: ctaKey, ctaKind: c.ctaKind, title: c.title, ruleId: c.ruleId, ownerRole: c.ownerRole, dueAt: c.dueAt, why: { ...c.why, play: c.key } });
    if (c.checkIn) out.push({ kind: 'cta', key: `${ctaKey}/check-in`, ctaKind: 'play-check-in', title: c.checkIn.title, ruleId: c.ruleId, ownerRole: c.ownerRole, dueAt: c.checkIn.dueAt, clock: 'due', why: { play: c.key, checkIn: true } });
    if (c.quadrant) {
      out.push(event('health.quadrant_shift', 'R-110', { from: c.quadrant.from, to: c.quadrant.to, maturityScore: c.quadrant.maturityScore, appetiteScore: c.quadrant.appetiteScore }, { maturity: c.quadrant.maturity, appetite: c.quadrant.appetite, source: ev.segment.source, autoResegment: ev.segment.autoResegment }, ev.at));
      // no automatic move unless the policy says so, and never over a manual placement.
      if (ev.segment.autoResegment && ev.segment.source === 'computed') out.push({ kind: 'resegment', maturity: c.quadrant.maturityScore, appetite: c.quadrant.appetiteScore, reason: `health places the client in ${c.quadrant.to} (R-110, autoResegment)` });
    }
  }
  for (const key of Object.keys(state.active)) if (!seen.has(key)) delete state.active[key];

  if (ev.occasion === 'snapshot' && ev.month) out.push(...snapshot(state, ev, current));
  out.push({ kind: 'healthCurrent', occasion: ev.occasion, evaluatedAt: ev.at, policyVersion: ev.policyVersion, scores: ev.scores, credit: { ...state.credit }, pause: { closed: state.pause.closed, reasons: [...state.pause.reasons], since: state.pause.since } });
  state.last = { asOf: ev.at, scores: current };
  state.nextSnapshot = ev.nextSnapshot;
  state.wakeAt = ev.wakeAt[0] ?? null;
  return out;
}

function currentScores(s: HealthScores): Record<Scored, { score: number | null; colour: Colour | null }> {
  const out = Object.fromEntries(DIMENSIONS.map((d) => [d, { score: s.dimensions[d].score, colour: s.dimensions[d].colour }])) as Record<Scored, { score: number | null; colour: Colour | null }>;
  out.composite = { score: s.composite.score, colour: s.composite.colour };
  return out;
}

/** The monthly snapshot: month colours, Red streaks, the credit gate and the initiative pause. */
function snapshot(state: HealthState, ev: HealthEvaluation, current: Record<Scored, { score: number | null; colour: Colour | null }>): ProcessEffect[] {
  const out: ProcessEffect[] = [];
  const month = ev.month!;
  state.snapshots += 1;
  state.months = [...state.months.filter((m) => m.month !== month), { month, colours: Object.fromEntries(SCORED.map((d) => [d, current[d].colour])) as Record<Scored, Colour | null> }]
    .sort((a, b) => (a.month < b.month ? -1 : 1)).slice(-24);
  const n = ev.gate.consecutiveRedMonths;
  const streak = Object.fromEntries(SCORED.map((d) => [d, redStreak(state.months, d, month)])) as Record<Scored, number>;

  // CX, Engagement or Alignment Red two months in a row, or an A quarter under the attendance/latency lines, defer credit.
  const creditConditions: Record<string, boolean> = {
    cxNotRedTwoMonths: streak.cx < n, engagementNotRedTwoMonths: streak.engagement < n, alignmentNotRedTwoMonths: streak.alignment < n,
  };
  const reasons: string[] = [];
  for (const d of ['cx', 'engagement', 'alignment'] as const) if (streak[d] >= n) reasons.push(`${LABEL[d]} Red ${streak[d]} consecutive months (R-32, R-120)`);
  const aq = ev.gate.aQuarter;
  if (aq) {
    creditConditions.aQuarterExecAttendance = aq.attendancePct === null || aq.attendancePct >= aq.attendanceMinPct;
    creditConditions.aQuarterDecisionLatency = aq.latencyDays === null || aq.latencyDays <= aq.latencyMaxDays;
    if (!creditConditions.aQuarterExecAttendance) reasons.push(`A quarter: executive attendance ${aq.attendancePct} % < ${aq.attendanceMinPct} % (R-32)`);
    if (!creditConditions.aQuarterDecisionLatency) reasons.push(`A quarter: decision latency ${aq.latencyDays} d > ${aq.latencyMaxDays} d (R-32)`);
  }
  const wasDeferred = state.credit.closed;
  const deferred = reasons.length > 0;
  if (deferred !== wasDeferred || (deferred && reasons.join('|') !== state.credit.reasons.join('|'))) {
    out.push(event(deferred ? 'gate.closed' : 'gate.opened', 'R-32', { gate: 'credit', conditions: creditConditions }, {
      reasons, month, redStreaks: streak, consecutiveRedMonths: n, rule: deferred ? 'expansion credit is deferred while the gate is closed; risk-reduction items stay allowed as stability work (R-32)' : 'the gate lifted: deferred credit is released (R-32)',
    }, ev.at));
  }
  state.credit = { closed: deferred, reasons, since: deferred ? (wasDeferred ? state.credit.since : ev.at) : null };
  if (wasDeferred && !deferred) out.push({ kind: 'creditRelease', month, reason: `the ${month} snapshot lifted the credit gate (R-32)` });

  // Quality Red two months → vCIO roadmap review + pause; Alignment Red two months → pause until a Roadmap Reset.
  const pauseReasons: string[] = [];
  if (streak.serviceQuality >= n) pauseReasons.push(`Service Quality Red ${streak.serviceQuality} consecutive months: initiatives above $${ev.gate.pauseThresholdUsd} paused unless a risk plan is agreed in the QBR (R-120)`);
  const alignmentRed = streak.alignment >= n;
  const alignmentSince = alignmentRed ? (state.pause.alignmentSince ?? ev.at) : state.pause.alignmentSince;
  const reset = ev.gate.roadmapResetAt !== null && alignmentSince !== null && ms(ev.gate.roadmapResetAt) > ms(alignmentSince);
  const alignmentPaused = alignmentSince !== null && !reset;
  if (alignmentPaused) pauseReasons.push(`Service Level Alignment Red ${n}+ consecutive months: initiatives above $${ev.gate.pauseThresholdUsd} paused until a Roadmap Reset is recorded (R-120)`);
  const wasPaused = state.pause.closed;
  const paused = pauseReasons.length > 0;
  if (paused !== wasPaused || (paused && pauseReasons.join('|') !== state.pause.reasons.join('|'))) {
    out.push(event(paused ? 'gate.closed' : 'gate.opened', 'R-120', { gate: 'initiativePause', conditions: { qualityNotRedTwoMonths: streak.serviceQuality < n, alignmentNotPaused: !alignmentPaused } }, {
      reasons: pauseReasons, month, pauseThresholdUsd: ev.gate.pauseThresholdUsd, roadmapResetAt: ev.gate.roadmapResetAt,
    }, ev.at));
  }
  state.pause = { closed: paused, reasons: pauseReasons, since: paused ? (wasPaused ? state.pause.since : ev.at) : null, alignmentSince: alignmentPaused ? alignmentSince : null };
  if (streak.serviceQuality >= n && !state.plays.qualityRed2) {
    const k = (state.fired.qualityRed2 ?? 0) + 1;
    state.fired.qualityRed2 = k;
    const ctaKey = `play/qualityRed2/${k}`;
    state.plays.qualityRed2 = { ctaKey, evidence: 1, since: ev.at };
    out.push(event('play.fired', 'R-120', { play: 'qualityRed2', ctaKey, ownerRole: ev.gate.qualityReview.ownerRole, dueAt: ev.gate.qualityReview.dueAt }, { streak: streak.serviceQuality, month }, ev.at));
    out.push({ kind: 'cta', key: ctaKey, ctaKind: 'play-qualityRed2', title: `Service Quality Red ${streak.serviceQuality} months: vCIO roadmap review`, ruleId: 'R-120', ownerRole: ev.gate.qualityReview.ownerRole, dueAt: ev.gate.qualityReview.dueAt, why: { streak: streak.serviceQuality, month, policyKeys: playPolicyKeys('qualityRedReview') } });
  }

  out.push(event('health.snapshot', 'R-109', {
    month, composite: current.composite.score, colour: current.composite.colour,
    dimensions: Object.fromEntries(DIMENSIONS.map((d) => [d, { score: current[d].score, colour: current[d].colour }])),
    creditDeferred: state.credit.closed, initiativesPaused: state.pause.closed,
  }, { redStreaks: streak, creditReasons: state.credit.reasons, pauseReasons: state.pause.reasons, derived: ev.scores.derived, policyVersion: ev.policyVersion }, ev.at));
  out.push({ kind: 'healthSnapshot', month, at: ev.at, scores: ev.scores, credit: { ...state.credit }, pause: { closed: state.pause.closed, reasons: [...state.pause.reasons], since: state.pause.since }, redStreaks: streak });
  return out;
}

/** The next instant the workflow must act: the monthly snapshot or a time-driven condition. */
export function nextDue(state: HealthState): { key: string; at: string } | undefined {
  const candidates = [
    ...(state.nextSnapshot ? [{ key: `snapshot|${state.nextSnapshot.month}`, at: state.nextSnapshot.at }] : []),
    ...(state.wakeAt ? [{ key: `wake|${state.wakeAt}`, at: state.wakeAt }] : []),
  ];
  return candidates.sort((a, b) => ms(a.at) - ms(b.at))[0];
}

/** The status view (query). */
export function healthStatusView(state: HealthState) {
  return {
    clientId: state.clientId, last: state.last, months: state.months, credit: state.credit, pause: { closed: state.pause.closed, reasons: state.pause.reasons, since: state.pause.since },
    openPlays: Object.entries(state.plays).map(([play, p]) => ({ play, ...p })), nextSnapshot: state.nextSnapshot, wakeAt: state.wakeAt, snapshots: state.snapshots, evaluations: state.evaluations,
  };
}
export type HealthStatus = ReturnType<typeof healthStatusView>;
