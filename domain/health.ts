/**
 * Health that explains itself (DOMAIN §2.18, R-104..R-110, A-3, A-15, A-18, A-20): the five
 * dimensions, their colours, the composite and the derived maturity/appetite, computed from plain
 * facts so every number can be checked by hand.
 *
 * Two layers, both pure and deterministic (no I/O, no clock; imported by the health workflow and
 * by the activity that loads the facts):
 * - `deriveSignals(facts, policy)`: what the facts say over the policy's windows — the pulse
 *   average, complaints in the month, cadence adherence, stakeholder mix, decision latency,
 *   follow-up closure, the latest DMI, service metrics and alignment rubric;
 * - `scoreHealth(signals, policy, segment)`: each dimension's score (0–100, two decimals) and
 *   colour by its rule, with the inputs, weights and band that decided it.
 *
 * The seed's worked examples carry arithmetic slips: Engagement 77.25 (the formula gives
 * 76.25), Quality 82.1 (82.4), Alignment 80 (81.0). The formulas are implemented, not the slips.
 */
import { DateTime } from 'luxon';
import { atLocalTime, isBusinessDay, type BusinessCalendar } from './business-time.js';
import type { Policy } from './policy.js';
import { segmentClient } from './segmentation.js';

export type Segment = 'A' | 'B' | 'C' | 'D';
export type Colour = 'Green' | 'Yellow' | 'Red';
export const DIMENSIONS = ['cx', 'adoption', 'engagement', 'serviceQuality', 'alignment'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const COMPLAINT_TAGS = ['Cadence', 'Relevance', 'Follow-through', 'Quality'] as const;
export type ComplaintTag = (typeof COMPLAINT_TAGS)[number];

const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);
/** Scores and percentages are kept to two decimals (76.25, not 76.2499999). */
export const round2 = (x: number) => Math.round(x * 100 + Number.EPSILON * 100) / 100;
const pctOf = (n: number, d: number) => (d > 0 ? round2((n * 100) / d) : null);

// ---------------------------------------------------------------------------------------------
// Facts: what the activity loads for one client at one instant

export interface PulseFact { observedAt: string; invited: number; respondents: number; scores: number[]; meetingId?: string }
export interface ComplaintFact { observedAt: string; tag: ComplaintTag }
export interface DmiInsight { key: string; weight: number; coveragePct: number }
export interface DmiFact { observedAt: string; insights: DmiInsight[] }
export interface LateMilestone { milestone: string; daysLate: number }
export interface ServiceFact {
  observedAt: string;
  slaResponsePct?: number;
  slaResolutionPct?: number;
  milestonesOnTimePct?: number;
  lateMilestones?: LateMilestone[];
  reopenPct?: number;
  repeatPct?: number;
  backupSuccessPct?: number;
  backlogAgingDays?: number;
  openPostMortemActions?: number;
}
export type AlignmentFact = {
  observedAt: string;
  /** R-119 causes reported with the measurement. */
  roadmapNotRelevant?: boolean;
  lateRoadmapCount?: number;
} & (
  | { method: 'rubric'; presence: number; perception: number; performance: number }
  | { method: 'checklist'; checks: { cadenceVsPlan: boolean; deliverablesWithRecap: boolean; sponsorForAB: boolean; effortMix: boolean } }
);
/** A meeting of the client's cadence as the meetings table holds it. */
export interface MeetingFact {
  startsAt: string;
  state: string;
  strategic: boolean;
  heldAt: string | null;
  decisionCount: number | null;
  sponsorPresent: boolean | null;
  decisionMakerPresent?: boolean | null;
  recapDueAt: string | null;
  recapSentAt: string | null;
}

