import { sql } from 'drizzle-orm';
import {
  bigserial, boolean, check, customType, date, index, integer, jsonb, numeric, pgTable, primaryKey, text, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { MspRole, StakeholderRole } from '../domain/roles.js';

/**
 * timestamptz as an ISO-8601 string (`2026-11-23T12:00:00.000Z`): drizzle's string mode would hand
 * back PostgreSQL's text form (`2026-11-23 12:00:00+00`), which the API must not leak.
 */
const isoTimestamp = customType<{ data: string; driverData: string }>({
  dataType: () => 'timestamp with time zone',
  fromDriver: (value) => pgTimestampToIso(value),
  toDriver: (value) => value,
});

const PG_TIMESTAMPTZ = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?( BC)?$/;

/**
 * PostgreSQL's text form of a timestamptz → ISO-8601 in UTC, without `new Date(text)`: the JS date
 * parser reads years below 100 as 19xx/20xx and refuses some others, silently changing what was
 * stored. Milliseconds are kept (Baton writes no finer precision); years outside 0000–9999 get
 * ISO's six-digit signed form; `infinity` is refused.
 */
export function pgTimestampToIso(value: string): string {
  const m = PG_TIMESTAMPTZ.exec(value);
  if (!m) throw new Error(`not a PostgreSQL timestamptz: ${JSON.stringify(value)}`);
  const [, y, mo, d, h, mi, sec, frac, sign, oh, om, os, bc] = m;
  const year = bc ? 1 - Number(y) : Number(y);
  const date = new Date(0);
  date.setUTCFullYear(year, Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(sec), Number((frac ?? '0').padEnd(3, '0').slice(0, 3)));
  const offsetSeconds = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) : 0;
  return new Date(date.getTime() - offsetSeconds * 1000).toISOString();
}
const ts = (name: string) => isoTimestamp(name);
const createdAt = () => ts('created_at').notNull().default(sql`now()`);

export const clients = pgTable('clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  externalRef: text('external_ref'),
  mrr: numeric('mrr', { precision: 12, scale: 2, mode: 'number' }).notNull(),
  maturity: integer('maturity').notNull(),
  appetite: integer('appetite').notNull(),
  ownsInnovationAgenda: boolean('owns_innovation_agenda').notNull().default(false),
  // Placement (R-1..R-3): computed by the policy, or a manual override with rationale.
  segment: text('segment').notNull(),
  goalLevel: integer('goal_level').notNull(),
  archetype: text('archetype').notNull(),
  mrrTier: text('mrr_tier').notNull(),
  touchTier: text('touch_tier').notNull(),
  segmentRuleIds: jsonb('segment_rule_ids').$type<string[]>().notNull(),
  segmentSource: text('segment_source').notNull().default('computed'),
  segmentOverride: jsonb('segment_override').$type<{ segment: string; goalLevel: number; rationale: string; by: string; at: string } | null>(),
  placementPolicyVersion: integer('placement_policy_version').notNull(),
  timeZone: text('time_zone').notNull(),
  holidays: jsonb('holidays').$type<string[]>().notNull().default([]),
  // C-1: the region (ISO 3166-1 country, optional subdivision: 'US-IL') seeds the holidays from
  // the date-holidays data; the exceptions are public holidays the client works anyway.
  region: text('region'),
  publicHolidayExceptions: jsonb('public_holiday_exceptions').$type<string[]>().notNull().default([]),
  renewalDate: date('renewal_date', { mode: 'string' }),
  fiscalYearEnd: text('fiscal_year_end').notNull().default('12-31'),
  policyOverrides: jsonb('policy_overrides').$type<Record<string, unknown>>().notNull().default({}),
  // R-40..R-44: a prospect is a client record in the `prospect` stage until its signature (Day 0) makes it a client.
  stage: text('stage').notNull().default('client'),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  uniqueIndex('clients_external_ref_uq').on(t.externalRef),
  check('clients_stage_ck', sql`${t.stage} in ('prospect','client')`),
  index('clients_segment_idx').on(t.segment),
  check('clients_maturity_ck', sql`${t.maturity} between 1 and 5`),
  check('clients_appetite_ck', sql`${t.appetite} between 1 and 5`),
  check('clients_segment_ck', sql`${t.segment} in ('A','B','C','D')`),
]);

/**
 * The client's own people (issue 9): name, title, email and their roles in the client (sponsor,
 * decision-maker, budget holder, IT contact…, several per person), paired with MSP roles.
 * Nobody is deleted: a person who leaves is deactivated, which may fire R-19. Replaces the
 * `clients.stakeholders` JSON list (migrated by 0005).
 */
export const clientStakeholders = pgTable('client_stakeholders', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  title: text('title'),
  email: text('email'),
  roles: jsonb('roles').$type<StakeholderRole[]>().notNull(),
  active: boolean('active').notNull().default(true),
  deactivatedAt: ts('deactivated_at'),
  deactivationReason: text('deactivation_reason'),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('client_stakeholders_client_idx').on(t.clientId, t.name),
  // One active person per email at a client, and at most one active executive sponsor.
  uniqueIndex('client_stakeholders_email_uq').on(t.clientId, sql`lower(${t.email})`).where(sql`${t.active} and ${t.email} is not null`),
  uniqueIndex('client_stakeholders_sponsor_uq').on(t.clientId).where(sql`${t.active} and ${t.roles} ? 'executiveSponsor'`),
  check('client_stakeholders_roles_ck', sql`jsonb_typeof(${t.roles}) = 'array' and jsonb_array_length(${t.roles}) > 0`),
]);

