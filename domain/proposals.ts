/**
 * Proposals as a pure process model (DOMAIN §2.13 R-76..R-80, the credit gate R-32, the At-Risk
 * signal R-93, late signals C-6/R-124, A-17).
 *
 * The workflow `proposal/{id}` (workflows/proposal.ts) holds one `ProposalState`: reports send,
 * accept, decline or withdraw it; from `sent` it ages (R-78: buckets 0–14, 15–30, >30 days; at
 * age_days 31 the re-engage play with a 20-minute live reset booked through the cadence and an
 * Alignment At-Risk signal; at 61 with no client decision it expires, R-79). Its initiative hears
 * of each step through follow-ups the workflow runs once the effects are recorded. The run ends
 * with the proposal: a late acceptance is answered "already finished" and the next version is
 * created as a Draft (R-124, done by the API).
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { addElapsedHours, makeCalendar, type BusinessCalendar } from './business-time.js';
import { event, type ProcessEffect } from './effects.js';
import { fixFirstGate, reasonProblem, type Adoption, type InitiativeAction, type Refusal } from './initiatives.js';
import type { Policy, Role } from './policy.js';

export const PROPOSAL_STATUSES = ['draft', 'sent', 'accepted', 'declined', 'expired', 'withdrawn'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];
export const FINAL_STATUSES: readonly ProposalStatus[] = ['accepted', 'declined', 'expired', 'withdrawn'];
export type Bucket = '0-14' | '15-30' | '>30';

const DAY_MS = 86_400_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

/** The Executive Decision Sheet: problem/why now, ≤2 options with cost band and impact, risks/assumptions, owner & target date. */
export interface Eds {
  problem: string;
  whyNow: string;
  options: { title: string; minUsd: number; maxUsd: number; impact: string }[];
  risks: string[];
  assumptions: string[];
  clientResponsibilities: string[];
  scope: string;
  owner: { role: Role; stakeholderId?: string; name?: string };
  targetDate: string;
}

/** EDS first, at most `proposals.maxOptions` options, each band sane. */
export function edsProblems(eds: Eds, policy: Policy): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (eds.options.length < 1) out.push({ path: 'eds.options', message: 'the EDS needs at least one option (R-77)' });
  if (eds.options.length > policy.proposals.maxOptions) out.push({ path: 'eds.options', message: `at most ${policy.proposals.maxOptions} options on the Executive Decision Sheet (R-77)` });
  eds.options.forEach((o, i) => {
    if (o.maxUsd < o.minUsd) out.push({ path: `eds.options.${i}.maxUsd`, message: 'maxUsd is below minUsd' });
  });
  return out;
}

/** A/B get a deck presented live, C/D a slim summary with e-sign. */
export const formatFor = (segment: 'A' | 'B' | 'C' | 'D') => (segment === 'A' || segment === 'B' ? 'deck' : 'slimSummary');

/** What R-76 checks when a proposal is created or sent, read from the records at that moment. */
export interface GateFacts {
  initiativeState: string;
  /** The latest roadmap version has an item for the initiative. */
  roadmapSlot: boolean;
  /** The latest budget version has a line for the initiative. */
  budgetLine: boolean;
  /** Remediation work (R-121 lets it through; the R-76 At-Risk exception when `remediationRiskId` is set). */
  remediation: boolean;
  /** R-76 exception (the at-risk work wires it): a remediation proposal whose pre-approval was a re-engage-session decision. */
  remediationRiskId?: string;
  adoption: Adoption;
}

/**
 * a proposal only for a PreApproved initiative with a roadmap slot and a budget line (the
 * At-Risk remediation exception waives the PreApproved state, not the slot and line, R-99);
 * no new non-remediation proposal while adoption is below the line.
 */
export function proposalGate(f: GateFacts, policy: Policy, opts: { openProposal?: string } = {}): Refusal | undefined {
  const exception = f.remediation && f.remediationRiskId !== undefined;
  if (f.initiativeState !== 'PreApproved' && !exception) {
    return { status: 409, ruleId: 'R-76', message: `A proposal is created only for a PreApproved initiative (R-76); this one is ${f.initiativeState}. Log its price test and pre-approval first.`, details: { initiativeState: f.initiativeState } };
  }
  const missing = [f.roadmapSlot ? '' : 'a roadmap slot (POST …/roadmap/versions)', f.budgetLine ? '' : 'a budget line (POST …/budget/versions)'].filter(Boolean);
  if (missing.length) return { status: 409, ruleId: 'R-76', message: `A proposal needs ${missing.join(' and ')} for its initiative (R-76).`, details: { roadmapSlot: f.roadmapSlot, budgetLine: f.budgetLine } };
  if (opts.openProposal) return { status: 409, ruleId: 'R-76', message: `Proposal ${opts.openProposal} is already open for this initiative; decide or withdraw it first.`, details: { openProposalId: opts.openProposal } };
  if (!f.remediation) return fixFirstGate(f.adoption, policy, 'new non-remediation proposal');
  return undefined;
}