export interface HealthFacts {
  asOf: string;
  segment: Segment;
  /** When the client was registered: the sponsor heartbeat counts from here until a sponsor is seen. */
  clientSince: string;
  pulses: PulseFact[];
  complaints: ComplaintFact[];
  /** Oldest first. */
  dmi: DmiFact[];
  /** Oldest first. */
  serviceMetrics: ServiceFact[];
  /** Oldest first. */
  alignment: AlignmentFact[];
  /** The client's cadence meetings (strategic ones count; any order). */
  meetings: MeetingFact[];
  /** Last held meeting (any process) with the executive sponsor present (R-104 heartbeat). */
  lastSponsorSeenAt: string | null;
  /** Decision latency samples in days (proposal sent → decided; decided in the session: 0; undecided past the target: age so far). */
  decisionLatencyDays: number[];
  /** Decision CTAs due in the window: when the first action was due and when it came. */
  decisionCtas: { firstActionDueAt: string; firstActionAt: string | null }[];
}

// ---------------------------------------------------------------------------------------------
// Signals: the numbers the dimensions are computed from

export interface HealthSignals {
  segment: Segment;
  asOf: string;
  cx: {
    pulseAverage: number | null; respondents: number; invited: number; responseRatePct: number | null; sponsorDays: number; complaints: number; complaintTags: ComplaintTag[];
    /** R-93 "CSAT for the month": the pulse over the rolling month (complaint window). */
    pulseMonthAverage: number | null;
    /** When the latest negative feedback arrived: a pulse round below the Yellow line or a complaint. */
    lastNegativeAt: string | null;
  };
  adoption: { dmi: number | null; insights: DmiInsight[]; measuredAt: string | null; previousDmi: number[] };
  engagement: {
    cadenceAdherencePct: number | null; held: number; missed: number;
    stakeholderMixPct: number | null; decisionMedianDays: number | null; decisionSamples: number; decisionVelocityPct: number | null;
    followUpClosurePct: number | null; recapOnTimePct: number | null; qbrDecisionPct: number | null;
    /** The last `redQbrsWithoutDecision` held strategic meetings all without a decision (R-106 Red). */
    lastQbrsWithoutDecision: boolean; decisionMakerAbsentStreak: number;
  };
  serviceQuality: {
    slaPct: number | null; milestonesOnTimePct: number | null; reopenPct: number | null; repeatPct: number | null; recurrencePct: number | null;
    recapFollowThroughPct: number | null; backupSuccessPct: number | null; lateMilestones: LateMilestone[]; backlogAgingDays: number | null;
    openPostMortemActions: number | null; measuredAt: string | null; previousSlaPct: number | null;
  };
  alignment: AlignmentFact | null;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const within = (iso: string, asOf: string, days: number) => ms(iso) <= ms(asOf) && ms(iso) > ms(asOf) - days * DAY_MS;

/** Σ(weight × coverage) ÷ Σ weights, coverage in percent → 0–100. */
export function dmiOf(insights: readonly DmiInsight[]): number | null {
  const w = insights.reduce((a, i) => a + i.weight, 0);
  return w > 0 ? round2(insights.reduce((a, i) => a + i.weight * i.coveragePct, 0) / w) : null;
}

/** The signals of one client at `facts.asOf`, over the policy's windows. */
export function deriveSignals(facts: HealthFacts, policy: Policy): HealthSignals {
  const h = policy.health;
  const asOf = facts.asOf;
  const seg = facts.segment;
  // CX: the pulse over the health window, complaints over the rolling month, sponsor heartbeat.
  const pulses = facts.pulses.filter((p) => within(p.observedAt, asOf, h.windowDays));
  const answers = pulses.flatMap((p) => p.scores);
  const respondents = pulses.reduce((a, p) => a + p.respondents, 0);
  const invited = pulses.reduce((a, p) => a + p.invited, 0);
  const complaints = facts.complaints.filter((c) => within(c.observedAt, asOf, h.cx.complaintWindowDays));
  const monthAnswers = pulses.filter((p) => within(p.observedAt, asOf, h.cx.complaintWindowDays)).flatMap((p) => p.scores);
  const negatives = [
    ...pulses.filter((p) => p.scores.length && mean(p.scores)! < h.cx.pulse.yellowMin).map((p) => p.observedAt),
    ...complaints.map((c) => c.observedAt),
  ].sort((a, b) => ms(a) - ms(b));
  const sponsorFrom = facts.lastSponsorSeenAt ?? facts.clientSince;
  const sponsorDays = Math.max(0, Math.floor((ms(asOf) - ms(sponsorFrom)) / DAY_MS));

  // Engagement from Baton's own strategic meetings in the window.
  const strategic = facts.meetings.filter((m) => m.strategic && ms(m.startsAt) <= ms(asOf));
  const inWindow = strategic.filter((m) => ms(m.startsAt) > ms(asOf) - h.windowDays * DAY_MS);
  const held = inWindow.filter((m) => m.state === 'held');
  const missed = inWindow.filter((m) => m.state === 'missed');
  const withDm = held.filter((m) => (m.decisionMakerPresent ?? m.sponsorPresent) === true);
  const recapsDue = held.filter((m) => m.recapSentAt !== null || (m.recapDueAt !== null && ms(m.recapDueAt) <= ms(asOf)));
  const recapsOnTime = recapsDue.filter((m) => m.recapSentAt !== null && m.recapDueAt !== null && ms(m.recapSentAt) <= ms(m.recapDueAt));
  const ctasDue = facts.decisionCtas.filter((c) => c.firstActionAt !== null || ms(c.firstActionDueAt) <= ms(asOf));
  const ctasOnTime = ctasDue.filter((c) => c.firstActionAt !== null && ms(c.firstActionAt) <= ms(c.firstActionDueAt));
  const heldEver = strategic.filter((m) => m.state === 'held').sort((a, b) => ms(a.startsAt) - ms(b.startsAt));
  const n = h.engagement.redQbrsWithoutDecision;
  const lastN = heldEver.slice(-n);
  let dmAbsent = 0;
  for (let i = heldEver.length - 1; i >= 0 && heldEver[i]!.decisionMakerPresent === false; i--) dmAbsent++;
  const medianDays = median(facts.decisionLatencyDays);
  const target = h.engagement.latencyTargetDays[seg];

  // Service Quality: the latest service metrics; recap follow-through from the meetings.
  const svc = facts.serviceMetrics.at(-1);
  const prevSvc = facts.serviceMetrics.at(-2);
  const slaOf = (s: ServiceFact | undefined) => (s ? mean([s.slaResponsePct, s.slaResolutionPct].filter((x): x is number => x !== undefined)) : null);
  const recurrenceBase = svc && (svc.reopenPct !== undefined || svc.repeatPct !== undefined) ? Math.max(svc.reopenPct ?? 0, svc.repeatPct ?? 0) : null;
  const dmi = facts.dmi.at(-1);

  return {
    segment: seg, asOf,
    cx: {
      pulseAverage: answers.length ? round2(mean(answers)!) : null, respondents, invited, responseRatePct: pctOf(respondents, invited), sponsorDays,
      complaints: complaints.length, complaintTags: [...new Set(complaints.map((c) => c.tag))].sort(),
      pulseMonthAverage: monthAnswers.length ? round2(mean(monthAnswers)!) : null, lastNegativeAt: negatives.at(-1) ?? null,
    },
    adoption: { dmi: dmi ? dmiOf(dmi.insights) : null, insights: dmi ? dmi.insights.map((i) => ({ ...i })) : [], measuredAt: dmi?.observedAt ?? null, previousDmi: facts.dmi.slice(0, -1).map((d) => dmiOf(d.insights)).filter((x): x is number => x !== null) },
    engagement: {
      cadenceAdherencePct: pctOf(held.length, held.length + missed.length), held: held.length, missed: missed.length,
      stakeholderMixPct: pctOf(withDm.length, held.length),
      decisionMedianDays: medianDays === null ? null : round2(medianDays), decisionSamples: facts.decisionLatencyDays.length,
      // Velocity against the segment's latency target: 100 at or under it, target ÷ median above it.
      decisionVelocityPct: medianDays === null ? null : round2(100 * Math.min(1, medianDays <= 0 ? 1 : target / medianDays)),
      followUpClosurePct: pctOf(recapsOnTime.length + ctasOnTime.length, recapsDue.length + ctasDue.length),
      recapOnTimePct: pctOf(recapsOnTime.length, recapsDue.length),
      qbrDecisionPct: pctOf(held.filter((m) => (m.decisionCount ?? 0) >= 1).length, held.length),
      lastQbrsWithoutDecision: lastN.length >= n && n > 0 && lastN.every((m) => (m.decisionCount ?? 0) === 0),
      decisionMakerAbsentStreak: dmAbsent,
    },
    serviceQuality: {
      slaPct: slaOf(svc) === null ? null : round2(slaOf(svc)!), milestonesOnTimePct: svc?.milestonesOnTimePct ?? null,
      reopenPct: svc?.reopenPct ?? null, repeatPct: svc?.repeatPct ?? null,
      recurrencePct: recurrenceBase === null ? null : round2(Math.max(0, 100 - h.serviceQuality.recurrencePenaltyPerPct * recurrenceBase)),
      recapFollowThroughPct: pctOf(recapsOnTime.length, recapsDue.length),
      backupSuccessPct: svc?.backupSuccessPct ?? null, lateMilestones: svc?.lateMilestones?.map((m) => ({ ...m })) ?? [], backlogAgingDays: svc?.backlogAgingDays ?? null,
      openPostMortemActions: svc?.openPostMortemActions ?? null, measuredAt: svc?.observedAt ?? null, previousSlaPct: slaOf(prevSvc) === null ? null : round2(slaOf(prevSvc)!),
    },
    alignment: facts.alignment.at(-1) ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Scores

export interface Band { greenMin: number; yellowMin: number }
export interface DimensionScore {
  score: number | null;
  colour: Colour | null;
  /** The numbers that went in (null: no data). */
  inputs: Record<string, number | boolean | string | null>;
  /** Percent weights of the score's parts, as used (renormalised over the parts with data). */
  weights: Record<string, number>;
  /** The band the colour was read from (score-banded dimensions). */
  band?: Band;
  /** Why the colour: the rule lines that decided it (R-104, R-106 colour by rule). */
  reasons: string[];
}
export interface HealthScores {
  segment: Segment;
  asOf: string;
  dimensions: Record<Dimension, DimensionScore>;
  composite: { score: number | null; colour: Colour | null; weights: Record<string, number>; band: Band };
  /** derived maturity and appetite (0–100 and 1–5) and the segment they place the client in; null while a dimension is missing. */
  derived: { maturity: number; appetite: number; maturityScore: number; appetiteScore: number; segment: Segment } | null;
}

/** G ≥ greenMin, Y ≥ yellowMin, else R. */
export const colourOf = (score: number, band: Band): Colour => (score >= band.greenMin ? 'Green' : score >= band.yellowMin ? 'Yellow' : 'Red');

/** A weighted sum over the parts with data, weights renormalised to those parts. */
function weighted(parts: Record<string, number | null>, weightsPct: Record<string, number>): { score: number | null; weights: Record<string, number> } {
  const present = Object.entries(parts).filter(([k, v]) => v !== null && (weightsPct[k] ?? 0) > 0);
  const total = present.reduce((a, [k]) => a + weightsPct[k]!, 0);
  if (!present.length || total <= 0) return { score: null, weights: {} };
  const weights = Object.fromEntries(present.map(([k]) => [k, round2((weightsPct[k]! * 100) / total)]));
  return { score: round2(present.reduce((a, [k, v]) => a + (weightsPct[k]! / total) * (v as number), 0)), weights };
}

/** The worst colour of the rule lines (any Red → Red; all Green → Green; else Yellow). */
const rollUp = (colours: Colour[]): Colour | null => (!colours.length ? null : colours.includes('Red') ? 'Red' : colours.every((c) => c === 'Green') ? 'Green' : 'Yellow');

export function scoreHealth(s: HealthSignals, policy: Policy): HealthScores {
  const h = policy.health;
  const seg = s.segment;
  const sponsorRed = s.cx.sponsorDays > h.sponsorHeartbeatDays;

  // R-104 CX: colour by roll-up of pulse, sponsor heartbeat and complaints; score 20 × pulse − 10 (sponsor) − 10 per complaint, ≥ 0.
  const cxLines: Colour[] = [];
  const cxReasons: string[] = [];
  if (s.cx.pulseAverage !== null) {
    const c = colourOf(s.cx.pulseAverage, h.cx.pulse);
    cxLines.push(c);
    cxReasons.push(`pulse ${s.cx.pulseAverage} → ${c} (G ≥ ${h.cx.pulse.greenMin}, Y ≥ ${h.cx.pulse.yellowMin})`);
  }
  cxLines.push(sponsorRed ? 'Red' : 'Green');
  cxReasons.push(`sponsor seen ${s.cx.sponsorDays} d ago → ${sponsorRed ? 'Red' : 'Green'} (healthy ≤ ${h.sponsorHeartbeatDays} d)`);
  const complaintColour: Colour = s.cx.complaints <= h.cx.complaintsGreenMax ? 'Green' : s.cx.complaints <= h.cx.complaintsYellowMax ? 'Yellow' : 'Red';
  cxLines.push(complaintColour);
  cxReasons.push(`${s.cx.complaints} complaint(s) in ${h.cx.complaintWindowDays} d → ${complaintColour} (G ≤ ${h.cx.complaintsGreenMax}, Y ≤ ${h.cx.complaintsYellowMax})`);
  const cxScore = s.cx.pulseAverage === null ? null
    : round2(Math.min(100, Math.max(0, h.cx.scorePulseFactor * s.cx.pulseAverage - (sponsorRed ? h.cx.scoreSponsorPenalty : 0) - h.cx.scoreComplaintPenalty * s.cx.complaints)));
  const cx: DimensionScore = {
    score: cxScore, colour: rollUp(cxLines), reasons: cxReasons, weights: {},
    inputs: { pulseAverage: s.cx.pulseAverage, respondents: s.cx.respondents, invited: s.cx.invited, responseRatePct: s.cx.responseRatePct, responseTargetPct: h.cx.responseTargetPct[seg], sponsorDays: s.cx.sponsorDays, complaints: s.cx.complaints, complaintTags: s.cx.complaintTags.join(',') || null },
  };

  // R-105 Adoption (DMI), banded per segment.
  const aBand = h.adoption.bands[seg];
  const adoption: DimensionScore = {
    score: s.adoption.dmi, colour: s.adoption.dmi === null ? null : colourOf(s.adoption.dmi, aBand), band: { ...aBand }, weights: Object.fromEntries(s.adoption.insights.map((i) => [i.key, i.weight])),
    inputs: { dmi: s.adoption.dmi, measuredAt: s.adoption.measuredAt, ...Object.fromEntries(s.adoption.insights.map((i) => [`${i.key}CoveragePct`, i.coveragePct])) },
    reasons: s.adoption.dmi === null ? ['no DMI measured yet'] : [`DMI ${s.adoption.dmi} → ${colourOf(s.adoption.dmi, aBand)} (${seg}: G ≥ ${aBand.greenMin}, Y ≥ ${aBand.yellowMin})`],
  };

  // R-106 Engagement: the weighted score feeds the composite; the colour is by rule.
  const e = s.engagement;
  const eg = h.engagement;
  const eScore = weighted({ cadenceAdherence: e.cadenceAdherencePct, stakeholderMix: e.stakeholderMixPct, decisionVelocity: e.decisionVelocityPct, followUpClosure: e.followUpClosurePct }, eg.weightsPct);
  const relevance = s.cx.complaintTags.filter((t) => t === 'Relevance' || t === 'Follow-through');
  const red: string[] = [];
  if (e.cadenceAdherencePct !== null && e.cadenceAdherencePct < eg.redCadenceBelowPct) red.push(`cadence ${e.cadenceAdherencePct} % < ${eg.redCadenceBelowPct} %`);
  if (sponsorRed) red.push(`sponsor not seen for ${s.cx.sponsorDays} d > ${h.sponsorHeartbeatDays} d`);
  if (e.recapOnTimePct !== null && e.recapOnTimePct < eg.redRecapBelowPct) red.push(`recaps on time ${e.recapOnTimePct} % < ${eg.redRecapBelowPct} %`);
  if (e.lastQbrsWithoutDecision) red.push(`no decision in the last ${eg.redQbrsWithoutDecision} strategic meetings`);
  if (relevance.length) red.push(`complaint tagged ${relevance.join('/')}`);
  const green = e.cadenceAdherencePct !== null && e.cadenceAdherencePct >= eg.greenCadenceMinPct && !sponsorRed
    && e.recapOnTimePct !== null && e.recapOnTimePct >= eg.greenRecapMinPct && e.qbrDecisionPct !== null && e.qbrDecisionPct >= eg.greenQbrDecisionMinPct;
  const engagementColour: Colour = red.length ? 'Red' : green ? 'Green' : 'Yellow';
  const engagement: DimensionScore = {
    score: eScore.score, colour: engagementColour, weights: eScore.weights,
    inputs: {
      cadenceAdherencePct: e.cadenceAdherencePct, held: e.held, missed: e.missed, stakeholderMixPct: e.stakeholderMixPct, decisionVelocityPct: e.decisionVelocityPct,
      decisionMedianDays: e.decisionMedianDays, decisionSamples: e.decisionSamples, latencyTargetDays: eg.latencyTargetDays[seg], followUpClosurePct: e.followUpClosurePct,
      recapOnTimePct: e.recapOnTimePct, qbrDecisionPct: e.qbrDecisionPct, sponsorDays: s.cx.sponsorDays,
    },
    reasons: red.length ? red.map((r) => `Red: ${r}`) : green
      ? [`Green: cadence ≥ ${eg.greenCadenceMinPct} %, sponsor ≤ ${h.sponsorHeartbeatDays} d, recaps ≥ ${eg.greenRecapMinPct} %, ≥ ${eg.greenQbrDecisionMinPct} % with a decision`]
      : ['Yellow: not every Green line holds and no Red line does'],
  };

  // R-107 Service Quality.
  const q = s.serviceQuality;
  const qBand = h.serviceQuality.bands[seg];
  const qScore = weighted({ sla: q.slaPct, milestones: q.milestonesOnTimePct, recurrence: q.recurrencePct, recapFollowThrough: q.recapFollowThroughPct }, h.serviceQuality.weightsPct);
  const serviceQuality: DimensionScore = {
    score: qScore.score, colour: qScore.score === null ? null : colourOf(qScore.score, qBand), band: { ...qBand }, weights: qScore.weights,
    inputs: { slaPct: q.slaPct, milestonesOnTimePct: q.milestonesOnTimePct, reopenPct: q.reopenPct, repeatPct: q.repeatPct, recurrencePct: q.recurrencePct, recapFollowThroughPct: q.recapFollowThroughPct, measuredAt: q.measuredAt },
    reasons: qScore.score === null ? ['no service metrics yet'] : [`score ${qScore.score} → ${colourOf(qScore.score, qBand)} (${seg}: G ≥ ${qBand.greenMin}, Y ≥ ${qBand.yellowMin})`],
  };

  // R-108 Service Level Alignment: rubric (40/30/30, bands as R-107) or the four 25-point checks.
  const al = s.alignment;
  let alignment: DimensionScore;
  if (!al) {
    alignment = { score: null, colour: null, inputs: {}, weights: {}, reasons: ['no alignment measured yet'] };
  } else if (al.method === 'rubric') {
    const r = weighted({ presence: al.presence, perception: al.perception, performance: al.performance }, h.alignment.weightsPct);
    const b = h.alignment.bands[seg];
    alignment = {
      score: r.score, colour: colourOf(r.score!, b), band: { ...b }, weights: r.weights,
      inputs: { method: 'rubric', presence: al.presence, perception: al.perception, performance: al.performance, measuredAt: al.observedAt },
      reasons: [`rubric ${r.score} → ${colourOf(r.score!, b)} (${seg}: G ≥ ${b.greenMin}, Y ≥ ${b.yellowMin})`],
    };
  } else {
    const checks = Object.values(al.checks).filter(Boolean).length;
    const score = 25 * checks;
    const b = h.alignment.checklist;
    alignment = {
      score, colour: colourOf(score, b), band: { ...b }, weights: { cadenceVsPlan: 25, deliverablesWithRecap: 25, sponsorForAB: 25, effortMix: 25 },
      inputs: { method: 'checklist', ...al.checks, measuredAt: al.observedAt }, reasons: [`${checks} of 4 checks → ${score} → ${colourOf(score, b)} (G ≥ ${b.greenMin}, Y ≥ ${b.yellowMin})`],
    };
  }

  const dimensions: Record<Dimension, DimensionScore> = { cx, adoption, engagement, serviceQuality, alignment };
  // R-109 composite: 20 % each by default (per-segment weights), over the dimensions with a score.
  const comp = weighted(Object.fromEntries(DIMENSIONS.map((d) => [d, dimensions[d].score])), h.weightsPct[seg]);
  const composite = { score: comp.score, colour: comp.score === null ? null : colourOf(comp.score, h.composite), weights: comp.weights, band: { ...h.composite } };

  // R-109 derived maturity/appetite → 1–5 → R-1 segment (R-110 compares it with the current one).
  let derived: HealthScores['derived'] = null;
  const [A, Q, E, Al, C] = [adoption.score, serviceQuality.score, engagement.score, alignment.score, cx.score];
  if (A !== null && Q !== null && E !== null && Al !== null && C !== null) {
    const mw = h.maturityWeightsPct;
    const aw = h.appetiteWeightsPct;
    const maturity = round2((mw.adoption * A + mw.serviceQuality * Q + mw.engagement * E + mw.alignment * Al) / 100);
    const appetite = round2((aw.cx * C + aw.engagement * E + aw.adoption * A + aw.alignment * Al) / 100);
    const toScore = (x: number) => Math.min(5, Math.max(1, Math.ceil(x / h.scoreBandWidth)));
    const maturityScore = toScore(maturity);
    const appetiteScore = toScore(appetite);
    derived = { maturity, appetite, maturityScore, appetiteScore, segment: segmentClient({ maturity: maturityScore, appetite: appetiteScore, mrr: 0 }, policy.segmentation).segment };
  }
  return { segment: seg, asOf: s.asOf, dimensions, composite, derived };
}

// ---------------------------------------------------------------------------------------------
// The monthly snapshot instant (§2.18)

/** `time` on the last business day of `month` (yyyy-MM) in the client's zone. */
export function snapshotInstantOf(month: string, cal: BusinessCalendar, time: string): string {
  let d = DateTime.fromISO(`${month}-01`, { zone: 'utc' }).endOf('month').toISODate()!;
  for (let i = 0; i < 31 && !isBusinessDay(d, cal); i++) d = DateTime.fromISO(d, { zone: 'utc' }).minus({ days: 1 }).toISODate()!;
  return atLocalTime(d, time, cal);
}

/** The first monthly snapshot instant strictly after `after`, and its month. */
export function nextSnapshot(after: string, cal: BusinessCalendar, time: string): { month: string; at: string } {
  let month = DateTime.fromISO(after, { zone: cal.timeZone }).toFormat('yyyy-MM');
  for (let i = 0; i < 3; i++) {
    const at = snapshotInstantOf(month, cal, time);
    if (ms(at) > ms(after)) return { month, at };
    month = DateTime.fromISO(`${month}-01`, { zone: 'utc' }).plus({ months: 1 }).toFormat('yyyy-MM');
  }
  throw new RangeError(`No snapshot instant after ${after}`);
}