/**
 * The client's access record: one row per access-matrix system, granted or not. The
 * onboarding keeps it as access is granted; a grant reported after the onboarding closed updates
 * it (and any open Delivery risk) instead of the closed onboarding.
 */
export const clientAccess = pgTable('client_access', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  system: text('system').notNull(),
  grantedAt: ts('granted_at'),
  /** What wrote the row last: `onboarding`, `late-report` (after closeout, R-124) or `ledger` (rebuilt from an onboarding's facts). */
  source: text('source').notNull(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.clientId, t.system] })]);

export const people = pgTable('people', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull(),
  roles: jsonb('roles').$type<MspRole[]>().notNull(),
  weeklyCapacityHours: numeric('weekly_capacity_hours', { precision: 5, scale: 1, mode: 'number' }).notNull().default(40),
  active: boolean('active').notNull().default(true),
  /** Email categories this person unsubscribed from (issue 15: `opened`, `dueSoon`, `escalated`, `digest`). */
  emailOptOuts: jsonb('email_opt_outs').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [uniqueIndex('people_email_uq').on(sql`lower(${t.email})`)]);

/** One Accountable and one named Backup per role and client (R-122, DOMAIN §2.19). */
export const roleAssignments = pgTable('role_assignments', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  role: text('role').notNull(),
  personId: text('person_id').notNull().references(() => people.id),
  backupPersonId: text('backup_person_id').references(() => people.id),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.clientId, t.role] }),
  check('role_assignments_backup_ck', sql`${t.backupPersonId} is null or ${t.backupPersonId} <> ${t.personId}`),
]);

/** Versioned policy documents (DOMAIN §4); the highest version is in force. */
export const policies = pgTable('policies', {
  version: integer('version').primaryKey(),
  document: jsonb('document').$type<Record<string, unknown>>().notNull(),
  note: text('note').notNull(),
  publishedBy: text('published_by').notNull(),
  publishedAt: ts('published_at').notNull().default(sql`now()`),
});

export const ctas = pgTable('ctas', {
  id: text('id').primaryKey(),
  /** Null for a portfolio CTA that belongs to no client: the R-6 capacity-gap alert, an R-60 Corrective Play, an R-37 rebalance. */
  clientId: text('client_id').references(() => clients.id),
  process: text('process').notNull(),
  workflowId: text('workflow_id'),
  kind: text('kind').notNull(),
  title: text('title').notNull(),
  ruleId: text('rule_id').notNull(),
  ownerRole: text('owner_role').notNull(),
  ownerPersonId: text('owner_person_id').references(() => people.id),
  backupPersonId: text('backup_person_id').references(() => people.id),
  /** none → backup → csLead as first-action SLAs are breached. */
  escalationLevel: text('escalation_level').notNull().default('none'),
  state: text('state').notNull().default('open'),
  dueAt: ts('due_at').notNull(),
  firstActionDueAt: ts('first_action_due_at').notNull(),
  firstActionAt: ts('first_action_at'),
  completedAt: ts('completed_at'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('ctas_owner_state_idx').on(t.ownerPersonId, t.state),
  index('ctas_client_idx').on(t.clientId),
  index('ctas_due_idx').on(t.state, t.dueAt),
  check('ctas_state_ck', sql`${t.state} in ('open','first_action','done','escalated','cancelled')`),
  check('ctas_escalation_ck', sql`${t.escalationLevel} in ('none','backup','csLead')`),
]);

export const meetings = pgTable('meetings', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id),
  process: text('process').notNull(),
  workflowId: text('workflow_id'),
  kind: text('kind').notNull(),
  mode: text('mode').notNull(),
  state: text('state').notNull().default('scheduled'),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  accountablePersonId: text('accountable_person_id').references(() => people.id),
  /** The RACI role Accountable for the meeting (DOMAIN §2.19); load is counted against it. */
  accountableRole: text('accountable_role'),
  /** Strategic per the glossary (planning, QBRs, A monthly, budget, renewal, reset): runs R-24..R-32 and counts for R-33..R-35. */
  strategic: boolean('strategic').notNull().default(false),
  /** Client segment when booked (R-9 switches template, mode and RACI of booked meetings). */
  segment: text('segment'),
  /** Preparation hours counted with the meeting's own length in the load. */
  prepHours: numeric('prep_hours', { precision: 5, scale: 2, mode: 'number' }).notNull().default(0),
  heldAt: ts('held_at'),
  decisionCount: integer('decision_count'),
  /** Whether a client executive sponsor attended (sponsor heartbeat, R-104, R-39). */
  sponsorPresent: boolean('sponsor_present'),
  recapDueAt: ts('recap_due_at'),
  recapSentAt: ts('recap_sent_at'),
  /** The meeting that replaced this one after a miss or a move (R-33 rebook, R-34 reset); null while it is still owed. */
  supersededBy: text('superseded_by'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('meetings_client_starts_idx').on(t.clientId, t.startsAt),
  index('meetings_person_starts_idx').on(t.accountablePersonId, t.startsAt),
  check('meetings_state_ck', sql`${t.state} in ('scheduled','held','missed','cancelled','moved','unbooked')`),
]);

export interface Actor {
  /** `user`: a person signed in to the console with OpenID Connect (their subject and role). */
  kind: 'system' | 'api-key' | 'user';
  id?: string;
  name?: string;
  role?: string;
}

/**
 * The append-only ledger: every effect Baton has on a client, with the rule and inputs that caused
 * it. The id is chosen by the writer (deterministic for workflow effects) so a retried write lands
 * once; a trigger in the migration refuses UPDATE and DELETE.
 */
