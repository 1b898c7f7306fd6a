import { eq, inArray, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { tellPlanningCycles } from './planning-cycle.js';
import type { Db } from '../db/client.js';
import { personBookings } from '../db/capacity.js';
import { clientCalendar, localYear } from '../db/client-calendar.js';
import { getClient } from '../db/clients.js';
import { ctaIdFor, resolveOwner, type OwnerResolution } from '../db/ctas.js';
import { appendEvents, type NewLedgerEvent } from '../db/ledger.js';
import { policyForClient, policyVersion } from '../db/policies.js';
import { meetings, people, type Actor } from '../db/schema.js';
import { localDateOf, type BusinessCalendar } from '../domain/business-time.js';
import { POLICY_SHAPE_REVISION } from '../domain/policy/revision.js';
import { bookingOf, calendarOf, type BookedMeeting, type TriggerType, type BookingRequest, type CadenceSegment, type CadenceSetup, type SegmentChangeResult, type TouchTier } from '../domain/cadence.js';
import { planMonths, replanForSegmentChange, type PlannedMeeting } from '../domain/cadence-plan.js';
import { latestSlotBefore, pickSlot, slotProblems, type Booking, type PersonCapacity, type SlotProblem } from '../domain/capacity.js';
import { recoveryFor } from '../domain/missed-cadence.js';
import { asClientStakeholder, listStakeholders } from '../db/stakeholders.js';
import { meetingInvitees, type ClientStakeholder } from '../domain/stakeholders.js';
import { heartbeat } from './failures.js';
import { type Policy } from '../domain/policy.js';

const DAY_MS = 86_400_000;
/** Problems that mean "the owner is at capacity" for R-33's rebook (the calendar ones are judged by the rule itself). */
const CAPACITY_PROBLEMS: readonly SlotProblem[] = ['doubleBooked', 'strategicWeekCap', 'loadCap'];

/** The client's people from the stakeholder registry (invitees, R-123). */
async function clientPeople(db: Db, clientId: string): Promise<ClientStakeholder[]> {
  return (await listStakeholders(db, clientId)).map(asClientStakeholder);
}

interface BatchContext { clientId: string; workflowId: string; batchKey: string; actor: Actor; at: string }

/**
 * The cadence's I/O: reading the client and policy once, booking meetings against the
 * Accountable's capacity (R-36, R-37; R-33 for rebooks), and applying a segment change to the
 * booked meetings. Every write is keyed by workflow id and meeting key, so a retry lands once.
 */
export function cadenceActivities({ db }: { db: Db }) {
  return {
    async prepareCadence(input: { clientId: string; lockedAt: string; policyVersion: number }): Promise<CadenceSetup> {
      const client = await getClient(db, input.clientId);
      if (!client) throw ApplicationFailure.create({ type: 'ClientNotFound', message: `No client ${input.clientId}`, nonRetryable: true });
      const { policy, version: policyVersionUsed } = await policyForClient(db, client.policyOverrides, input.policyVersion);
      // C-1: the region's holidays for `publicHolidayYears` from the lock; the monthly roll refreshes them (readCadenceClient).
      const fromYear = localYear(input.lockedAt, client.timeZone);
      const calendar = clientCalendar(client, policy, fromYear, fromYear + policy.calendar.publicHolidayYears);
      return {
        clientId: client.id, segment: client.segment as CadenceSegment, touchTier: client.touchTier as TouchTier, timeZone: client.timeZone,
        fiscalYearEnd: client.fiscalYearEnd, renewalDate: client.renewalDate, lockedAt: new Date(input.lockedAt).toISOString(), policyVersion: policyVersionUsed, policy, policyShapeRevision: POLICY_SHAPE_REVISION, calendar,
      };
    },

    /**
     * The client fields the cadence plans from, as stored now (null when the client is gone), and its
     * holidays from last year through `calendar.publicHolidayYears` ahead (C-1), so a long-running cadence
     * keeps seeing its region's later years and a changed region or holiday list (the monthly roll).
     */
    async readCadenceClient(input: { clientId: string; at?: string }): Promise<{ segment: CadenceSegment; touchTier: TouchTier; fiscalYearEnd: string; renewalDate: string | null; holidays?: string[] } | null> {
      const client = await getClient(db, input.clientId);
      if (!client) return null;
      const { policy, version: policyVersionUsed } = await policyForClient(db, client.policyOverrides);
      const year = localYear(input.at ?? new Date().toISOString(), client.timeZone);
      const { holidays } = clientCalendar(client, policy, year - 1, year + policy.calendar.publicHolidayYears);
      return { segment: client.segment as CadenceSegment, touchTier: client.touchTier as TouchTier, fiscalYearEnd: client.fiscalYearEnd, renewalDate: client.renewalDate, holidays };
    },

    /** Books the plan of whole months or single meetings (triggers, rebooks, resets). */
    async bookCadenceMeetings(input: BatchContext & { setup: CadenceSetup; plan?: string[]; requests?: BookingRequest[] }): Promise<BookedMeeting[]> {
      const cal = calendarOf(input.setup);
      const requests = input.requests ?? planMonths(planInput(input.setup), input.plan ?? [], input.setup.policy, cal).map((m) => bookingOf(m));
      const out = await bookMeetings(db, input, input.setup, cal, requests, await clientPeople(db, input.setup.clientId));
      // R-62..R-66: a booked planning meeting starts (or reaches) its cycle's process, keyed by the meeting (C-6).
      const planning = out.filter((b) => b.kind === 'annualPlanning');
      if (planning.length) {
        const ctx = Context.current();
        await tellPlanningCycles({ client: ctx.client, taskQueue: ctx.info.taskQueue }, db, input.clientId, planning.map((b) => ({
          meetingId: b.meetingId, key: `${b.meetingId}/booked`, action: (_fy: number, m: { key: string }) => ({ type: 'meetingBooked' as const, meetingId: b.meetingId, key: m.key, startsAt: b.startsAt, state: b.state }),
        })), input.actor, input.at);
      }
      return out;
    },

    /** booked meetings keep their dates but switch template, mode and RACI; unused types are cancelled; new types start after the lead. */
    async changeCadenceSegment(input: BatchContext & {
      setup: CadenceSetup; from: CadenceSegment; to: CadenceSegment; touchTier: TouchTier; changedAt: string; bookedThrough: string;
      booked: { key: string; kind: string; template: string; startsAt: string; meetingId: string }[];
    }): Promise<SegmentChangeResult> {
      const setup: CadenceSetup = { ...input.setup, segment: input.to, touchTier: input.touchTier };
      const cal = calendarOf(setup);
      const planKinds = new Set(['annualPlanning', 'strategic', 'tactical']);
      const booked = input.booked.filter((b) => planKinds.has(b.kind));
      const first = localDateOf(input.changedAt, cal).slice(0, 7);
      const months: string[] = [];
      for (let m = first; m <= input.bookedThrough; m = nextMonth(m)) months.push(m);
      const diff = replanForSegmentChange(
        booked.map((b) => ({ key: b.key, kind: b.kind as PlannedMeeting['kind'], template: b.template, month: localDateOf(b.startsAt, cal).slice(0, 7), startsAt: b.startsAt })),
        { ...planInput(setup), from: input.from, changedAt: input.changedAt }, months, setup.policy, cal,
      );
      const idOf = new Map(booked.map((b) => [b.key, b.meetingId]));
      // The restyles and cancellations in one transaction, their ledger events in one insert (as a booking batch).
      await db.transaction(async (t) => {
        const tx = t as unknown as Db;
        const changed: NewLedgerEvent[] = [];
        let i = 0;
        for (const r of diff.restyle) {
          heartbeat();
          const meetingId = idOf.get(r.key)!;
          await tx.update(meetings).set({ kind: r.template, mode: r.mode, accountableRole: r.raci.accountable, segment: input.to, data: sql`${meetings.data} || ${JSON.stringify({ template: r.template, raci: r.raci, agenda: r.agenda })}::jsonb`, updatedAt: input.at }).where(eq(meetings.id, meetingId));
          changed.push({ id: `${input.workflowId}/${input.batchKey}/restyle/${i++}`, occurredAt: input.at, clientId: input.clientId, process: 'cadence', workflowId: input.workflowId, type: 'meeting.restyled', ruleId: 'R-9', actor: input.actor, why: r.why, data: { meetingId, template: r.template, mode: r.mode, accountableRole: r.raci.accountable } });
        }
        const cancelled = diff.cancel.map((c) => idOf.get(c.key)!);
        if (cancelled.length) await tx.update(meetings).set({ state: 'cancelled', updatedAt: input.at }).where(inArray(meetings.id, cancelled));
        for (const [j, c] of diff.cancel.entries()) {
          changed.push({ id: `${input.workflowId}/${input.batchKey}/cancel/${i++}`, occurredAt: input.at, clientId: input.clientId, process: 'cadence', workflowId: input.workflowId, type: 'meeting.cancelled', ruleId: 'R-9', actor: input.actor, why: c.why, data: { meetingId: cancelled[j]!, reason: `type not used by segment ${input.to} (R-9)` } });
        }
        await appendEvents(tx, changed);
      });
      const added = await bookMeetings(db, input, setup, cal, diff.add.map((m) => bookingOf(m)), await clientPeople(db, setup.clientId));
      return {
        segment: input.to, touchTier: input.touchTier,
        restyled: diff.restyle.map((r) => ({ key: r.key, template: r.template, mode: r.mode, raci: r.raci, agenda: r.agenda })),
        cancelled: diff.cancel.map((c) => c.key), booked: added,
      };
    },
  };
}

const nextMonth = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

function planInput(s: CadenceSetup) {
  return { segment: s.segment, touchTier: s.touchTier, fiscalYearEnd: s.fiscalYearEnd, renewalDate: s.renewalDate, lockedAt: s.lockedAt };
}

/**
 * Books a batch of meetings (a cadence's year, about fifty; a roll's month; single rebooks) in one
 * transaction (issue 17: it was one transaction per meeting, each locking, reading and writing on
 * its own). Each meeting goes to its Accountable (resolved from the client's role assignments,
 * R-122) in the first allowed slot — or, for a rebook, where R-33 puts it. Every
 * Accountable of the batch is locked once, in a fixed order, so concurrent cadences never overbook
 * one person and two batches never wait on each other in a circle; their bookings are read once and
 * the batch's own placements are added as it goes, so each meeting sees those placed before it, as
 * when each was committed on its own. All or nothing: a retried batch books the same meetings again,
 * and a key booked before (by an earlier batch) returns the row first booked.
 */
async function bookMeetings(db: Db, ctx: BatchContext, setup: CadenceSetup, cal: BusinessCalendar, requests: BookingRequest[], clientPeopleNow: ClientStakeholder[]): Promise<BookedMeeting[]> {
  if (!requests.length) return [];
  const policy: Policy = setup.policy;
  const ids = requests.map((r) => ctaIdFor(`${ctx.workflowId}/meeting/${r.key}`));
  const existing = new Map((await db.select().from(meetings).where(inArray(meetings.id, ids))).map((m) => [m.id, m]));
  const owners = new Map<string, OwnerResolution>();
  for (const [i, r] of requests.entries()) {
    if (existing.has(ids[i]!) || owners.has(r.raci.accountable)) continue;
    owners.set(r.raci.accountable, await resolveOwner(db, setup.clientId, r.raci.accountable));
  }
  // Each meeting reads the bookings of its slot search (policy capacity.slotSearchDays) with the weeks around it;
  // the batch reads the union once.
  const windowOf = (r: BookingRequest) => ({ from: Date.parse(r.startsAt) - LOAD_MARGIN_DAYS * DAY_MS, to: Date.parse(r.startsAt) + (policy.capacity.slotSearchDays + LOAD_MARGIN_DAYS) * DAY_MS });
  const windows = requests.map(windowOf);
  const batchFrom = new Date(Math.min(...windows.map((w) => w.from))).toISOString();
  const batchTo = new Date(Math.max(...windows.map((w) => w.to))).toISOString();

  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const ownerIds = [...new Set([...owners.values()].map((o) => o.ownerId).filter((id): id is string => id !== null))].sort();
    for (const id of ownerIds) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${id}))`);
    const capacity = new Map<string, PersonCapacity>();
    const bookingsOf = new Map<string, Booking[]>(ownerIds.map((id) => [id, []]));
    if (ownerIds.length) {
      for (const p of await tx.select({ id: people.id, hours: people.weeklyCapacityHours }).from(people).where(inArray(people.id, ownerIds))) capacity.set(p.id, { personId: p.id, weeklyCapacityHours: p.hours });
      for (const id of ownerIds) bookingsOf.set(id, capacity.has(id) ? await personBookings(tx, id, batchFrom, batchTo) : []);
    }
    const out: BookedMeeting[] = [];
    const booked = new Map<string, BookedMeeting>();
    const rows: (typeof meetings.$inferInsert)[] = [];
    const events: NewLedgerEvent[] = [];
    for (const [i, r] of requests.entries()) {
      heartbeat(i);
      const meetingId = ids[i]!;
      // Who of the client is invited (R-26 decision-maker, R-17/R-34 sponsor at a reset, R-14 budget holder), from the registry now.
      const purpose = { strategic: r.strategic, kind: r.kind, ...(r.trigger ? { trigger: r.trigger.split(':')[0] as TriggerType } : {}), budget: r.agenda.includes('budget') };
      const { invitees, missing } = meetingInvitees(clientPeopleNow, purpose);
      const guests = { invitees: invitees.map((x) => ({ stakeholderId: x.stakeholderId, name: x.name, required: x.required })), ...(missing.length ? { missingStakeholders: missing } : {}) };
      const base = { key: r.key, meetingId, kind: r.kind, template: r.template, strategic: r.strategic, mode: r.mode, agenda: r.agenda, raci: r.raci, bookedAt: ctx.at, ...(r.trigger ? { trigger: r.trigger } : {}), ...(r.replaces ? { replaces: r.replaces } : {}), ...guests };
      const bookedBefore = booked.get(meetingId);
      if (bookedBefore) {
        out.push(bookedBefore); // a key asked twice gets the first booking
        continue;
      }
      const stored = existing.get(meetingId);
      if (stored) {
        out.push({ ...base, startsAt: stored.startsAt, endsAt: stored.endsAt, state: stored.state === 'unbooked' ? 'unbooked' : 'scheduled', why: { retried: true } });
        continue;
      }
      const owner = owners.get(r.raci.accountable)!;
      const person = owner.ownerId ? capacity.get(owner.ownerId) ?? null : null;
      const prepHours = r.strategic ? policy.capacity.prepHours.strategic : policy.capacity.prepHours.tactical;
      const span = Date.parse(r.endsAt) - Date.parse(r.startsAt);
      // The person's bookings overlapping this meeting's own window, as a query for just that window returns them.
      const w = windows[i]!;
      const bookings = person ? bookingsOf.get(person.personId)!.filter((b) => Date.parse(b.startsAt) < w.to && Date.parse(b.endsAt) > w.from) : [];
      const csmAttends = [r.raci.accountable, r.raci.presenter, r.raci.recorder].includes('CSM');
      const req = { startsAt: r.startsAt, endsAt: r.endsAt, strategic: r.strategic, prepHours, role: r.raci.accountable, csmAttends };
      // a date from an anchor or a ROLL (annual planning, triggers, "within N days" limits) is booked on that
      // date when the people are free; batch days and Fridays steer only the dates Baton picks (the recurring slot).
      const anchored = r.kind === 'annualPlanning' || r.kind === 'trigger' || r.kind === 'reset' || r.kind === 'decisionCall';

      let placed: { startsAt: string; endsAt: string; why: Record<string, unknown> } | { unbooked: Record<string, unknown> };
      if (r.placement === 'rebook' && r.missed) {
        // +7 d same weekday/time, or the latest earlier slot within 7 d when that day is not a business day or the owner is at capacity.
        const rec = recoveryFor({
          consecutiveMisses: r.missed.consecutiveMisses, missed: { startsAt: r.missed.startsAt, endsAt: r.missed.endsAt }, missedAt: r.missed.missedAt,
          ownerAtCapacity: (startsAt) => slotProblems({ ...req, startsAt, endsAt: new Date(Date.parse(startsAt) + span).toISOString() }, person, bookings, policy, cal).some((p) => CAPACITY_PROBLEMS.includes(p)),
        }, policy, cal);
        placed = rec.kind === 'rebook'
          ? { startsAt: rec.startsAt, endsAt: rec.endsAt, why: { ...rec.why, ...(rec.movedFrom ? { movedFrom: rec.movedFrom, movedBecause: rec.movedBecause } : {}), prepPackDueAt: rec.prepPackDueAt } }
          : { unbooked: rec.why };
      } else {
        let slot = pickSlot(req, person, bookings, policy, cal, anchored ? 'ignore' : 'steer');
        const tooLate = slot.ok && r.latest !== undefined && Date.parse(slot.startsAt) > Date.parse(r.latest);
        // nothing between the minimum notice and the limit → the latest allowed slot before the notice.
        if ((!slot.ok || tooLate) && r.fallbackAfter) {
          const earlier = latestSlotBefore(req, r.fallbackAfter, person, bookings, policy, cal);
          if (earlier.ok) slot = earlier;
        }
        if (!slot.ok) placed = { unbooked: { ...slot.why, reasons: slot.reasons } };
        else if (r.latest && Date.parse(slot.startsAt) > Date.parse(r.latest)) placed = { unbooked: { ...slot.why, reason: `the first allowed slot ${slot.startsAt} is after the latest allowed ${r.latest}` } };
        else placed = { startsAt: slot.startsAt, endsAt: slot.endsAt, why: { ...slot.why, ...(slot.movedFrom ? { movedFrom: slot.movedFrom, movedBecause: slot.movedBecause } : {}) } };
      }
      const unbooked = 'unbooked' in placed;
      const startsAt = 'unbooked' in placed ? r.startsAt : placed.startsAt;
      const endsAt = 'unbooked' in placed ? r.endsAt : placed.endsAt;
      const why = { ...r.why, placement: 'unbooked' in placed ? placed.unbooked : placed.why, accountable: { role: r.raci.accountable, personId: owner.ownerId, via: owner.via }, capacityRules: ['R-36', 'R-37'] };
      rows.push({
        id: meetingId, clientId: setup.clientId, process: 'cadence', workflowId: ctx.workflowId, kind: r.template, mode: r.mode, state: unbooked ? 'unbooked' : 'scheduled',
        startsAt, endsAt, accountablePersonId: owner.ownerId, accountableRole: r.raci.accountable, strategic: r.strategic, segment: setup.segment, prepHours,
        data: { key: r.key, kind: r.kind, template: r.template, raci: r.raci, agenda: r.agenda, ruleId: r.ruleId, ...guests }, createdAt: ctx.at, updatedAt: ctx.at,
      });
      // The next meetings of the batch see this one in the person's time, as the stored row reads back.
      if (!unbooked && person) addBooking(bookingsOf.get(person.personId)!, { id: meetingId, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), strategic: r.strategic, prepHours });
      const ledger = { id: `${ctx.workflowId}/meeting/${r.key}/booked`, occurredAt: ctx.at, clientId: setup.clientId, process: 'cadence', workflowId: ctx.workflowId, ruleId: r.ruleId, actor: ctx.actor, why };
      events.push(unbooked
        ? { ...ledger, type: 'process.fact_recorded', data: { fact: 'meetingUnbooked', details: { meetingId, template: r.template, wantedAt: r.startsAt } } }
        : { ...ledger, type: 'meeting.scheduled', data: { meetingId, kind: r.template, startsAt, endsAt, mode: r.mode } });
      const result: BookedMeeting = { ...base, startsAt, endsAt, state: unbooked ? 'unbooked' : 'scheduled', why };
      booked.set(meetingId, result);
      out.push(result);
    }
    // Rows in batches: a year of meetings stays far below PostgreSQL's 65,535 bind parameters a statement.
    for (let i = 0; i < rows.length; i += MEETING_ROWS_PER_INSERT) await tx.insert(meetings).values(rows.slice(i, i + MEETING_ROWS_PER_INSERT)).onConflictDoNothing();
    await appendEvents(tx, events);
    return out;
  });
}

/**
 * Days of bookings read on either side of a meeting's slot search, so the weekly caps (R-36 strategic
 * meetings a week, R-37 load) see whole weeks around every candidate slot. Not a business rule: a
 * read margin, as before this batch (two weeks).
 */
const LOAD_MARGIN_DAYS = 14;

/** Meeting rows per insert statement (about 20 parameters a row). */
const MEETING_ROWS_PER_INSERT = 500;

/** Inserts a booking where `personBookings` would list it: by start, then id. */
function addBooking(list: Booking[], b: Booking): void {
  const at = Date.parse(b.startsAt);
  let i = list.length;
  while (i > 0 && (Date.parse(list[i - 1]!.startsAt) > at || (Date.parse(list[i - 1]!.startsAt) === at && list[i - 1]!.id > b.id))) i -= 1;
  list.splice(i, 0, b);
}

export type CadenceActivities = ReturnType<typeof cadenceActivities>;