/** C-3 age_days of a sent proposal, and its R-78 bucket (A-17: ">30" means age_days ≥ 31). */
export function ageOf(sentAt: string, now: string, policy: Policy): { ageDays: number; bucket: Bucket } {
  const ageDays = Math.floor((ms(now) - ms(sentAt)) / DAY_MS);
  const p = policy.proposals;
  return { ageDays, bucket: ageDays <= p.freshMaxAgeDays ? '0-14' : ageDays <= p.agingMaxAgeDays ? '15-30' : '>30' };
}

// ---------------------------------------------------------------------------------------------
// The process state

export interface ProposalSetup {
  proposalId: string;
  clientId: string;
  initiativeId: string;
  initiativeTitle: string;
  version: number;
  segment: 'A' | 'B' | 'C' | 'D';
  timeZone: string;
  policyVersion: number;
  policy: Policy;
  calendar: { timeZone: string; holidays: string[]; workdays: number[]; dayStart: string; dayEnd: string };
  eds: Eds;
  /** The row as the workflow found it. */
  status: ProposalStatus;
  sentAt: string | null;
  bucket: Bucket | null;
  reengagedAt: string | null;
}

export interface ProposalState {
  setup: ProposalSetup;
  status: ProposalStatus;
  sentAt?: string;
  bucket?: Bucket;
  reengagedAt?: string;
  decidedAt?: string;
  outcome?: { outcome: 'accepted' | 'declined' | 'expired' | 'withdrawn'; reason?: string; optionIndex?: number };
  actions: number;
  ticks: number;
}

export function initialState(setup: ProposalSetup): ProposalState {
  return {
    setup, status: setup.status, ...(setup.sentAt ? { sentAt: setup.sentAt } : {}), ...(setup.bucket ? { bucket: setup.bucket } : {}),
    ...(setup.reengagedAt ? { reengagedAt: setup.reengagedAt } : {}), actions: 0, ticks: 0,
  };
}

const calendarOf = (s: ProposalState): BusinessCalendar => makeCalendar(s.setup.calendar);
export const isFinished = (s: ProposalState) => FINAL_STATUSES.includes(s.status);

export type ProposalAction =
  | { type: 'send'; gate: GateFacts }
  | { type: 'accept'; optionIndex: number; decidedAt: string; decision: { ownerRole: Role; ownerStakeholder?: { id: string; name: string }; targetDate: string; budgetUsd: number } }
  | { type: 'decline'; reason: string; note?: string; decidedAt: string }
  | { type: 'withdraw'; reason: string };

/** Another process told once the effects are recorded. */
export type ProposalFollowUp =
  | { kind: 'initiative'; action: Extract<InitiativeAction, { type: 'proposalSent' | 'proposalDecided' }> }
  | { kind: 'onboarding'; title: string }
  | { kind: 'reset'; title: string; ownerRole: Role; presenterRole: Role; withinDays: number; minutes: number };

export interface Step { effects: ProcessEffect[]; followUps: ProposalFollowUp[] }
const none = (): Step => ({ effects: [], followUps: [] });