export const events = pgTable('events', {
  seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
  id: text('id').primaryKey(),
  occurredAt: ts('occurred_at').notNull(),
  recordedAt: ts('recorded_at').notNull().default(sql`now()`),
  clientId: text('client_id'),
  process: text('process').notNull(),
  workflowId: text('workflow_id'),
  type: text('type').notNull(),
  ruleId: text('rule_id'),
  why: jsonb('why').$type<Record<string, unknown>>().notNull().default({}),
  actor: jsonb('actor').$type<Actor>().notNull(),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
}, (t) => [
  index('events_client_seq_idx').on(t.clientId, t.seq),
  index('events_type_idx').on(t.type),
]);

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  /** First characters of the key, shown in listings so a key can be recognised without storing it. */
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
}, (t) => [
  uniqueIndex('api_keys_hash_uq').on(t.hash),
  check('api_keys_role_ck', sql`${t.role} in ('admin','ops','automation','manager')`),
]);

export const idempotencyRecords = pgTable('idempotency_records', {
  principalId: text('principal_id').notNull(),
  key: text('key').notNull(),
  method: text('method').notNull(),
  path: text('path').notNull(),
  requestHash: text('request_hash').notNull(),
  state: text('state').notNull().default('pending'),
  status: integer('status'),
  responseBody: text('response_body'),
  responseContentType: text('response_content_type'),
  createdAt: createdAt(),
  completedAt: ts('completed_at'),
  /** While pending: until when the request holds the key. After it, a retry may take over (the API died mid-request). */
  leaseExpiresAt: ts('lease_expires_at'),
}, (t) => [primaryKey({ columns: [t.principalId, t.key] })]);

/**
 * Subscribable iCalendar feeds, one secret token each (in the URL, so calendar apps can poll it
 * without headers). Only the token's hash is stored; revoking ends the feed.
 */
export const calendarFeeds = pgTable('calendar_feeds', {
  id: text('id').primaryKey(),
  personId: text('person_id').notNull().references(() => people.id),
  /** First characters of the token, so a feed can be recognised in listings. */
  prefix: text('prefix').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  revokedAt: ts('revoked_at'),
}, (t) => [uniqueIndex('calendar_feeds_token_hash_uq').on(t.tokenHash), index('calendar_feeds_person_idx').on(t.personId)]);

/**
 * Transactional outbox of workflow starts: the row that needs a long-running workflow (a client →
 * its placement review, R-7; a CTA → its SLA clock, C-5) writes its start here in the same
 * transaction, so a crash between the commit and the start loses nothing. The API starts it at
 * once; the worker's dispatcher starts whatever is still pending (runtime/processes.ts).
 */
export const workflowStarts = pgTable('workflow_starts', {
  /** `placement-review` or `health` or `planning-loop` (subject: client id), `cta-clock` (subject: CTA id), `initiative` / `proposal` (their clocks, subject: record id), `risk` (subject: risk id), `delivery` (subject: delivery id, issue 15), `msgraph-subscriptions` (subject: connector id: start or wake its subscription workflow). */
  kind: text('kind').notNull(),
  subjectId: text('subject_id').notNull(),
  createdAt: createdAt(),
  dispatchedAt: ts('dispatched_at'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
}, (t) => [
  primaryKey({ columns: [t.kind, t.subjectId] }),
  index('workflow_starts_pending_idx').on(t.createdAt).where(sql`dispatched_at is null`),
  check('workflow_starts_kind_ck', sql`${t.kind} in ('placement-review','cta-clock','initiative','proposal','planning-loop','health','risk','capacity-gap','delivery','upsell','connector-poller','msgraph-subscriptions')`),
]);

/**
 * Health inputs received through the API (R-104 pulse and complaints, R-105 DMI, R-107 service
 * metrics, R-108 alignment), one row per request (the id derives from its Idempotency-Key, C-6).
 * The health process reads them at each evaluation; each is on the timeline as `health.input_recorded`.
 */
export const healthInputs = pgTable('health_inputs', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  kind: text('kind').notNull(),
  observedAt: ts('observed_at').notNull(),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
}, (t) => [
  index('health_inputs_client_kind_idx').on(t.clientId, t.kind, t.observedAt),
  check('health_inputs_kind_ck', sql`${t.kind} in ('pulse','complaint','dmi','serviceMetrics','alignment')`),
]);

/** The client's health as last evaluated by its health process (`client/{id}/health`): scores, inputs, gates. */
export const clientHealth = pgTable('client_health', {
  clientId: text('client_id').primaryKey().references(() => clients.id, { onDelete: 'cascade' }),
  evaluatedAt: ts('evaluated_at').notNull(),
  occasion: text('occasion').notNull(),
  policyVersion: integer('policy_version').notNull(),
  compositeScore: numeric('composite_score', { precision: 5, scale: 2, mode: 'number' }),
  compositeColour: text('composite_colour'),
  scores: jsonb('scores').$type<Record<string, unknown>>().notNull(),
  /** R-32 credit gate: `{ closed, reasons, since }`. */
  credit: jsonb('credit').$type<{ closed: boolean; reasons: string[]; since: string | null }>().notNull(),
  /** R-120 initiative pause: `{ closed, reasons, since }`. */
  pause: jsonb('pause').$type<{ closed: boolean; reasons: string[]; since: string | null }>().notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [index('client_health_colour_idx').on(t.compositeColour)]);

/** Monthly health snapshots (§2.18), one per client and month. */
export const healthSnapshots = pgTable('health_snapshots', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  month: text('month').notNull(),
  at: ts('at').notNull(),
  compositeScore: numeric('composite_score', { precision: 5, scale: 2, mode: 'number' }),
  compositeColour: text('composite_colour'),
  scores: jsonb('scores').$type<Record<string, unknown>>().notNull(),
  credit: jsonb('credit').$type<{ closed: boolean; reasons: string[]; since: string | null }>().notNull(),
  pause: jsonb('pause').$type<{ closed: boolean; reasons: string[]; since: string | null }>().notNull(),
  redStreaks: jsonb('red_streaks').$type<Record<string, number>>().notNull(),
}, (t) => [primaryKey({ columns: [t.clientId, t.month] })]);

