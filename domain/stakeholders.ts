/**
 * The client's own people as pure rules (DOMAIN.md R-123 pairing and active threads; R-19
 * stakeholder change; reset with the sponsor; R-26 pre-flight with a confirmed
 * decision-maker; decisions owned at the client; attendance by
 * stakeholder). The registry itself lives in PostgreSQL (db/stakeholders.ts); processes get a
 * snapshot of it (`ClientStakeholder[]`) and ask these functions.
 *
 * Pure and deterministic (may be imported from Temporal workflow code): no I/O, no clock.
 */
import type { Policy, Role } from './policy.js';
import { MSP_ROLES, type MspRole, type StakeholderRole } from './roles.js';

export interface ClientStakeholder {
  id: string;
  name: string;
  title: string | null;
  email: string | null;
  roles: StakeholderRole[];
  active: boolean;
}

type Segment = 'A' | 'B' | 'C' | 'D';
const byName = (a: { name: string; id: string }, b: { name: string; id: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// pairing with MSP roles and active threads

/** MSP roles with a client counterpart, in R-123's order. */
export const PAIRED_MSP_ROLES = ['TAM', 'CSM', 'AM', 'vCIO', 'vCISO', 'vCTO'] as const satisfies readonly MspRole[];
export type PairedMspRole = (typeof PAIRED_MSP_ROLES)[number];

/** R-123 "vCIO↔CEO/CFO": a title naming the CEO or CFO counts as the C-level executive role. */
const CEO_CFO_TITLE = /\b(ceo|cfo|chief executive|chief financial)\b/i;

/** The stakeholder roles that pair the stakeholder with `mspRole`, empty when none. */
export function pairingRoles(s: Pick<ClientStakeholder, 'roles' | 'title'>, mspRole: PairedMspRole, policy: Policy): StakeholderRole[] {
  const wanted = policy.raci.stakeholderPairing[mspRole];
  const matched = s.roles.filter((r) => wanted.includes(r));
  if (wanted.includes('executive') && !matched.includes('executive') && s.title && CEO_CFO_TITLE.test(s.title)) matched.push('executive');
  return matched;
}

/** The MSP roles a stakeholder pairs with (R-123), in R-123's order. */
export function pairedMspRoles(s: Pick<ClientStakeholder, 'roles' | 'title'>, policy: Policy): PairedMspRole[] {
  return PAIRED_MSP_ROLES.filter((r) => pairingRoles(s, r, policy).length > 0);
}

export interface RoleAssignmentRef { role: string; personId: string }

export interface StakeholderPairing {
  ruleId: 'R-123';
  segment: Segment;
  /** One line per MSP role: who holds it for this client and the active stakeholders it owns the relationship with. */
  pairs: { mspRole: PairedMspRole; personId: string | null; stakeholderRoles: StakeholderRole[]; stakeholders: { id: string; name: string; via: StakeholderRole[] }[] }[];
  /**
   * The active threads: MSP people paired with client stakeholders so that no person on either
   * side counts twice (a relationship that rests on one person is one thread, whatever their roles).
   */
  threads: { personId: string; mspRoles: PairedMspRole[]; stakeholderId: string; stakeholderName: string }[];
  activeThreads: number;
  required: { min: number; max: number | null };
  /** `below` the segment's minimum, `above` its maximum (D: 1–2), else `met`. */
  status: 'below' | 'met' | 'above';
  met: boolean;
  /** What is missing, in words (an MSP role with stakeholders but nobody assigned, a counterpart nobody holds). */
  gaps: string[];
}

/**
 * pairs a client's active stakeholders with the MSP people assigned to it and counts the
 * active threads against the segment's range (A/B ≥3, C ≥2, D 1–2 by default). A thread is an
 * MSP person ↔ client stakeholder relationship; the count is the largest set of such pairs in
 * which no person appears twice on either side (a maximum bipartite matching), so one CFO who is
 * also the budget holder does not make two threads, nor does one MSP person holding AM and vCIO.
 */
export function pairStakeholders(input: { segment: Segment; stakeholders: readonly ClientStakeholder[]; assignments: readonly RoleAssignmentRef[] }, policy: Policy): StakeholderPairing {
  const active = input.stakeholders.filter((s) => s.active).slice().sort(byName);
  const holder = new Map<string, string>();
  for (const a of input.assignments) if ((MSP_ROLES as readonly string[]).includes(a.role)) holder.set(a.role, a.personId);
  const gaps: string[] = [];
  const pairs = PAIRED_MSP_ROLES.map((mspRole) => {
    const stakeholders = active.map((s) => ({ id: s.id, name: s.name, via: pairingRoles(s, mspRole, policy) })).filter((x) => x.via.length > 0);
    const personId = holder.get(mspRole) ?? null;
    if (stakeholders.length && !personId) gaps.push(`${mspRole} is not assigned, so nobody owns the relationship with ${stakeholders.map((s) => s.name).join(', ')}`);
    return { mspRole, personId, stakeholderRoles: [...policy.raci.stakeholderPairing[mspRole]], stakeholders };
  });
  for (const p of pairs) {
    if (p.personId && !p.stakeholders.length) gaps.push(`no active client ${p.stakeholderRoles.join(' / ')} for the ${p.mspRole}`);
  }

  // Maximum matching (Kuhn's augmenting paths) between MSP people and stakeholders; people in a fixed order so the result is stable.
  const people = [...new Set(pairs.filter((p) => p.personId).map((p) => p.personId!))];
  const edges = new Map<string, string[]>(people.map((id) => [id, [...new Set(pairs.filter((p) => p.personId === id).flatMap((p) => p.stakeholders.map((s) => s.id)))]]));
  const matchOf = new Map<string, string>(); // stakeholder → person
  const tryAssign = (person: string, seen: Set<string>): boolean => {
    for (const s of edges.get(person)!) {
      if (seen.has(s)) continue;
      seen.add(s);
      const current = matchOf.get(s);
      if (current === undefined || tryAssign(current, seen)) {
        matchOf.set(s, person);
        return true;
      }
    }
    return false;
  };
  for (const person of people) tryAssign(person, new Set());
  const threads = [...matchOf.entries()]
    .map(([stakeholderId, personId]) => ({
      personId,
      mspRoles: pairs.filter((p) => p.personId === personId && p.stakeholders.some((s) => s.id === stakeholderId)).map((p) => p.mspRole),
      stakeholderId,
      stakeholderName: active.find((s) => s.id === stakeholderId)!.name,
    }))
    .sort((a, b) => PAIRED_MSP_ROLES.indexOf(a.mspRoles[0]!) - PAIRED_MSP_ROLES.indexOf(b.mspRoles[0]!) || (a.stakeholderName < b.stakeholderName ? -1 : 1));

  const required = { ...policy.raci.activeThreads[input.segment] };
  const n = threads.length;
  const status = n < required.min ? 'below' : required.max !== null && n > required.max ? 'above' : 'met';
  if (status === 'below') gaps.push(`${n} active thread${n === 1 ? '' : 's'}; segment ${input.segment} needs at least ${required.min} (R-123)`);
  return { ruleId: 'R-123', segment: input.segment, pairs, threads, activeThreads: n, required, status, met: status === 'met', gaps };
}

// ---------------------------------------------------------------------------------------------
// a stakeholder who leaves

/**
 * Whether deactivating this stakeholder is a stakeholder change for R-19 (sponsor, decision-maker
 * or champion left, `triggers.stakeholderChange.roles`), and which role to report: the first of
 * those roles the stakeholder held, in the policy's order. Undefined when it is not one, or the
 * optional trigger is switched off.
 */
export function stakeholderChangeOf(s: Pick<ClientStakeholder, 'roles' | 'active'>, policy: Policy): { stakeholderRole: StakeholderRole; ruleId: 'R-19' } | undefined {
  const t = policy.triggers.stakeholderChange;
  if (!t.enabled || !s.active) return undefined;
  const role = t.roles.find((r) => s.roles.includes(r));
  return role ? { stakeholderRole: role, ruleId: 'R-19' } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Meetings: who from the client is invited, who attended

export interface MeetingPurpose {
  /** Strategic per the glossary and A-27 (planning, QBRs, A monthly, budget, renewal, roadmap review, resets). */
  strategic: boolean;
  kind: 'annualPlanning' | 'strategic' | 'tactical' | 'trigger' | 'reset' | 'rebook' | 'decisionCall';
  /** The trigger the meeting serves (R-13..R-19), if any. */
  trigger?: 'renewal' | 'fiscalYearEnd' | 'assessmentCompleted' | 'initiativeApproved' | 'engagementDrop' | 'adoptionBelowThreshold' | 'stakeholderChange' | 'proposalReset' | 'riskReengage';
  /** Budget on the agenda (R-14 budget session, R-82 Budget Snapshot, A: each strategic meeting). */
  budget?: boolean;
}

export interface Invitee {
  stakeholderId: string;
  name: string;
  email: string | null;
  /** The client roles that got them invited. */
  as: StakeholderRole[];
  /** Whether the meeting needs them (a decision-maker for a strategic meeting, the sponsor at a reset). */
  required: boolean;
  ruleIds: string[];
}

interface InviteRule { role: StakeholderRole; required: boolean; ruleId: string }

/** Which client roles a meeting needs, by purpose; every line cites its rule. */
function inviteRules(p: MeetingPurpose): InviteRule[] {
  const out: InviteRule[] = [];
  if (p.kind === 'decisionCall') {
    // the decision call is booked "with the right exec": the decision-makers, the sponsor if none.
    out.push({ role: 'decisionMaker', required: true, ruleId: 'R-26' }, { role: 'executiveSponsor', required: false, ruleId: 'R-26' });
  } else if (p.strategic || p.kind === 'reset') {
    // R-26 pre-flight: a strategic meeting needs a confirmed decision-maker; R-104: sponsor attendance is the heartbeat.
    out.push({ role: 'decisionMaker', required: true, ruleId: 'R-26' });
    // the reset session adds the executive sponsor ("add exec sponsor if absent"); R-97 the executive re-engage needs them too.
    const sponsorRule = p.kind === 'reset' || p.trigger === 'engagementDrop' ? 'R-17' : p.trigger === 'riskReengage' ? 'R-97' : 'R-104';
    out.push({ role: 'executiveSponsor', required: sponsorRule !== 'R-104', ruleId: sponsorRule });
    if (p.budget || p.trigger === 'fiscalYearEnd' || p.trigger === 'renewal' || p.trigger === 'proposalReset') out.push({ role: 'budgetHolder', required: p.trigger === 'fiscalYearEnd', ruleId: p.trigger === 'renewal' ? 'R-13' : p.trigger === 'proposalReset' ? 'R-78' : 'R-14' });
  } else {
    // Tactical / service meetings and non-strategic trigger meetings: the operational counterparts (R-123: TAM ↔ IT/Ops, CSM ↔ Ops/Admin).
    out.push({ role: 'itOps', required: p.kind === 'tactical' || p.trigger === 'adoptionBelowThreshold' || p.trigger === 'initiativeApproved', ruleId: p.trigger === 'adoptionBelowThreshold' ? 'R-18' : p.trigger === 'initiativeApproved' ? 'R-16' : 'R-123' });
    out.push({ role: 'opsAdmin', required: false, ruleId: 'R-123' });
  }
  if (p.trigger === 'stakeholderChange') {
    // new-sponsor intro: the (new) sponsor, and confirm decision rights with the decision-makers.
    out.push({ role: 'executiveSponsor', required: true, ruleId: 'R-19' }, { role: 'decisionMaker', required: false, ruleId: 'R-19' });
  }
  return out;
}

/**
 * The client people to invite to a meeting and the roles nobody active holds. The cadence calls
 * it when it books (and the invite goes out); `missing` names a required role with no one, e.g. no
 * decision-maker on record for a strategic meeting or no sponsor for a reset.
 */
export function meetingInvitees(stakeholders: readonly ClientStakeholder[], purpose: MeetingPurpose): { invitees: Invitee[]; missing: { role: StakeholderRole; ruleId: string }[] } {
  const rules = inviteRules(purpose);
  const invitees = new Map<string, Invitee>();
  const missing: { role: StakeholderRole; ruleId: string }[] = [];
  for (const rule of rules) {
    const holders = stakeholders.filter((s) => s.active && s.roles.includes(rule.role)).slice().sort(byName);
    if (!holders.length) {
      if (rule.required && !missing.some((m) => m.role === rule.role)) missing.push({ role: rule.role, ruleId: rule.ruleId });
      continue;
    }
    for (const s of holders) {
      const inv = invitees.get(s.id) ?? { stakeholderId: s.id, name: s.name, email: s.email, as: [], required: false, ruleIds: [] };
      if (!inv.as.includes(rule.role)) inv.as.push(rule.role);
      if (!inv.ruleIds.includes(rule.ruleId)) inv.ruleIds.push(rule.ruleId);
      inv.required ||= rule.required;
      invitees.set(s.id, inv);
    }
  }
  return { invitees: [...invitees.values()].sort((a, b) => Number(b.required) - Number(a.required) || byName({ name: a.name, id: a.stakeholderId }, { name: b.name, id: b.stakeholderId })), missing };
}

export interface Attendance {
  /** Attendees found in the registry (active or not: someone who attended and left since still attended). */
  stakeholderIds: string[];
  /** R-106 stakeholder mix, R-113 "decision-maker absent twice". */
  decisionMakerPresent: boolean;
  /** R-104 sponsor heartbeat, R-39. */
  sponsorPresent: boolean;
  budgetHolderPresent: boolean;
  /** Required invitees who did not attend. */
  absentRequired: { stakeholderId: string; name: string; as: StakeholderRole[] }[];
  /** Ids reported as attendees that are not this client's stakeholders (the API answers 422 for them). */
  unknown: string[];
}

/** Who of the client attended, by stakeholder id; `invitees` (from `meetingInvitees`) names who was required. */
export function attendanceOf(stakeholders: readonly ClientStakeholder[], attendeeIds: readonly string[], invitees: readonly Invitee[] = []): Attendance {
  const known = new Map(stakeholders.map((s) => [s.id, s]));
  const present = [...new Set(attendeeIds)].filter((id) => known.has(id));
  const held = (role: StakeholderRole) => present.some((id) => known.get(id)!.roles.includes(role));
  return {
    stakeholderIds: present,
    decisionMakerPresent: held('decisionMaker'),
    sponsorPresent: held('executiveSponsor'),
    budgetHolderPresent: held('budgetHolder'),
    absentRequired: invitees.filter((i) => i.required && !present.includes(i.stakeholderId)).map((i) => ({ stakeholderId: i.stakeholderId, name: i.name, as: [...i.as] })),
    unknown: [...new Set(attendeeIds)].filter((id) => !known.has(id)),
  };
}

export interface Preflight {
  ruleId: 'R-26';
  /** At least one active decision-maker confirmed and none of the confirmed declined. */
  decisionMakerConfirmed: boolean;
  confirmed: { stakeholderId: string; name: string }[];
  declined: { stakeholderId: string; name: string }[];
  /** no decision-maker → rescope to a short update and book a decision call with the right exec. */
  rescope: boolean;
  /** The exec to book the decision call with: the decision-maker who declined, else one on record, else the sponsor. */
  decisionCallWith: { stakeholderId: string; name: string; email: string | null } | null;
}

/**
 * R-26 pre-flight by stakeholder: which decision-makers confirmed or declined the invite. With no
 * confirmed decision-maker the meeting is rescoped and the decision call goes to the right exec.
 */
export function preflight(stakeholders: readonly ClientStakeholder[], reply: { confirmed: readonly string[]; declined: readonly string[] }): Preflight {
  const dms = stakeholders.filter((s) => s.active && s.roles.includes('decisionMaker')).slice().sort(byName);
  const declinedIds = new Set(reply.declined);
  const confirmed = dms.filter((s) => reply.confirmed.includes(s.id) && !declinedIds.has(s.id));
  const declined = dms.filter((s) => declinedIds.has(s.id));
  const pick = (s: ClientStakeholder | undefined) => (s ? { stakeholderId: s.id, name: s.name, email: s.email } : null);
  const sponsor = stakeholders.find((s) => s.active && s.roles.includes('executiveSponsor'));
  const rescope = confirmed.length === 0;
  return {
    ruleId: 'R-26',
    decisionMakerConfirmed: !rescope,
    confirmed: confirmed.map((s) => ({ stakeholderId: s.id, name: s.name })),
    declined: declined.map((s) => ({ stakeholderId: s.id, name: s.name })),
    rescope,
    decisionCallWith: rescope ? pick(declined[0] ?? dms[0] ?? sponsor) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Decisions owned at the client or by an MSP role (R-27 "owner CFO", R-31 Decision Log)

export type DecisionOwner = { kind: 'msp'; role: Role } | { kind: 'stakeholder'; stakeholderId: string };
export type ResolvedOwner =
  | { kind: 'msp'; role: Role }
  | { kind: 'stakeholder'; stakeholderId: string; name: string; roles: StakeholderRole[] };

/** A decision's owner: an MSP role, or an active stakeholder of this client (else a 422 refusal naming why). */
export function resolveDecisionOwner(owner: DecisionOwner, stakeholders: readonly ClientStakeholder[]): { ok: true; owner: ResolvedOwner } | { ok: false; status: 422; message: string; ruleId: 'R-27' } {
  if (owner.kind === 'msp') return { ok: true, owner: { kind: 'msp', role: owner.role } };
  const s = stakeholders.find((x) => x.id === owner.stakeholderId);
  if (!s) return { ok: false, status: 422, message: `Stakeholder ${owner.stakeholderId} is not one of this client's people; a decision's owner is an MSP role or a client stakeholder (R-27).`, ruleId: 'R-27' };
  if (!s.active) return { ok: false, status: 422, message: `${s.name} is no longer active at the client; give the decision another owner (R-27).`, ruleId: 'R-27' };
  return { ok: true, owner: { kind: 'stakeholder', stakeholderId: s.id, name: s.name, roles: [...s.roles] } };
}

/** The active executive sponsor, if any (R-17 reset invite, R-50 escalation, R-104 heartbeat). */
export function executiveSponsorOf(stakeholders: readonly ClientStakeholder[]): ClientStakeholder | undefined {
  return stakeholders.find((s) => s.active && s.roles.includes('executiveSponsor'));
}

// ---------------------------------------------------------------------------------------------
// The registry's old input: a whole list on the client (`stakeholders` on POST/PATCH /v1/clients)

export interface StakeholderInput { name: string; title?: string | null; email?: string | null; roles: StakeholderRole[] }

export interface SyncPlan {
  create: StakeholderInput[];
  update: { id: string; changes: Partial<StakeholderInput> }[];
  deactivate: string[];
}

const normEmail = (e: string | null | undefined) => (e ? e.trim().toLowerCase() : null);

/**
 * The old API replaced the client's whole stakeholder list. Against the registry that means: each
 * wanted person matched to an active stakeholder (by email, else by exact name among those without
 * one) is updated where it differs, an unmatched one is created, and an active stakeholder no
 * longer listed is deactivated (which may be an R-19 stakeholder change).
 */
export function planStakeholderSync(current: readonly ClientStakeholder[], wanted: readonly StakeholderInput[]): SyncPlan {
  const pool = current.filter((s) => s.active);
  const used = new Set<string>();
  const matchOf = new Map<number, ClientStakeholder>();
  // First the same email (case-insensitive), then the same name where one side has no email.
  wanted.forEach((w, i) => {
    const email = normEmail(w.email);
    const m = email ? pool.find((s) => !used.has(s.id) && normEmail(s.email) === email) : undefined;
    if (m) {
      used.add(m.id);
      matchOf.set(i, m);
    }
  });
  wanted.forEach((w, i) => {
    if (matchOf.has(i)) return;
    const m = pool.find((s) => !used.has(s.id) && s.name === w.name && (!s.email || !w.email));
    if (m) {
      used.add(m.id);
      matchOf.set(i, m);
    }
  });
  const plan: SyncPlan = { create: [], update: [], deactivate: [] };
  wanted.forEach((w, i) => {
    const match = matchOf.get(i);
    if (!match) {
      plan.create.push({ ...w, roles: [...w.roles] });
      return;
    }
    const changes: Partial<StakeholderInput> = {};
    if (match.name !== w.name) changes.name = w.name;
    if ((w.title ?? null) !== match.title) changes.title = w.title ?? null;
    if ((w.email ?? null) !== match.email) changes.email = w.email ?? null;
    if (JSON.stringify([...w.roles].sort()) !== JSON.stringify([...match.roles].sort())) changes.roles = [...w.roles];
    if (Object.keys(changes).length) plan.update.push({ id: match.id, changes });
  });
  plan.deactivate = pool.filter((s) => !used.has(s.id)).map((s) => s.id);
  return plan;
}