/** Whether a report may apply now. An expired proposal refuses an acceptance with R-124 (the API answers "already finished" and drafts the next version). */
export function decide(s: ProposalState, a: ProposalAction, _at: string): Refusal | undefined {
  const p = s.setup.policy;
  if (s.status === 'expired' && (a.type === 'accept' || a.type === 'decline')) {
    return { status: 409, ruleId: 'R-124', message: `Proposal v${s.setup.version} expired at ${s.decidedAt ?? 'age 61'} with no client decision (R-79); it is already finished.` };
  }
  if (isFinished(s)) return { status: 409, ruleId: 'R-74', message: `Proposal v${s.setup.version} is already ${s.status}.`, details: { status: s.status } };
  switch (a.type) {
    case 'send':
      if (s.status !== 'draft') return { status: 409, ruleId: 'R-78', message: `Proposal v${s.setup.version} was already sent at ${s.sentAt}.` };
      return proposalGate(a.gate, p);
    case 'accept':
      if (s.status !== 'sent') return { status: 409, ruleId: 'R-78', message: 'Send the proposal before the client can accept it (R-78: it ages from sent).' };
      if (a.optionIndex >= s.setup.eds.options.length) return { status: 422, ruleId: 'R-77', message: `Option ${a.optionIndex} is not on the EDS (${s.setup.eds.options.length} option(s)).` };
      return undefined;
    case 'decline': {
      if (s.status !== 'sent') return { status: 409, ruleId: 'R-78', message: 'Only a sent proposal is declined by the client; withdraw a draft instead.' };
      const r = reasonProblem(a.reason, p);
      return r ? { status: 422, ruleId: 'R-80', message: `A decline needs ${r}.` } : undefined;
    }
    case 'withdraw': {
      const r = reasonProblem(a.reason, p);
      return r ? { status: 422, ruleId: 'R-80', message: `A withdrawal needs ${r}.` } : undefined;
    }
  }
}

export function accept(s: ProposalState, a: ProposalAction, at: string): Step {
  s.actions += 1;
  const out = none();
  const { proposalId, initiativeId, version } = s.setup;
  switch (a.type) {
    case 'send':
      s.status = 'sent';
      s.sentAt = at;
      s.bucket = '0-14';
      out.effects.push(row(s, { status: 'sent', sentAt: at, bucket: '0-14' }));
      out.effects.push(event('proposal.sent', 'R-78', { proposalId, initiativeId, version, sentAt: at }, {
        gate: { rule: 'R-76', initiativeState: a.gate.initiativeState, roadmapSlot: a.gate.roadmapSlot, budgetLine: a.gate.budgetLine, remediation: a.gate.remediation },
        aging: agingPlan(s), format: s.setup.segment === 'A' || s.setup.segment === 'B' ? 'deck presented live (R-77)' : 'slim summary + e-sign (R-77)',
      }));
      out.followUps.push({ kind: 'initiative', action: { type: 'proposalSent', proposalId, sentAt: at } });
      out.followUps.push({ kind: 'onboarding', title: s.setup.initiativeTitle });
      break;
    case 'accept': {
      const { ageDays } = ageOf(s.sentAt!, at, s.setup.policy);
      finish(s, out, at, { outcome: 'accepted', optionIndex: a.optionIndex }, { ageDays, optionIndex: a.optionIndex }, 'R-32', {
        creditRule: 'R-32', owner: a.decision.ownerRole, ...(a.decision.ownerStakeholder ? { ownerStakeholder: a.decision.ownerStakeholder } : {}), targetDate: a.decision.targetDate, budgetUsd: a.decision.budgetUsd, decidedAt: a.decidedAt,
      });
      out.followUps.push({ kind: 'initiative', action: { type: 'proposalDecided', proposalId, outcome: 'accepted', decidedAt: a.decidedAt, decision: a.decision } });
      break;
    }
    case 'decline': {
      const { ageDays } = ageOf(s.sentAt!, at, s.setup.policy);
      finish(s, out, at, { outcome: 'declined', reason: a.reason }, { ageDays, reason: a.reason }, 'R-80', { ...(a.note ? { note: a.note } : {}), decidedAt: a.decidedAt });
      out.followUps.push({ kind: 'initiative', action: { type: 'proposalDecided', proposalId, outcome: 'declined', reason: a.reason, decidedAt: a.decidedAt } });
      break;
    }
    case 'withdraw':
      finish(s, out, at, { outcome: 'withdrawn', reason: a.reason }, { reason: a.reason }, 'R-80', { wasSent: s.sentAt !== undefined });
      if (s.sentAt) out.followUps.push({ kind: 'initiative', action: { type: 'proposalDecided', proposalId, outcome: 'withdrawn', reason: a.reason, decidedAt: at } });
      break;
  }
  return out;
}