/**
 * Approvals with their credit verdict: counted, deferred (with the reasons, while the
 * gate is closed), not credited (owner + date + budget missing) or stability work (risk-reduction
 * items stay allowed). Deferred rows are released at the first snapshot that lifts the gate.
 */
export const creditDecisions = pgTable('credit_decisions', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  source: text('source').notNull(),
  title: text('title').notNull(),
  verdict: text('verdict').notNull(),
  reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
  meetingId: text('meeting_id'),
  initiativeId: text('initiative_id'),
  decidedAt: ts('decided_at').notNull(),
  releasedAt: ts('released_at'),
  releasedMonth: text('released_month'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
}, (t) => [
  index('credit_decisions_client_idx').on(t.clientId, t.verdict),
  check('credit_decisions_verdict_ck', sql`${t.verdict} in ('counted','deferred','released','notCredited','stabilityWork')`),
]);

/**
 * At Risk records (R-93..R-103): one durable process per risk (`risk/{id}`), this row its read
 * model. At most one open risk per client and bucket: a new trigger appends evidence to it.
 */
export const risks = pgTable('risks', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  bucket: text('bucket').notNull(),
  severity: text('severity').notNull(),
  impact: integer('impact').notNull(),
  likelihood: integer('likelihood').notNull(),
  status: text('status').notNull().default('open'),
  trigger: text('trigger').notNull(),
  ruleId: text('rule_id').notNull(),
  /** What raised it: the process, its ledger event, the evidence. */
  source: jsonb('source').$type<{ process: string; workflowId?: string | null; eventId?: string; evidence: Record<string, unknown> }>().notNull(),
  /** the trigger's CTA that is the risk's first action. */
  firstActionCtaId: text('first_action_cta_id'),
  repeatOf: text('repeat_of'),
  openedAt: ts('opened_at').notNull(),
  ackDueAt: ts('ack_due_at'),
  acknowledgedAt: ts('acknowledged_at'),
  savePlanDueAt: ts('save_plan_due_at'),
  savePlanAt: ts('save_plan_at'),
  reengageDueAt: ts('reengage_due_at'),
  reengageHeldAt: ts('reengage_held_at'),
  lastMovementAt: ts('last_movement_at'),
  escalatedAt: ts('escalated_at'),
  closedAt: ts('closed_at'),
  afterActionDueAt: ts('after_action_due_at'),
  afterActionAt: ts('after_action_at'),
  evidenceCount: integer('evidence_count').notNull().default(0),
  actionsTotal: integer('actions_total').notNull().default(0),
  actionsDone: integer('actions_done').notNull().default(0),
  actionsOnTime: integer('actions_on_time').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  uniqueIndex('risks_open_bucket_uq').on(t.clientId, t.bucket).where(sql`${t.status} = 'open'`),
  index('risks_client_idx').on(t.clientId, t.openedAt),
  index('risks_status_idx').on(t.status, t.openedAt),
  check('risks_bucket_ck', sql`${t.bucket} in ('Service','Delivery','Strategic','Financial')`),
  check('risks_severity_ck', sql`${t.severity} in ('High','Medium','Low')`),
  check('risks_status_ck', sql`${t.status} in ('open','closed')`),
]);

// ---------------------------------------------------------------------------------------------
// The planning loop (issue 11, DOMAIN §2.11–§2.15): Discovery → Assessment → Initiative →
// Proposal, with budget and roadmap versions. Discoveries, assessments, versions, reports and
// the backlog are written by the API in one transaction with their ledger events; initiatives
// and proposals are owned by their workflows (`initiative/{id}`, `proposal/{id}`), which write
// these rows as effects in the kernel's transaction, so the rows are what lists and filters read.

/** Owner of a record: an MSP role, and the client stakeholder when one owns it (R-27 "owner CFO"). */
export interface PlanningOwner { role: MspRole; stakeholderId?: string; name?: string }
/** A cost band or range in USD (R-42 price test, pre-approval band, cost band of the card). */
export interface UsdRange { minUsd: number; maxUsd: number }

/** one Discovery and what it found. */
export const discoveries = pgTable('discoveries', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  status: text('status').notNull().default('planned'),
  ownerRole: text('owner_role').notNull(),
  format: text('format').notNull(),
  scheduledFor: date('scheduled_for', { mode: 'string' }),
  /** R-67 pre-work: health, tickets, roadmap, leadership changes reviewed. */
  preWork: jsonb('pre_work').$type<string[]>().notNull().default([]),
  /** notes, each tagged (Business / Enablement / Technology …). */
  notes: jsonb('notes').$type<{ text: string; tags: string[] }[]>().notNull().default([]),
  /** each insight routed to an assessment (needs validation), an initiative (clear) or the roadmap (timed/funded). */
  insights: jsonb('insights').$type<{ text: string; route: 'assessment' | 'initiative' | 'roadmap'; targetId?: string }[]>().notNull().default([]),
  goalRescore: jsonb('goal_rescore').$type<{ maturity: number; appetite: number; rationale: string; changed: boolean } | null>(),
  nextEngagementAt: ts('next_engagement_at'),
  completedAt: ts('completed_at'),
  recapDueAt: ts('recap_due_at'),
  recapSentAt: ts('recap_sent_at'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('discoveries_client_idx').on(t.clientId, t.createdAt),
  check('discoveries_status_ck', sql`${t.status} in ('planned','completed')`),
]);

/** an assessment, its scored categories (public + private comments) and findings. */
export const assessments = pgTable('assessments', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  status: text('status').notNull().default('designed'),
  template: text('template').notNull(),
  scope: text('scope').notNull(),
  ownerRole: text('owner_role').notNull(),
  requirement: text('requirement').notNull(),
  discoveryId: text('discovery_id'),
  categories: jsonb('categories').$type<{ name: string; score: 'NotApplicable' | 'AtRisk' | 'NeedsAttention' | 'Satisfactory'; publicComment: string | null; privateComment: string | null }[]>().notNull().default([]),
  findings: jsonb('findings').$type<{ title: string; category: string | null; initiativeId: string | null }[]>().notNull().default([]),
  adoption: jsonb('adoption').$type<{ mfaPct?: number; endpointPct?: number } | null>(),
  completedAt: ts('completed_at'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('assessments_client_idx').on(t.clientId, t.createdAt),
  check('assessments_status_ck', sql`${t.status} in ('designed','completed')`),
  check('assessments_scope_ck', sql`${t.scope} in ('portfolio','singleProject','riskTargeted')`),
]);

/** The Initiative Card (glossary, R-71..R-75); its state is the workflow `initiative/{id}`'s, written here as it changes. */
export const initiatives = pgTable('initiatives', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  whatWhyNow: text('what_why_now'),
  sourceKind: text('source_kind').notNull(),
  sourceRef: text('source_ref'),
  sourceDate: date('source_date', { mode: 'string' }).notNull(),
  goalLink: text('goal_link'),
  quarter: text('quarter').notNull(),
  lane: text('lane').notNull(),
  expectedOutcome: text('expected_outcome'),
  dependencies: jsonb('dependencies').$type<string[]>().notNull().default([]),
  costBand: jsonb('cost_band').$type<UsdRange | null>(),
  spendType: text('spend_type'),
  owners: jsonb('owners').$type<PlanningOwner[]>().notNull().default([]),
  state: text('state').notNull(),
  stateChangedAt: ts('state_changed_at').notNull(),
  /** R-75 Stalled, At Risk. */
  flags: jsonb('flags').$type<string[]>().notNull().default([]),
  tier: integer('tier').notNull().default(1),
  remediation: boolean('remediation').notNull().default(false),
  /** Parked: to which quarter and why. */
  parked: jsonb('parked').$type<{ reason: string; quarter: string; at: string } | null>(),
  approvedAt: ts('approved_at'),
  /** The Decision Log entry that approved it, and the delivery kickoff it fired. */
  approval: jsonb('approval').$type<Record<string, unknown> | null>(),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('initiatives_client_idx').on(t.clientId, t.state),
  check('initiatives_state_ck', sql`${t.state} in ('Identified','Qualified','PreApproved','Proposed','Approved','InDelivery','Delivered','Verified','Parked','Declined','Cancelled')`),
  check('initiatives_lane_ck', sql`${t.lane} in ('Stability','Efficiency','Growth','Innovation')`),
  check('initiatives_tier_ck', sql`${t.tier} in (1,2)`),
]);

/** a price test, logged as a budget note (owner + quarter + range). */
export const priceTests = pgTable('price_tests', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
  owner: jsonb('owner').$type<PlanningOwner>().notNull(),
  quarter: text('quarter').notNull(),
  minUsd: numeric('min_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  maxUsd: numeric('max_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  outcome: text('outcome').notNull(),
  reason: text('reason'),
  note: text('note'),
  loggedAt: ts('logged_at').notNull(),
}, (t) => [index('price_tests_client_idx').on(t.clientId, t.initiativeId), check('price_tests_outcome_ck', sql`${t.outcome} in ('viable','notNow')`)]);

/** a pre-approval (owner + target quarter + band) and its aging (31 d re-engage, 61 d expiry). */
export const preApprovals = pgTable('pre_approvals', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
  owner: jsonb('owner').$type<PlanningOwner>().notNull(),
  quarter: text('quarter').notNull(),
  minUsd: numeric('min_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  maxUsd: numeric('max_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  status: text('status').notNull().default('active'),
  loggedAt: ts('logged_at').notNull(),
  reengagedAt: ts('reengaged_at'),
  endedAt: ts('ended_at'),
}, (t) => [index('pre_approvals_client_idx').on(t.clientId, t.initiativeId), check('pre_approvals_status_ck', sql`${t.status} in ('active','used','expired','superseded','withdrawn')`)]);

/** R-76..R-80, R-124: proposals (each version its own row), their EDS and status; owned by the workflow `proposal/{id}`. */
export const proposals = pgTable('proposals', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  previousId: text('previous_id'),
  status: text('status').notNull().default('draft'),
  /** the Executive Decision Sheet (problem/why now, ≤2 options with cost band, impact, risks/assumptions, owner & date). */
  eds: jsonb('eds').$type<Record<string, unknown>>().notNull(),
  format: text('format').notNull(),
  remediationRiskId: text('remediation_risk_id'),
  sentAt: ts('sent_at'),
  bucket: text('bucket'),
  reengagedAt: ts('reengaged_at'),
  decidedAt: ts('decided_at'),
  decision: jsonb('decision').$type<{ outcome: string; reason?: string; note?: string; optionIndex?: number } | null>(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  uniqueIndex('proposals_initiative_version_uq').on(t.initiativeId, t.version),
  index('proposals_client_idx').on(t.clientId, t.status),
  check('proposals_status_ck', sql`${t.status} in ('draft','sent','accepted','declined','expired','withdrawn')`),
]);