function finish(s: ProposalState, out: Step, at: string, outcome: NonNullable<ProposalState['outcome']>, data: { ageDays?: number; reason?: string; optionIndex?: number }, ruleId: string, why: Record<string, unknown>) {
  s.status = outcome.outcome;
  s.decidedAt = at;
  s.outcome = outcome;
  out.effects.push(row(s, { status: outcome.outcome, decidedAt: at, decision: { ...outcome } }));
  out.effects.push(event('proposal.decided', ruleId, { proposalId: s.setup.proposalId, initiativeId: s.setup.initiativeId, outcome: outcome.outcome, ...data }, why));
  // The re-engage CTA has nothing left to do once the client decided.
  if (s.reengagedAt) out.effects.push({ kind: 'ctaResolved', key: 'reengage', note: `proposal ${outcome.outcome}` });
}

function row(s: ProposalState, set: Record<string, unknown>): ProcessEffect {
  return { kind: 'planning', write: { op: 'proposal', proposalId: s.setup.proposalId, set } };
}

/** The aging instants of a sent proposal (A-17, C-3: age_days from sent). */
function agingPlan(s: ProposalState) {
  const p = s.setup.policy.proposals;
  const at = (d: number) => iso(ms(s.sentAt!) + d * DAY_MS);
  return { aging: at(p.freshMaxAgeDays + 1), overdue: at(p.agingMaxAgeDays + 1), reengage: at(p.resetAtAgeDays), expire: at(p.expireAtAgeDays) };
}

// ---------------------------------------------------------------------------------------------
// Clocks

export interface Due { key: string; at: string }
const ORDER = ['bucket.aging', 'bucket.overdue', 'reengage', 'expire'];

/** the next aging instant of a sent proposal. */
export function nextDue(s: ProposalState): Due | undefined {
  if (s.status !== 'sent' || !s.sentAt) return undefined;
  const plan = agingPlan(s);
  const dues: Due[] = [];
  if (s.bucket === '0-14') dues.push({ key: 'bucket.aging', at: plan.aging });
  if (s.bucket !== '>30') dues.push({ key: 'bucket.overdue', at: plan.overdue });
  if (!s.reengagedAt) dues.push({ key: 'reengage', at: plan.reengage });
  dues.push({ key: 'expire', at: plan.expire });
  dues.sort((a, b) => ms(a.at) - ms(b.at) || ORDER.indexOf(a.key) - ORDER.indexOf(b.key));
  return dues[0];
}

export function due(s: ProposalState, key: string, now: string): Step {
  const p = s.setup.policy;
  const cal = calendarOf(s);
  const out = none();
  s.ticks += 1;
  const { proposalId, initiativeId } = s.setup;
  const { ageDays } = ageOf(s.sentAt!, now, p);
  switch (key) {
    case 'bucket.aging':
    case 'bucket.overdue': {
      const bucket: Bucket = key === 'bucket.aging' ? '15-30' : '>30';
      s.bucket = bucket;
      out.effects.push(row(s, { bucket }));
      out.effects.push(event('proposal.aged', 'R-78', { proposalId, ageDays, bucket }, { sentAt: s.sentAt!, clock: 'C-3 age_days (A-17)', buckets: [`0-${p.proposals.freshMaxAgeDays}`, `${p.proposals.freshMaxAgeDays + 1}-${p.proposals.agingMaxAgeDays}`, `>${p.proposals.agingMaxAgeDays}`] }));
      break;
    }
    case 'reengage': {
      // the Re-engage play — CTA to the AM (the vCIO presents for A/B), a 20-min live reset "now vs next quarter"
      // held within 7 days (booked through the cadence), and the R-93 Alignment trigger "proposal >30 d undecided".
      s.reengagedAt = now;
      const presenter = p.raci[s.setup.segment].processOwners.reengagePresenter;
      out.effects.push(row(s, { reengagedAt: now }));
      out.effects.push({
        kind: 'cta', key: 'reengage', ctaKind: 'proposal-reengage', title: `Re-engage on proposal "${s.setup.initiativeTitle}" (v${s.setup.version}): ${ageDays} days undecided — offer a ${p.proposals.resetMinutes}-min reset, now vs next quarter (R-78)`,
        ruleId: 'R-78', ownerRole: p.proposals.reengageOwner, dueAt: addElapsedHours(now, p.meeting.firstActionHours, cal),
        why: { proposalId, sentAt: s.sentAt!, ageDays, presenter, resetWithinDays: p.proposals.resetWithinDays, policyKeys: ['proposals.resetAtAgeDays', 'proposals.reengageOwner', 'proposals.resetMinutes'] },
        data: { proposalId, presenterRole: presenter },
      });
      out.effects.push({
        kind: 'riskSignal', key: 'undecided', trigger: 'proposalUndecided', bucket: 'Strategic', ruleId: 'R-93',
        evidence: { dimension: 'Alignment', proposalId, initiativeId, sentAt: s.sentAt!, ageDays, undecidedAboveDays: p.atRisk.proposalUndecidedDays, rule: 'R-78' }, firstActionCta: 'reengage',
      });
      out.followUps.push({ kind: 'reset', title: s.setup.initiativeTitle, ownerRole: p.proposals.reengageOwner, presenterRole: presenter, withinDays: p.proposals.resetWithinDays, minutes: p.proposals.resetMinutes });
      break;
    }
    case 'expire': {
      // no client decision at age 61 → Expired; initiative parked (the initiative versions roadmap and budget); reason CTA 72h.
      finish(s, out, now, { outcome: 'expired' }, { ageDays }, 'R-79', { sentAt: s.sentAt!, expireAtAgeDays: p.proposals.expireAtAgeDays, expiryAction: p.proposals.expiryAction });
      out.effects.push({
        kind: 'cta', key: 'decline-reason', ctaKind: 'decline-reason', title: `Capture why proposal "${s.setup.initiativeTitle}" (v${s.setup.version}) expired: ${p.proposals.declineReasons.join(' / ')} (R-79, R-80)`,
        ruleId: 'R-80', ownerRole: p.proposals.reengageOwner, dueAt: addElapsedHours(now, p.proposals.reasonHours, cal),
        why: { proposalId, expiredAt: now, reasons: [...p.proposals.declineReasons], capture: `POST /v1/clients/${s.setup.clientId}/proposals/${proposalId}/reason`, policyKeys: ['proposals.reasonHours', 'proposals.declineReasons'] },
        data: { proposalId },
      });
      out.followUps.push({ kind: 'initiative', action: { type: 'proposalDecided', proposalId, outcome: 'expired', decidedAt: now } });
      break;
    }
  }
  return out;
}