/** budget versions (v0 sales, v1 onboarding, v2…) with their one-line notes. */
export const budgetVersions = pgTable('budget_versions', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  note: text('note').notNull(),
  source: text('source').notNull(),
  sourceRef: text('source_ref'),
  format: text('format').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('budget_versions_client_version_uq').on(t.clientId, t.version)]);

/** A budget line: every line has an initiative id (R-82, no orphans). */
export const budgetLines = pgTable('budget_lines', {
  budgetVersionId: text('budget_version_id').notNull().references(() => budgetVersions.id, { onDelete: 'cascade' }),
  lineNo: integer('line_no').notNull(),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id),
  quarter: text('quarter').notNull(),
  amountUsd: numeric('amount_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  spendType: text('spend_type'),
  decisionFlag: boolean('decision_flag').notNull().default(false),
  preApprovalId: text('pre_approval_id'),
  label: text('label'),
}, (t) => [primaryKey({ columns: [t.budgetVersionId, t.lineNo] }), index('budget_lines_initiative_idx').on(t.initiativeId)]);

/** actual spend by quarter, for the variance at quarter close. */
export const budgetActuals = pgTable('budget_actuals', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  quarter: text('quarter').notNull(),
  actualUsd: numeric('actual_usd', { precision: 14, scale: 2, mode: 'number' }).notNull(),
  note: text('note'),
  recordedAt: ts('recorded_at').notNull(),
}, (t) => [primaryKey({ columns: [t.clientId, t.quarter] })]);

/** R-85..R-87: roadmap versions with their notes. */
export const roadmapVersions = pgTable('roadmap_versions', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  note: text('note').notNull(),
  source: text('source').notNull(),
  sourceRef: text('source_ref'),
  /** Whether this version changed anything against the previous one (a review that moved nothing: false). */
  changed: boolean('changed').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('roadmap_versions_client_version_uq').on(t.clientId, t.version)]);

/** A roadmap item: by quarter and lane, linked to an initiative (and its proposal) id (R-85, orphans rejected). */
export const roadmapItems = pgTable('roadmap_items', {
  roadmapVersionId: text('roadmap_version_id').notNull().references(() => roadmapVersions.id, { onDelete: 'cascade' }),
  itemNo: integer('item_no').notNull(),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id),
  proposalId: text('proposal_id'),
  quarter: text('quarter').notNull(),
  lane: text('lane').notNull(),
  bigRock: boolean('big_rock').notNull().default(false),
  note: text('note'),
}, (t) => [primaryKey({ columns: [t.roadmapVersionId, t.itemNo] }), index('roadmap_items_initiative_idx').on(t.initiativeId)]);

/** delivered reports and whether the client opened them. */
export const deliveredReports = pgTable('delivered_reports', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  format: text('format').notNull(),
  ownerRole: text('owner_role').notNull(),
  contactStakeholderId: text('contact_stakeholder_id'),
  url: text('url'),
  deliveredAt: ts('delivered_at').notNull(),
  openedAt: ts('opened_at'),
  createdAt: createdAt(),
}, (t) => [index('delivered_reports_client_idx').on(t.clientId, t.deliveredAt)]);

/** asks beyond a session's two, kept for the next cadence (its prep pack shows them). */
export const backlogItems = pgTable('backlog_items', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  meetingId: text('meeting_id').notNull(),
  ownerRole: text('owner_role'),
  nextCadence: boolean('next_cadence').notNull().default(true),
  status: text('status').notNull().default('open'),
  createdAt: createdAt(),
}, (t) => [index('backlog_items_client_idx').on(t.clientId, t.createdAt), check('backlog_items_status_ck', sql`${t.status} in ('open','scheduled','closed')`)]);

/**
 * Due steps a planning clock has handled (`client/{id}/planning-loop`), one row per step: the
 * clock's next due is the earliest step not here, so a retried or replayed step lands once.
 */
export const planningMarks = pgTable('planning_marks', {
  subject: text('subject').notNull(),
  key: text('key').notNull(),
  handledAt: ts('handled_at').notNull(),
}, (t) => [primaryKey({ columns: [t.subject, t.key] })]);

/**
 * Console sign-ins (console/session.ts). The cookie carries a random token; only its SHA-256 is
 * stored, so a database reader cannot take over a session. `pending` rows hold an OpenID Connect
 * login under way (PKCE verifier, state, nonce) until the IdP redirects back; `active` rows a
 * signed-in principal. A local sign-in keeps its API key id and ends when the key is revoked.
 */
export const consoleSessions = pgTable('console_sessions', {
  tokenHash: text('token_hash').primaryKey(),
  state: text('state').notNull(),
  principal: jsonb('principal').$type<Record<string, unknown> | null>(),
  apiKeyId: text('api_key_id'),
  csrfToken: text('csrf_token').notNull(),
  login: jsonb('login').$type<Record<string, unknown> | null>(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [
  index('console_sessions_expires_idx').on(t.expiresAt),
  check('console_sessions_state_ck', sql`${t.state} in ('pending','active')`),
]);

/**
 * One session of a governance routine: the agenda assembled from the data when it met,
 * and whether it was held (who attended, notes) or recorded missed after its grace.
 */
export const governanceSessions = pgTable('governance_sessions', {
  /** `<routine>-<period>`, e.g. `monthlySegmentReview-2027-03`. */
  id: text('id').primaryKey(),
  routine: text('routine').notNull(),
  period: text('period').notNull(),
  scheduledFor: ts('scheduled_for').notNull(),
  endsAt: ts('ends_at').notNull(),
  /** After this instant, not reported held: missed. */
  heldBy: ts('held_by').notNull(),
  state: text('state').notNull().default('convened'),
  agenda: jsonb('agenda').$type<Record<string, unknown>>().notNull(),
  heldAt: ts('held_at'),
  attendees: jsonb('attendees').$type<{ personId: string; name: string }[]>().notNull().default([]),
  notes: text('notes'),
  late: boolean('late').notNull().default(false),
  policyVersion: integer('policy_version').notNull(),
  workflowId: text('workflow_id'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('governance_sessions_routine_idx').on(t.routine, t.scheduledFor),
  check('governance_sessions_state_ck', sql`${t.state} in ('convened','held','missed')`),
]);

/**
 * Credit gated by a rule for a scope (R-60: an owner × segment whose governance KPIs breached two
 * months running, until a green month). The R-32 credit gate reads the open rows at decision time.
 */
export const creditGates = pgTable('credit_gates', {
  id: text('id').primaryKey(),
  ruleId: text('rule_id').notNull(),
  /** The owner whose credit is gated; null = everyone in the segment. */
  personId: text('person_id').references(() => people.id),
  /** The segment gated; null = all the owner's segments. */
  segment: text('segment'),
  openedAt: ts('opened_at').notNull(),
  closedAt: ts('closed_at'),
  /** Why: the breached months and figures; on release, the green month. */
  reason: jsonb('reason').$type<Record<string, unknown>>().notNull(),
  releaseReason: jsonb('release_reason').$type<Record<string, unknown>>(),
  /** The Corrective Play CTA opened with it. */
  ctaId: text('cta_id'),
}, (t) => [
  uniqueIndex('credit_gates_open_uq').on(t.ruleId, sql`coalesce(${t.personId}, '')`, sql`coalesce(${t.segment}, '')`).where(sql`${t.closedAt} is null`),
]);

/** R-12 D Defense Loop: the monthly risk intake and stability check of one client. */
export const defenseLoopIntakes = pgTable('defense_loop_intakes', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  /** yyyy-MM. */
  month: text('month').notNull(),
  incidents: integer('incidents').notNull(),
  oldestExceptionAgeDays: integer('oldest_exception_age_days'),
  costToServeUsd: numeric('cost_to_serve_usd', { precision: 12, scale: 2, mode: 'number' }),
  stable: boolean('stable').notNull(),
  risks: jsonb('risks').$type<string[]>().notNull().default([]),
  notes: text('notes'),
  recordedAt: ts('recorded_at').notNull(),
}, (t) => [primaryKey({ columns: [t.clientId, t.month] })]);

/**
 * Every payload key that ever sealed a workflow payload (issue 18). Baton refuses to start
 * without one of them, rather than fail histories one by one; a key leaves this list only when
 * an operator retires it on purpose (BATON_PAYLOAD_RETIRED_KEYS).
 */
export const payloadKeys = pgTable('payload_keys', {
  keyId: text('key_id').primaryKey(),
  firstUsedAt: ts('first_used_at').notNull().default(sql`now()`),
  lastActiveAt: ts('last_active_at').notNull().default(sql`now()`),
});

/**
 * Outbound webhook subscriptions (issue 15, Standard Webhooks): ledger event types delivered to a
 * URL, signed with the subscription's `whsec_` secret. The secret is kept only encrypted with the
 * integration key from the environment (runtime/secret-box.ts) and shown once, at creation.
 */
export const webhookSubscriptions = pgTable('webhook_subscriptions', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  eventTypes: jsonb('event_types').$type<string[]>().notNull(),
  secretSealed: text('secret_sealed').notNull(),
  active: boolean('active').notNull().default(true),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  disabledAt: ts('disabled_at'),
});

/**
 * The delivery outbox (issue 15): one row per externally visible effect (a webhook to a
 * subscription, later an email or a PSA ticket), written in the transaction of the ledger event
 * that caused it, with its state, attempts and last error. Its id is the idempotency key toward
 * the receiver (`webhook-id`), so a retried delivery is recognisably the same message.
 */
export const deliveries = pgTable('deliveries', {
  id: text('id').primaryKey(),
  /** `webhook` (later `email`, PSA connectors). */
  channel: text('channel').notNull(),
  /** The circuit breaker's unit: `webhook:<subscription id>`. */
  connector: text('connector').notNull(),
  subscriptionId: text('subscription_id').references(() => webhookSubscriptions.id),
  /** The ledger event delivered (null for a test delivery). */
  eventId: text('event_id'),
  eventType: text('event_type').notNull(),
  clientId: text('client_id'),
  /** The message body as sent (the same bytes on every attempt). */
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  state: text('state').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  nextAttemptAt: ts('next_attempt_at'),
  deliveredAt: ts('delivered_at'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('deliveries_subscription_idx').on(t.subscriptionId, t.createdAt),
  index('deliveries_state_idx').on(t.state, t.createdAt),
  check('deliveries_state_ck', sql`${t.state} in ('pending','retrying','delivered','dead')`),
]);

/** Per-connector circuit breaker (issue 15): consecutive failures and, once tripped, until when no call is made. */
export const connectorBreakers = pgTable('connector_breakers', {
  connector: text('connector').primaryKey(),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  openUntil: ts('open_until'),
  lastError: text('last_error'),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/**
 * The upsell play (DOMAIN §2.16, R-89..R-92): one row per logged signal, owned by the workflow
 * `upsell/{id}`. The signal's facts are columns; the play's progress (records it produced — price
 * test, pre-approval, roadmap and budget versions, proposal — its touch, overdue steps and credit
 * verdict) is merged into `progress` by the workflow's effects. The records themselves are the
 * planning loop's rows (initiatives, price_tests, pre_approvals, proposals, budget/roadmap versions).
 */
export const upsells = pgTable('upsells', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  initiativeId: text('initiative_id').notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  kind: text('kind').notNull(),
  source: text('source').notNull(),
  signalDate: date('signal_date', { mode: 'string' }).notNull(),
  lane: text('lane').notNull(),
  urgency: text('urgency').notNull(),
  dependency: text('dependency'),
  riskReduction: boolean('risk_reduction').notNull().default(false),
  state: text('state').notNull(),
  progress: jsonb('progress').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  index('upsells_client_idx').on(t.clientId, t.state),
  check('upsells_state_ck', sql`${t.state} in ('signalLogged','priceTested','preApproved','proposed','approved','declined','resequenced')`),
  check('upsells_lane_ck', sql`${t.lane} in ('OpEx','CapEx')`),
]);

/**
 * Annual planning cycles (R-62..R-66), one row per client and cycle year: where each client is in
 * its cycle (GET /v1/planning-cycles). Written by the cycle's process with its ledger events, in one
 * transaction; the process (client/{id}/planning/{fy}) holds the detail (status query).
 */
export const planningCycles = pgTable('planning_cycles', {
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  fiscalYear: integer('fiscal_year').notNull(),
  workflowId: text('workflow_id').notNull(),
  segment: text('segment').notNull(),
  stage: text('stage').notNull(),
  currentStep: text('current_step'),
  plannedHours: numeric('planned_hours', { precision: 6, scale: 2, mode: 'number' }).notNull(),
  actualHours: numeric('actual_hours', { precision: 6, scale: 2, mode: 'number' }).notNull().default(0),
  gaps: integer('gaps').notNull().default(0),
  outputs: jsonb('outputs').$type<string[]>().notNull().default([]),
  m1StartsAt: ts('m1_starts_at').notNull(),
  finalStartsAt: ts('final_starts_at').notNull(),
  closedAt: ts('closed_at'),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.clientId, t.fiscalYear] }),
  index('planning_cycles_stage_idx').on(t.stage, t.clientId, t.fiscalYear),
]);