/** What became of a follow-up: recorded on the timeline when another process refused it or could not be reached. */
export function followUpRecorded(s: ProposalState, f: ProposalFollowUp, outcome: { outcome: 'accepted' | 'not-running' | 'refused' | 'skipped'; detail?: string; meetingId?: string }, now: string): ProcessEffect[] {
  if (f.kind === 'reset') {
    if (outcome.outcome === 'accepted') return [event('process.fact_recorded', 'R-78', { fact: 'resetRequested', details: { proposalId: s.setup.proposalId, meetingId: outcome.meetingId ?? null, withinDays: f.withinDays, minutes: f.minutes } })];
    // No cadence to book it through (or it refused): the AM books the reset by hand.
    return [{
      kind: 'cta', key: 'reset-by-hand', ctaKind: 'book-meeting', title: `Book the ${f.minutes}-min reset on proposal "${f.title}" within ${f.withinDays} days by hand (${outcome.detail ?? outcome.outcome}; R-78)`, ruleId: 'R-78',
      ownerRole: f.ownerRole, dueAt: addElapsedHours(now, f.withinDays * 24, calendarOf(s)), why: { proposalId: s.setup.proposalId, outcome: outcome.outcome, ...(outcome.detail ? { detail: outcome.detail } : {}) },
    }];
  }
  if (outcome.outcome === 'accepted' || outcome.outcome === 'skipped') return [];
  return [event('process.fact_recorded', f.kind === 'initiative' ? 'R-74' : 'R-54', { fact: f.kind === 'initiative' ? `initiative.${f.action.type}` : 'onboarding.proposalSent', details: { proposalId: s.setup.proposalId, outcome: outcome.outcome, detail: outcome.detail ?? null } }, { told: f.kind })];
}

export function statusView(s: ProposalState, now: string) {
  const age = s.sentAt && s.status === 'sent' ? ageOf(s.sentAt, now, s.setup.policy) : null;
  return {
    proposalId: s.setup.proposalId, clientId: s.setup.clientId, initiativeId: s.setup.initiativeId, version: s.setup.version, phase: isFinished(s) ? 'finished' as const : 'running' as const,
    status: s.status, sentAt: s.sentAt ?? null, ageDays: age?.ageDays ?? null, bucket: s.bucket ?? null, reengagedAt: s.reengagedAt ?? null, decidedAt: s.decidedAt ?? null,
    outcome: s.outcome ?? null, next: nextDue(s) ?? null, policyVersion: s.setup.policyVersion,
  };
}
export type ProposalStatusView = ReturnType<typeof statusView>;