/**
 * Per-tenant PSA connectors (issue 15): a vendor account (ConnectWise PSA, Autotask, HaloPSA) with its
 * credentials sealed under the integration key (runtime/secret-box.ts, bound to the connector id;
 * never logged, never returned), its settings (board, statuses) and its mappings of Baton's people
 * to the vendor's members and clients to its companies. Deliveries to it use the connector key
 * `psa:<id>` for the circuit breaker, so one misconfigured connector blocks nothing else.
 */
export const connectors = pgTable('connectors', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  name: text('name').notNull(),
  baseUrl: text('base_url').notNull(),
  credentialsSealed: text('credentials_sealed').notNull(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  /** `{ people: [{personId, member (ConnectWise) | resourceId + roleId (Autotask)}], clients: [{clientId, companyId}] }`. */
  mappings: jsonb('mappings').$type<{ people: { personId: string; member?: string; resourceId?: number; roleId?: number }[]; clients: { clientId: string; companyId: number }[] }>().notNull(),
  active: boolean('active').notNull().default(true),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [check('connectors_type_ck', sql`${t.type} in ('connectwise','autotask','halopsa','msgraph')`)]);

/** Which vendor record stands for which Baton record (a CTA's ticket), written on the first successful create. */
export const connectorLinks = pgTable('connector_links', {
  connectorId: text('connector_id').notNull().references(() => connectors.id),
  kind: text('kind').notNull(),
  batonId: text('baton_id').notNull(),
  vendorId: text('vendor_id').notNull(),
  createdAt: createdAt(),
}, (t) => [
  primaryKey({ columns: [t.connectorId, t.kind, t.batonId] }),
  uniqueIndex('connector_links_vendor_idx').on(t.connectorId, t.kind, t.vendorId),
]);

/** Inbound vendor events already acted on, by the vendor's event identity: a replay is acknowledged once and changes nothing. */
export const inboundEvents = pgTable('inbound_events', {
  connectorId: text('connector_id').notNull().references(() => connectors.id),
  eventKey: text('event_key').notNull(),
  entity: text('entity').notNull(),
  outcome: text('outcome').notNull(),
  receivedAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.connectorId, t.eventKey] })]);

/**
 * Microsoft Graph change-notification subscriptions (issue 15), one per (msgraph connector, mapped
 * mailbox): what Graph answered when Baton subscribed to the mailbox's events, and when it expires.
 * Written by the connector's subscription workflow (workflows/msgraph-subscriptions.ts), which
 * renews each before `expires_at` (policy `integrations.msgraphRenewalMarginMinutes`).
 */
export const msgraphSubscriptions = pgTable('msgraph_subscriptions', {
  connectorId: text('connector_id').notNull().references(() => connectors.id),
  /** The mailbox (user id or UPN) whose `/users/{mailbox}/events` the subscription watches. */
  mailbox: text('mailbox').notNull(),
  subscriptionId: text('subscription_id').notNull(),
  expiresAt: ts('expires_at').notNull(),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.connectorId, t.mailbox] }),
  uniqueIndex('msgraph_subscriptions_id_idx').on(t.subscriptionId),
]);
