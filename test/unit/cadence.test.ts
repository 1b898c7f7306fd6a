import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import {
  applyAction, applyBooked, applySegmentChange, carryOver, decide, due, initialState, nextDue, planDateTriggers, statusView,
  type BookedMeeting, type CadenceAction, type CadenceEffect, type CadenceSetup, type CadenceState, type Raci, type Step,
} from '../../domain/cadence.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

// America/Chicago (CDT -05:00 until Sun 2026-11-01, then CST -06:00). Weekdays checked with Luxon:
// 2026-05-11 Mon (lock), 05-26 Tue, 05-29 Fri, 06-02 Tue, 06-05 Fri, 06-08 Mon, 06-09 Tue (QBR, 2nd Tuesday),
// 06-12 Fri, 06-15 Mon, 06-16 Tue, 06-17 Wed, 06-19 Fri, 06-23 Tue, 07-07 Tue (1st Tuesday), 07-14 Tue,
// 08-14 Fri, 08-28 Fri, 08-30 Sun, 09-01 Tue, 09-15 Tue, 11-17 Tue, 11-28 Sat, 12-01 Tue.
const ZONE = 'America/Chicago';
const LOCK = '2026-05-11T09:00:00.000-05:00';
const B_RACI: Raci = { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' };
const C_RACI: Raci = { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', backup: 'AM' };
const QBR_START = '2026-06-09T10:00:00.000-05:00';
const QBR_END = '2026-06-09T10:45:00.000-05:00';

function withPolicy(patch: Record<string, unknown>): Policy {
  const r = parsePolicy({ ...defaultPolicy, ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

function setupOf(over: Partial<CadenceSetup> = {}): CadenceSetup {
  return {
    clientId: 'c-1', segment: 'B', touchTier: 'High', timeZone: ZONE, fiscalYearEnd: '12-31', renewalDate: null, lockedAt: LOCK,
    policyVersion: 1, policy: defaultPolicy,
    calendar: { timeZone: ZONE, holidays: [], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' },
    ...over,
  };
}

/** A cadence locked 2026-05-11 09:00 with the R-10 horizon booked through 2027-05 (lock month + 12). */
function fresh(over: Partial<CadenceSetup> = {}): CadenceState {
  const s = initialState(setupOf(over));
  s.bookedThrough = '2027-05';
  return s;
}

const plusMinutes = (startsAt: string, minutes: number) => DateTime.fromISO(startsAt, { setZone: true }).plus({ minutes }).toISO()!;

function booked(key: string, meetingId: string, startsAt: string, o: Partial<BookedMeeting> & { minutes?: number } = {}): BookedMeeting {
  const { minutes = 45, ...rest } = o;
  return {
    key, meetingId, kind: 'strategic', template: 'QBR', strategic: true, startsAt, endsAt: plusMinutes(startsAt, minutes), mode: 'live',
    agenda: ['snapshot', 'roadmap'], raci: { ...B_RACI }, state: 'scheduled', bookedAt: LOCK, ...rest,
  };
}

const QBR = () => booked('qbr/2026-06', 'mtg-qbr-06', QBR_START);

function withQbr(over: Partial<CadenceSetup> = {}): CadenceState {
  const s = fresh(over);
  expect(applyBooked(s, [QBR()], LOCK)).toEqual({ effects: [], book: [] });
  return s;
}

/** decide must accept, then apply. */
function act(s: CadenceState, action: CadenceAction, at: string): Step {
  expect(decide(s, action, at)).toBeUndefined();
  return applyAction(s, action, at);
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
/** Every ISO instant re-expressed in the client's zone, so expectations read as Chicago wall times. */
function norm<T>(x: T): T {
  if (typeof x === 'string') return (ISO_RE.test(x) ? DateTime.fromISO(x, { setZone: true }).setZone(ZONE).toISO() : x) as T;
  if (Array.isArray(x)) return x.map((v) => norm(v)) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, norm(v)])) as T;
  return x;
}

type EventEffect = Extract<CadenceEffect, { kind: 'event' }>;
type CtaEffect = Extract<CadenceEffect, { kind: 'cta' }>;
type UpdateEffect = Extract<CadenceEffect, { kind: 'meetingUpdate' }>;
type ResolvedEffect = Extract<CadenceEffect, { kind: 'ctaResolved' }>;
const eventsOf = (st: Step, type?: string): EventEffect[] => norm(st.effects.filter((e): e is EventEffect => e.kind === 'event' && (type === undefined || e.type === type)));
const ctasOf = (st: Step): CtaEffect[] => norm(st.effects.filter((e): e is CtaEffect => e.kind === 'cta'));
const updatesOf = (st: Step): UpdateEffect[] => norm(st.effects.filter((e): e is UpdateEffect => e.kind === 'meetingUpdate'));
const resolvedOf = (st: Step): ResolvedEffect[] => st.effects.filter((e): e is ResolvedEffect => e.kind === 'ctaResolved');
const mtg = (s: CadenceState, key: string) => {
  const m = s.meetings.find((x) => x.key === key);
  if (!m) throw new Error(`no meeting ${key} in ${s.meetings.map((x) => x.key).join(', ')}`);
  return m;
};
const trig = (s: CadenceState, key: string) => {
  const t = s.triggers.find((x) => x.key === key);
  if (!t) throw new Error(`no trigger ${key} in ${s.triggers.map((x) => x.key).join(', ')}`);
  return t;
};
const nd = (s: CadenceState) => norm(nextDue(s));
/** All pending dues up to `until`, in order, handling each (the horizon by moving bookedThrough, as the workflow does). */
function drain(s: CadenceState, until: string): { key: string; at: string }[] {
  const seen: { key: string; at: string }[] = [];
  for (;;) {
    const next = nextDue(s)!;
    if (Date.parse(next.at) > Date.parse(until)) return seen;
    seen.push(norm(next));
    if (next.key === 'horizon') s.bookedThrough = DateTime.fromISO(`${s.bookedThrough}-01`, { zone: 'utc' }).plus({ months: 1 }).toFormat('yyyy-MM');
    else due(s, next.key, next.at);
  }
}

const held = (meetingId: string, o: Partial<Extract<CadenceAction, { type: 'meetingHeld' }>> = {}): CadenceAction => ({
  type: 'meetingHeld', meetingId, heldAt: QBR_START, endedAt: QBR_END, attendees: ['CFO', 'vCIO', 'CSM'], sponsorPresent: true, decisions: [], undecided: [], ...o,
});

// ---------------------------------------------------------------------------------------------

describe('applyBooked: the strategic meeting cycle (R-24, R-26, C-4, §2.5)', () => {
  it('a QBR booked well ahead: prep pack due T-5 bd 17:00, its CTA opens 5 bd before that, pre-read due at the last business instant ≤ start − 48h, grace = end + 2h', () => {
    const s = withQbr();
    const m = mtg(s, 'qbr/2026-06');
    expect(m.status).toBe('scheduled');
    expect(m.agendaBlocks).toEqual([]);
    // C-4: Tue 06-09 → Mon 06-08 (1), Fri 06-05 (2), Thu 06-04 (3), Wed 06-03 (4), Tue 06-02 (5) at 17:00.
    // Prep CTA: 5 bd before Tue 06-02 → Tue 05-26 at dayStart 09:00.
    expect(norm(m.prep)).toEqual({ openAt: '2026-05-26T09:00:00.000-05:00', dueAt: '2026-06-02T17:00:00.000-05:00', late: false, ctaOpened: false, judged: false });
    // Tue 10:00 − 48h = Sun 06-07 10:00 (not business) → Fri 06-05 17:00.
    expect(norm(m.preRead)).toEqual({ dueAt: '2026-06-05T17:00:00.000-05:00', judged: false });
    expect(norm(m.graceEndsAt)).toBe('2026-06-09T12:45:00.000-05:00');
  });

  it('R-26: start − 48h inside business hours is the due itself; on a weekend or before opening, the previous business day 17:00', () => {
    const s = fresh();
    applyBooked(s, [
      booked('mon', 'mtg-mon', '2026-06-15T10:00:00.000-05:00'), // − 48h = Sat 06-13 10:00 → Fri 06-12 17:00
      booked('thu', 'mtg-thu', '2026-06-11T14:00:00.000-05:00'), // − 48h = Tue 06-09 14:00 (business hours)
      booked('wed-early', 'mtg-wed', '2026-06-10T08:30:00.000-05:00'), // − 48h = Mon 06-08 08:30, before opening → Fri 06-05 17:00
      booked('thu-late', 'mtg-thu-late', '2026-06-11T18:30:00.000-05:00'), // − 48h = Tue 06-09 18:30, after close → Tue 17:00
    ], LOCK);
    expect(norm(mtg(s, 'mon').preRead!.dueAt)).toBe('2026-06-12T17:00:00.000-05:00');
    expect(norm(mtg(s, 'mon').prep!.dueAt)).toBe('2026-06-08T17:00:00.000-05:00'); // Fri 12, Thu 11, Wed 10, Tue 9, Mon 8
    expect(norm(mtg(s, 'thu').preRead!.dueAt)).toBe('2026-06-09T14:00:00.000-05:00');
    expect(norm(mtg(s, 'wed-early').preRead!.dueAt)).toBe('2026-06-05T17:00:00.000-05:00');
    expect(norm(mtg(s, 'thu-late').preRead!.dueAt)).toBe('2026-06-09T17:00:00.000-05:00');
    // Meetings are kept in start order.
    expect(s.meetings.map((m) => m.key)).toEqual(['wed-early', 'thu', 'thu-late', 'mon']);
  });

  it('holidays are not business days: a Friday holiday moves the prep due to Mon 06-01 and the pre-read to Thu 06-04 17:00', () => {
    const s = fresh({ calendar: { timeZone: ZONE, holidays: ['2026-06-05'], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' } });
    applyBooked(s, [QBR()], LOCK);
    const m = mtg(s, 'qbr/2026-06');
    expect(norm(m.prep!.dueAt)).toBe('2026-06-01T17:00:00.000-05:00'); // Mon 8, Thu 4, Wed 3, Tue 2, Mon 1
    expect(norm(m.prep!.openAt)).toBe('2026-05-25T09:00:00.000-05:00'); // Fri 29, Thu 28, Wed 27, Tue 26, Mon 25
    expect(norm(m.preRead!.dueAt)).toBe('2026-06-04T17:00:00.000-05:00');
  });

  it('across the DST switch: a Tue 2026-11-03 10:00 CST QBR has its pre-read due Fri 10-30 17:00 CDT and the prep pack Tue 10-27 17:00', () => {
    const s = fresh();
    applyBooked(s, [booked('qbr/2026-11', 'mtg-qbr-11', '2026-11-03T10:00:00.000-06:00')], LOCK);
    const m = mtg(s, 'qbr/2026-11');
    expect(norm(m.prep!.dueAt)).toBe('2026-10-27T17:00:00.000-05:00');
    expect(norm(m.preRead!.dueAt)).toBe('2026-10-30T17:00:00.000-05:00');
    expect(norm(m.graceEndsAt)).toBe('2026-11-03T12:45:00.000-06:00');
  });

  it('the prep CTA lead follows meeting.prepCtaLeadBusinessDays (2 bd → Fri 05-29 09:00)', () => {
    const s = withQbr({ policy: withPolicy({ meeting: { ...defaultPolicy.meeting, prepCtaLeadBusinessDays: 2 } }) });
    expect(norm(mtg(s, 'qbr/2026-06').prep!.openAt)).toBe('2026-05-29T09:00:00.000-05:00');
  });

  it('R-24/C-4: booked fewer than 5 bd ahead → prep due 17:00 the previous business day, late; the CTA opens at the booking, never before', () => {
    const s = fresh();
    applyBooked(s, [QBR_with({ bookedAt: '2026-06-04T12:00:00.000-05:00' })], '2026-06-04T12:00:00.000-05:00');
    expect(norm(mtg(s, 'qbr/2026-06').prep)).toEqual({ openAt: '2026-06-04T12:00:00.000-05:00', dueAt: '2026-06-08T17:00:00.000-05:00', late: true, ctaOpened: false, judged: false });
    // Booked exactly at T-5 bd 17:00: still on time.
    const t = fresh();
    applyBooked(t, [QBR_with({ bookedAt: '2026-06-02T17:00:00.000-05:00' })], '2026-06-02T17:00:00.000-05:00');
    expect(norm(mtg(t, 'qbr/2026-06').prep)).toMatchObject({ dueAt: '2026-06-02T17:00:00.000-05:00', late: false });
    // Booked after 17:00 the previous business day: due at the booking itself.
    const u = fresh();
    applyBooked(u, [QBR_with({ bookedAt: '2026-06-08T18:00:00.000-05:00' })], '2026-06-08T18:00:00.000-05:00');
    expect(norm(mtg(u, 'qbr/2026-06').prep)).toMatchObject({ dueAt: '2026-06-08T18:00:00.000-05:00', late: true });
  });

  it('R-26: booked inside the pre-read window (after Fri 05 Jun 17:00 for Tue 09 Jun 10:00) leaves no pre-read to miss', () => {
    const s = fresh();
    applyBooked(s, [QBR_with({ bookedAt: '2026-06-04T12:00:00.000-05:00' })], '2026-06-04T12:00:00.000-05:00');
    expect(norm(mtg(s, 'qbr/2026-06').preRead)).toEqual({ dueAt: '2026-06-05T17:00:00.000-05:00', judged: false });
    const u = fresh();
    applyBooked(u, [QBR_with({ bookedAt: '2026-06-08T18:00:00.000-05:00' })], '2026-06-08T18:00:00.000-05:00');
    expect(norm(mtg(u, 'qbr/2026-06').preRead)).toEqual({ dueAt: '2026-06-05T17:00:00.000-05:00', judged: true, bookedInsideWindow: true });
    expect(nextDue(u)?.key).not.toMatch(/^preRead/);
    expect(due(u, 'prepDue|qbr/2026-06', '2026-06-08T18:00:00.000-05:00').effects.map((e) => e.kind === 'cta' ? e.ctaKind : e.kind)).not.toContain('decision-call');
  });

  it('a tactical meeting opens no prep, pre-read or grace; an unbooked one gets a book-by-hand CTA for the Cadence Owner (R-37)', () => {
    const s = fresh();
    const st = applyBooked(s, [
      booked('chk/2026-06', 'mtg-chk', '2026-06-11T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 }),
      booked('qbr/2026-09', 'mtg-qbr-09', '2026-09-08T10:00:00.000-05:00', { state: 'unbooked', why: { reason: 'vCIO at capacity' } }),
    ], LOCK);
    const chk = mtg(s, 'chk/2026-06');
    expect([chk.prep, chk.preRead, chk.graceEndsAt]).toEqual([undefined, undefined, undefined]);
    const un = mtg(s, 'qbr/2026-09');
    expect(un.status).toBe('unbooked');
    expect(un.prep).toBeUndefined();
    expect(ctasOf(st)).toEqual([{
      kind: 'cta', key: 'unbooked/qbr/2026-09', ctaKind: 'book-meeting', title: 'Book the QBR of Tue 8 Sep by hand: no allowed slot', ruleId: 'R-37',
      ownerRole: 'CSM', dueAt: '2026-09-08T10:00:00.000-05:00', why: { reason: 'vCIO at capacity', meeting: 'qbr/2026-09' },
    }]);
    expect(st.book).toEqual([]);
  });

  it('the same booking applied twice is taken once', () => {
    const s = withQbr();
    expect(applyBooked(s, [QBR()], LOCK)).toEqual({ effects: [], book: [] });
    expect(s.meetings).toHaveLength(1);
  });
});

function QBR_with(o: Partial<BookedMeeting>): BookedMeeting {
  return { ...QBR(), ...o };
}

// ---------------------------------------------------------------------------------------------

describe('nextDue / due: the cycle deadlines (R-24..R-26, R-29, §2.5)', () => {
  it('nextDue orders the deadlines: prep CTA opens, horizon roll, prep due, pre-read due, grace end', () => {
    const s = withQbr();
    expect(nd(s)).toEqual({ key: 'prepOpen|qbr/2026-06', at: '2026-05-26T09:00:00.000-05:00' });
    expect(drain(s, '2026-06-09T13:00:00.000-05:00')).toEqual([
      { key: 'prepOpen|qbr/2026-06', at: '2026-05-26T09:00:00.000-05:00' },
      // bookedThrough 2027-05 − 11 months → the 2026-06 roll at local midnight.
      { key: 'horizon', at: '2026-06-01T00:00:00.000-05:00' },
      { key: 'prepDue|qbr/2026-06', at: '2026-06-02T17:00:00.000-05:00' },
      { key: 'preRead|qbr/2026-06', at: '2026-06-05T17:00:00.000-05:00' },
      { key: 'grace|qbr/2026-06', at: '2026-06-09T12:45:00.000-05:00' },
    ]);
    expect(mtg(s, 'qbr/2026-06').status).toBe('missed');
    expect(nd(s)).toEqual({ key: 'horizon', at: '2026-07-01T00:00:00.000-05:00' });
  });

  it('R-24: prepOpen opens the prep-pack CTA owned by the recorder (CSM for B), due at the prep deadline', () => {
    const s = withQbr();
    const st = due(s, 'prepOpen|qbr/2026-06', '2026-05-26T09:00:00.000-05:00');
    const [cta] = ctasOf(st);
    expect(cta).toMatchObject({
      kind: 'cta', key: 'prep/qbr/2026-06', ctaKind: 'prep-pack', title: 'Attach the prep pack for the QBR of Tue 9 Jun', ruleId: 'R-24',
      ownerRole: 'CSM', dueAt: '2026-06-02T17:00:00.000-05:00', data: { meetingId: 'mtg-qbr-06' },
    });
    expect(cta!.why).toMatchObject({ meetingId: 'mtg-qbr-06', late: false, rule: 'R-24: T-5 bd 17:00' });
    expect(mtg(s, 'qbr/2026-06').prep!.ctaOpened).toBe(true);
    expect(nd(s)).toEqual({ key: 'horizon', at: '2026-06-01T00:00:00.000-05:00' });
  });

  it('R-24: a C review (CSM presents) gives the prep CTA to its recorder, the TAM', () => {
    const s = fresh({ segment: 'C' });
    applyBooked(s, [booked('rev/2026-06', 'mtg-rev', QBR_START, { template: 'Review', raci: { ...C_RACI } })], LOCK);
    const [cta] = ctasOf(due(s, 'prepOpen|rev/2026-06', '2026-05-26T09:00:00.000-05:00'));
    expect(cta).toMatchObject({ key: 'prep/rev/2026-06', ownerRole: 'TAM', dueAt: '2026-06-02T17:00:00.000-05:00' });
    // C/D sign-off by the CSM.
    act(s, { type: 'prepPackAttached', meetingId: 'mtg-rev' }, '2026-06-01T10:00:00.000-05:00');
    expect(eventsOf(act(s, { type: 'prepSignedOff', meetingId: 'mtg-rev' }, '2026-06-02T10:00:00.000-05:00'))[0]!.data).toEqual({ fact: 'prepSignedOff', details: { meetingId: 'mtg-rev', signoffRole: 'CSM' } });
  });

  it('R-24: prepDue without a prep pack → deadline.missed; attached in time → nothing, and the CTA is resolved at attach', () => {
    const s = withQbr();
    const missed = due(s, 'prepDue|qbr/2026-06', '2026-06-02T18:00:00.000-05:00');
    expect(eventsOf(missed)).toEqual([expect.objectContaining({
      type: 'deadline.missed', ruleId: 'R-24', data: { deadline: 'prepPack|mtg-qbr-06', dueAt: '2026-06-02T17:00:00.000-05:00', lateByMs: 3_600_000 },
    })]);
    expect(mtg(s, 'qbr/2026-06').prep!.judged).toBe(true);
    expect(nd(s)).toEqual({ key: 'prepOpen|qbr/2026-06', at: '2026-05-26T09:00:00.000-05:00' });

    const t = withQbr();
    due(t, 'prepOpen|qbr/2026-06', '2026-05-26T09:00:00.000-05:00');
    const attach = act(t, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-06-01T11:00:00.000-05:00');
    expect(eventsOf(attach)).toEqual([expect.objectContaining({
      type: 'process.fact_recorded', ruleId: 'R-24', data: { fact: 'prepPackAttached', details: { meetingId: 'mtg-qbr-06', onTime: true, dueAt: '2026-06-02T17:00:00.000-05:00' } },
    })]);
    expect(resolvedOf(attach)).toEqual([{ kind: 'ctaResolved', key: 'prep/qbr/2026-06', note: 'prep pack attached at 2026-06-01T11:00:00.000-05:00' }]);
    expect(due(t, 'prepDue|qbr/2026-06', '2026-06-02T17:00:00.000-05:00')).toEqual({ effects: [], book: [] });
    expect(mtg(t, 'qbr/2026-06').prep!.judged).toBe(true);
    expect(nd(t)).toEqual({ key: 'horizon', at: '2026-06-01T00:00:00.000-05:00' });
  });

  it('R-24: a prep pack attached before the CTA opens means no prep CTA at all', () => {
    const s = withQbr();
    const st = act(s, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-05-20T10:00:00.000-05:00');
    expect(resolvedOf(st)).toEqual([]);
    expect(nextDue(s)!.key).toBe('horizon');
    s.bookedThrough = '2027-06';
    expect(nd(s)).toEqual({ key: 'prepDue|qbr/2026-06', at: '2026-06-02T17:00:00.000-05:00' });
  });

  it('R-26: no pre-read by its due → deadline.missed, rescope to a short update and a decision-call CTA for the presenter (72h)', () => {
    const s = withQbr();
    const st = due(s, 'preRead|qbr/2026-06', '2026-06-05T17:00:00.000-05:00');
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'deadline.missed', ruleId: 'R-26', data: { deadline: 'preRead|mtg-qbr-06', dueAt: '2026-06-05T17:00:00.000-05:00' } })]);
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { data: { rescoped: 'short update (no decision-maker confirmed, R-26)' } } }]);
    expect(ctasOf(st)).toEqual([{
      kind: 'cta', key: 'decision-call/qbr/2026-06', ctaKind: 'decision-call', title: 'Book a decision call with the right executive: the QBR of Tue 9 Jun was rescoped to a short update', ruleId: 'R-26',
      ownerRole: 'vCIO', dueAt: '2026-06-08T17:00:00.000-05:00', why: { meetingId: 'mtg-qbr-06', meetingStartsAt: QBR_START },
    }]);
    expect(mtg(s, 'qbr/2026-06').preRead!.judged).toBe(true);
  });

  it('R-26: a pre-read sent without a confirmed decision-maker rescopes at once; a confirmed one leaves nothing for the due', () => {
    const s = withQbr();
    act(s, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-06-01T10:00:00.000-05:00');
    act(s, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, '2026-06-02T10:00:00.000-05:00');
    const st = act(s, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: false }, '2026-06-05T11:00:00.000-05:00');
    expect(eventsOf(st)[0]).toMatchObject({ type: 'process.fact_recorded', ruleId: 'R-26', data: { fact: 'preReadSent', details: { meetingId: 'mtg-qbr-06', decisionMakerConfirmed: false, onTime: true } } });
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'decision-call/qbr/2026-06', ownerRole: 'vCIO', dueAt: '2026-06-08T11:00:00.000-05:00' })]);

    const t = withQbr();
    act(t, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-06-01T10:00:00.000-05:00');
    const so = act(t, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, '2026-06-02T10:00:00.000-05:00');
    expect(eventsOf(so)[0]).toMatchObject({ ruleId: 'R-25', data: { fact: 'prepSignedOff', details: { meetingId: 'mtg-qbr-06', signoffRole: 'vCIO' } } });
    const ok = act(t, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: true }, '2026-06-05T18:00:00.000-05:00');
    expect(eventsOf(ok)[0]).toMatchObject({ data: { details: { decisionMakerConfirmed: true, onTime: false } } });
    expect(ctasOf(ok)).toEqual([]);
    expect(due(t, 'preRead|qbr/2026-06', '2026-06-05T17:00:00.000-05:00')).toEqual({ effects: [], book: [] });
  });

  it('R-29: a held QBR owes a recap by end + 48h; unsent → deadline.missed; sent → resolved and no longer due', () => {
    const s = withQbr();
    act(s, held('mtg-qbr-06'), '2026-06-09T11:00:00.000-05:00');
    s.bookedThrough = '2027-12'; // keep the horizon roll out of the way
    expect(nd(s)).toEqual({ key: 'recap|qbr/2026-06', at: '2026-06-11T10:45:00.000-05:00' });
    const st = due(s, 'recap|qbr/2026-06', '2026-06-11T10:45:00.000-05:00');
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'deadline.missed', ruleId: 'R-29', data: { deadline: 'recap|mtg-qbr-06', dueAt: '2026-06-11T10:45:00.000-05:00' } })]);
    expect(nextDue(s)!.key).toBe('horizon');

    const t = withQbr();
    act(t, held('mtg-qbr-06'), '2026-06-09T11:00:00.000-05:00');
    const sent = act(t, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: '2026-06-10T09:30:00.000-05:00' }, '2026-06-10T09:30:00.000-05:00');
    expect(eventsOf(sent)[0]).toMatchObject({ ruleId: 'R-29', data: { fact: 'recapSent', details: { meetingId: 'mtg-qbr-06', dueAt: '2026-06-11T10:45:00.000-05:00', onTime: true } } });
    expect(updatesOf(sent)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { recapSentAt: '2026-06-10T09:30:00.000-05:00' } }]);
    expect(resolvedOf(sent)).toEqual([{ kind: 'ctaResolved', key: 'recap/qbr/2026-06', note: 'recap sent at 2026-06-10T09:30:00.000-05:00' }]);
    t.bookedThrough = '2027-12';
    expect(nextDue(t)!.key).toBe('horizon');
  });
});

// ---------------------------------------------------------------------------------------------

describe('decide: refusals (404 / 409 / 422)', () => {
  const AT = '2026-06-09T11:00:00.000-05:00';

  it('404: a meeting that is not part of the cadence', () => {
    expect(decide(withQbr(), { type: 'prepPackAttached', meetingId: 'nope' }, AT)).toMatchObject({ status: 404 });
    expect(decide(withQbr(), held('nope'), AT)).toMatchObject({ status: 404 });
  });

  it('422 R-24: prep packs and pre-reads belong to strategic meetings only', () => {
    const s = fresh();
    applyBooked(s, [booked('chk', 'mtg-chk', '2026-06-11T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 })], LOCK);
    expect(decide(s, { type: 'prepPackAttached', meetingId: 'mtg-chk' }, AT)).toMatchObject({ status: 422, ruleId: 'R-24' });
    expect(decide(s, { type: 'prepSignedOff', meetingId: 'mtg-chk' }, AT)).toMatchObject({ status: 422, ruleId: 'R-24' });
    expect(decide(s, { type: 'preReadSent', meetingId: 'mtg-chk', decisionMakerConfirmed: true }, AT)).toMatchObject({ status: 422, ruleId: 'R-24' });
  });

  it('409: sign-off before the prep pack, pre-read before sign-off, and each step twice', () => {
    const s = withQbr();
    expect(decide(s, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, AT)).toMatchObject({ status: 409, ruleId: 'R-25' });
    expect(decide(s, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: true }, AT)).toMatchObject({ status: 409, ruleId: 'R-25' });
    act(s, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-06-01T10:00:00.000-05:00');
    expect(decide(s, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, AT)).toMatchObject({ status: 409, ruleId: 'R-24' });
    expect(decide(s, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: true }, AT)).toMatchObject({ status: 409, ruleId: 'R-25' });
    act(s, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, '2026-06-02T10:00:00.000-05:00');
    expect(decide(s, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, AT)).toMatchObject({ status: 409, ruleId: 'R-25' });
    act(s, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: true }, '2026-06-05T10:00:00.000-05:00');
    expect(decide(s, { type: 'preReadSent', meetingId: 'mtg-qbr-06', decisionMakerConfirmed: true }, AT)).toMatchObject({ status: 409, ruleId: 'R-26' });
  });

  it('422 R-27: a third decision is refused, naming the backlog titles; two are fine', () => {
    const s = withQbr();
    const decisions = [
      { title: 'Firewall refresh', ownerRole: 'vCIO' as const, targetDate: '2026-09-30', budgetUsd: 12_000 },
      { title: 'M365 E5 uplift', ownerRole: 'AM' as const },
      { title: 'Copilot pilot', ownerRole: 'CSM' as const },
      { title: 'SIEM', ownerRole: 'vCISO' as const },
    ];
    expect(decide(s, held('mtg-qbr-06', { decisions }), AT)).toEqual({
      status: 422, ruleId: 'R-27', message: expect.stringContaining('At most 2 decisions'), details: { maxDecisions: 2, backlog: ['Copilot pilot', 'SIEM'] },
    });
    expect(decide(s, held('mtg-qbr-06', { decisions: decisions.slice(0, 2) }), AT)).toBeUndefined();
  });

  it('422: heldAt in the future, or endedAt before heldAt', () => {
    const s = withQbr();
    expect(decide(s, held('mtg-qbr-06'), '2026-06-09T09:59:59.999-05:00')).toMatchObject({ status: 422, message: expect.stringContaining('in the future') });
    expect(decide(s, held('mtg-qbr-06', { endedAt: '2026-06-09T09:30:00.000-05:00' }), AT)).toMatchObject({ status: 422 });
    expect(decide(s, held('mtg-qbr-06'), '2026-06-09T10:00:00.000-05:00')).toBeUndefined();
  });

  it('409: held on a meeting that already counted as missed (A-13), recap before held, a second recap', () => {
    const s = withQbr();
    expect(decide(s, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: AT }, AT)).toMatchObject({ status: 409, ruleId: 'R-29' });
    due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    expect(decide(s, held('mtg-qbr-06'), '2026-06-09T13:00:00.000-05:00')).toMatchObject({ status: 409, ruleId: 'A-13', details: { status: 'missed' } });
    expect(decide(s, { type: 'meetingNoShow', meetingId: 'mtg-qbr-06' }, AT)).toMatchObject({ status: 409 });

    const t = withQbr();
    act(t, held('mtg-qbr-06'), AT);
    expect(decide(t, held('mtg-qbr-06'), AT)).toMatchObject({ status: 409, details: { status: 'held' } });
    act(t, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: '2026-06-10T09:00:00.000-05:00' }, '2026-06-10T09:00:00.000-05:00');
    expect(decide(t, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: '2026-06-10T10:00:00.000-05:00' }, '2026-06-10T10:00:00.000-05:00')).toMatchObject({ status: 409, ruleId: 'R-29' });
  });

  it('409 R-35: cadenceReviewed when no review is pending; 422: adoption without figures; 404: unknown pending decision; 422: reschedule into the past', () => {
    const s = withQbr();
    expect(decide(s, { type: 'cadenceReviewed', outcome: 'keep', note: 'fine' }, AT)).toMatchObject({ status: 409, ruleId: 'R-35' });
    expect(decide(s, { type: 'adoptionMeasured', measuredAt: AT }, AT)).toMatchObject({ status: 422 });
    expect(decide(s, { type: 'adoptionMeasured', mfaPct: 0, measuredAt: AT }, AT)).toBeUndefined();
    expect(decide(s, { type: 'decisionResolved', title: 'ERP' }, AT)).toMatchObject({ status: 404, ruleId: 'R-17' });
    expect(decide(s, { type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt: AT, newStartsAt: '2026-06-09T10:30:00.000-05:00', newEndsAt: '2026-06-09T11:15:00.000-05:00' }, AT)).toMatchObject({ status: 422 });
  });

  it('409 R-19: a stakeholder change while the optional trigger is switched off by policy', () => {
    const change = { type: 'stakeholderChanged' as const, name: 'Dana CFO', stakeholderRole: 'executiveSponsor', changedAt: AT };
    expect(decide(withQbr(), change, AT)).toBeUndefined();
    const off = fresh({ policy: { ...defaultPolicy, triggers: { ...defaultPolicy.triggers, stakeholderChange: { ...defaultPolicy.triggers.stakeholderChange, enabled: false } } } });
    expect(decide(off, change, AT)).toMatchObject({ status: 409, ruleId: 'R-19' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('a held strategic meeting (R-27..R-32, §2.5)', () => {
  const AT = '2026-06-09T11:15:00.000-05:00';
  const decisions = [
    { title: 'Firewall refresh', ownerRole: 'vCIO' as const, targetDate: '2026-09-30', budgetUsd: 12_000 },
    { title: 'M365 E5 uplift', ownerRole: 'AM' as const },
  ];

  it('records held, opens the recap CTA (end + 48h, recorder) and one CTA per decision; credit only with target date and budget (R-32)', () => {
    const s = withQbr();
    const st = act(s, held('mtg-qbr-06', { decisions }), AT);
    expect(mtg(s, 'qbr/2026-06').status).toBe('held');
    expect(norm(mtg(s, 'qbr/2026-06').held)).toEqual({ heldAt: QBR_START, endedAt: QBR_END, decisions: 2, sponsorPresent: true });
    expect(updatesOf(st)).toEqual([{
      kind: 'meetingUpdate', meetingId: 'mtg-qbr-06',
      changes: { state: 'held', heldAt: QBR_START, decisionCount: 2, sponsorPresent: true, recapDueAt: '2026-06-11T10:45:00.000-05:00' },
    }]);
    expect(eventsOf(st, 'meeting.held')).toEqual([expect.objectContaining({ ruleId: 'R-27', data: { meetingId: 'mtg-qbr-06', decisions: 2, attendees: ['CFO', 'vCIO', 'CSM'] } })]);
    const logged = eventsOf(st, 'decision.logged');
    expect(logged.map((e) => [e.ruleId, e.data])).toEqual([
      ['R-31', { meetingId: 'mtg-qbr-06', title: 'Firewall refresh', ownerRole: 'vCIO', targetDate: '2026-09-30', budgetUsd: 12_000, credited: true }],
      ['R-31', { meetingId: 'mtg-qbr-06', title: 'M365 E5 uplift', ownerRole: 'AM', credited: false }],
    ]);
    expect(logged[0]!.why).toEqual({ creditRule: 'R-32' });
    expect(logged[1]!.why).toEqual({ creditRule: 'R-32', creditDeferredBecause: 'missing target date and budget in writing (R-32)' });
    expect(ctasOf(st).map((c) => ({ key: c.key, ctaKind: c.ctaKind, title: c.title, ruleId: c.ruleId, ownerRole: c.ownerRole, dueAt: c.dueAt }))).toEqual([
      { key: 'recap/qbr/2026-06', ctaKind: 'recap', title: 'Send the recap of the QBR of Tue 9 Jun', ruleId: 'R-29', ownerRole: 'CSM', dueAt: '2026-06-11T10:45:00.000-05:00' },
      // a dated decision is due at the end of its target date; otherwise first action 72h after the meeting's end.
      { key: 'decision/qbr/2026-06/1', ctaKind: 'decision', title: 'Firewall refresh', ruleId: 'R-30', ownerRole: 'vCIO', dueAt: '2026-10-01T00:00:00.000-05:00' },
      { key: 'decision/qbr/2026-06/2', ctaKind: 'decision', title: 'M365 E5 uplift', ruleId: 'R-30', ownerRole: 'AM', dueAt: '2026-06-12T10:45:00.000-05:00' },
    ]);
    expect(norm(mtg(s, 'qbr/2026-06').recap)).toEqual({ dueAt: '2026-06-11T10:45:00.000-05:00', judged: false });
    expect(norm(s.lastStrategicDecisionAt)).toBe(QBR_END);
    expect(st.book).toEqual([]);
  });

  it('R-32: a target date without a budget (or a budget without a date) is logged but not credited', () => {
    const s = withQbr();
    const st = act(s, held('mtg-qbr-06', { decisions: [{ title: 'Backup uplift', ownerRole: 'TAM', targetDate: '2026-08-31' }, { title: 'EDR', ownerRole: 'vCISO', budgetUsd: 4_000 }] }), AT);
    const logged = eventsOf(st, 'decision.logged');
    expect(logged.map((e) => e.data.credited)).toEqual([false, false]);
    expect(logged.map((e) => e.why.creditDeferredBecause)).toEqual(['missing budget in writing (R-32)', 'missing target date in writing (R-32)']);
  });

  it('R-29 runs on the policy clock: slaClock business makes the recap due 48 bh after the end', () => {
    const s = withQbr({ policy: withPolicy({ calendar: { ...defaultPolicy.calendar, slaClock: 'business' } }) });
    const st = act(s, held('mtg-qbr-06'), AT);
    // Tue 10:45 + 48 bh (6 business days of 8h) = Wed 06-17 10:45.
    expect(ctasOf(st)[0]).toMatchObject({ key: 'recap/qbr/2026-06', dueAt: '2026-06-17T10:45:00.000-05:00' });
  });

  it('§2.5: a held strategic meeting resets the consecutive-miss count', () => {
    const s = fresh();
    applyBooked(s, [QBR(), booked('qbr/2026-07', 'mtg-qbr-07', '2026-07-14T10:00:00.000-05:00')], LOCK);
    due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    expect(s.consecutiveMisses).toBe(1);
    act(s, held('mtg-qbr-07', { heldAt: '2026-07-14T10:00:00.000-05:00', endedAt: '2026-07-14T10:45:00.000-05:00' }), '2026-07-14T11:00:00.000-05:00');
    expect(s.consecutiveMisses).toBe(0);
  });

  it('a held tactical meeting is recorded (R-10) without recap, decision CTAs or a reset of the miss count', () => {
    const s = fresh();
    applyBooked(s, [QBR(), booked('chk', 'mtg-chk', '2026-06-11T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 })], LOCK);
    due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    const st = act(s, held('mtg-chk', { heldAt: '2026-06-11T10:00:00.000-05:00', endedAt: '2026-06-11T10:30:00.000-05:00' }), '2026-06-11T10:30:00.000-05:00');
    expect(eventsOf(st).map((e) => [e.type, e.ruleId])).toEqual([['meeting.held', 'R-10']]);
    expect(ctasOf(st)).toEqual([]);
    expect(updatesOf(st)[0]!.changes).toEqual({ state: 'held', heldAt: '2026-06-11T10:00:00.000-05:00', decisionCount: 0, sponsorPresent: true });
    expect(s.consecutiveMisses).toBe(1);
  });

  it('a held meeting closes an open, unattached prep CTA', () => {
    const s = withQbr();
    due(s, 'prepOpen|qbr/2026-06', '2026-05-26T09:00:00.000-05:00');
    expect(resolvedOf(act(s, held('mtg-qbr-06'), AT))).toEqual([{ kind: 'ctaResolved', key: 'prep/qbr/2026-06', note: 'meeting held' }]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('missed cadence (§2.5, R-33..R-35, R-17, R-21)', () => {
  const REBOOK_START = '2026-06-16T10:00:00.000-05:00';
  const REBOOK = () => booked('qbr/2026-06/rebook', 'mtg-rebook', REBOOK_START, { kind: 'rebook', replaces: 'qbr/2026-06', bookedAt: '2026-06-09T12:45:00.000-05:00' });
  const RESET_KEY = 'engagementDrop:misses:qbr/2026-06/rebook';

  /** QBR missed (grace) and its R-33 rebook applied. */
  function afterFirstMiss(extra: BookedMeeting[] = []): CadenceState {
    const s = fresh();
    applyBooked(s, [QBR(), ...extra], LOCK);
    due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    applyBooked(s, [REBOOK()], '2026-06-09T12:45:00.000-05:00');
    return s;
  }

  it('1st consecutive miss (not marked held in the grace) → missed, and an R-33 rebook request that replaces the meeting', () => {
    const s = withQbr();
    const st = due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    expect(mtg(s, 'qbr/2026-06').status).toBe('missed');
    expect(s.consecutiveMisses).toBe(1);
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { state: 'missed' } }]);
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'meeting.missed', ruleId: '§2.5', data: { meetingId: 'mtg-qbr-06', reason: 'notMarkedHeld', consecutiveMisses: 1 } })]);
    expect(ctasOf(st)).toEqual([]);
    expect(norm(st.book)).toEqual([{
      key: 'qbr/2026-06/rebook', kind: 'rebook', template: 'QBR', strategic: true, mode: 'live', agenda: ['snapshot', 'roadmap'], raci: B_RACI, ruleId: 'R-33',
      why: { missedMeetingId: 'mtg-qbr-06', consecutiveMisses: 1 }, startsAt: QBR_START, endsAt: QBR_END, placement: 'rebook',
      missed: { startsAt: QBR_START, endsAt: QBR_END, missedAt: '2026-06-09T12:45:00.000-05:00', consecutiveMisses: 1 }, replaces: 'qbr/2026-06',
    }]);
  });

  it('R-33: the booked rebook supersedes the missed meeting and gets a refreshed prep pack (T-5 bd = Tue 06-09 17:00, on time)', () => {
    const s = withQbr();
    due(s, 'grace|qbr/2026-06', '2026-06-09T12:45:00.000-05:00');
    const st = applyBooked(s, [REBOOK()], '2026-06-09T12:45:00.000-05:00');
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { supersededBy: 'mtg-rebook' } }]);
    expect(mtg(s, 'qbr/2026-06').supersededBy).toBe('mtg-rebook');
    expect(norm(mtg(s, 'qbr/2026-06/rebook').prep)).toEqual({ openAt: '2026-06-09T12:45:00.000-05:00', dueAt: '2026-06-09T17:00:00.000-05:00', late: false, ctaOpened: false, judged: false });
    expect(norm(mtg(s, 'qbr/2026-06/rebook').preRead!.dueAt)).toBe('2026-06-12T17:00:00.000-05:00');
    s.bookedThrough = '2027-12'; // keep the horizon roll out of the way
    expect(nd(s)).toEqual({ key: 'prepOpen|qbr/2026-06/rebook', at: '2026-06-09T12:45:00.000-05:00' });
  });

  it('2nd consecutive miss (R-34) → re-engage CTA (CSM, missedAt + 72h), At Risk Strategic/Medium with it as first action, and an R-17 reset session ≤7 d instead of a rebook', () => {
    const s = afterFirstMiss();
    due(s, 'prepOpen|qbr/2026-06/rebook', '2026-06-09T12:45:00.000-05:00');
    const NOSHOW = '2026-06-16T10:20:00.000-05:00';
    const st = act(s, { type: 'meetingNoShow', meetingId: 'mtg-rebook' }, NOSHOW);
    expect(s.consecutiveMisses).toBe(2);
    expect(mtg(s, 'qbr/2026-06/rebook').status).toBe('missed');
    expect(resolvedOf(st)).toEqual([{ kind: 'ctaResolved', key: 'prep/qbr/2026-06/rebook', note: 'meeting missed' }]);
    expect(eventsOf(st, 'meeting.missed')[0]!.data).toEqual({ meetingId: 'mtg-rebook', reason: 'noShow', consecutiveMisses: 2 });
    const [reengage] = ctasOf(st);
    expect(reengage).toMatchObject({ kind: 'cta', key: 'reengage/qbr/2026-06/rebook', ctaKind: 'reengage-stakeholders', ruleId: 'R-34', ownerRole: 'CSM', dueAt: '2026-06-19T10:20:00.000-05:00' });
    const [risk] = eventsOf(st, 'risk.opened');
    expect(risk).toMatchObject({
      ruleId: 'R-34',
      data: { riskId: 'c-1/strategic/qbr/2026-06/rebook', bucket: 'Strategic', severity: 'Medium', trigger: '2 consecutive missed strategic meetings' },
      why: { firstActionCta: 'reengage/qbr/2026-06/rebook' },
    });
    // R-17 engagement drop fired; no strategic meeting in [now, 06-23] → its own 30-min Reset Session from 2 business days on.
    expect(norm(trig(s, RESET_KEY))).toMatchObject({ type: 'engagementDrop', ruleId: 'R-17', state: 'fired', targetDate: '2026-06-23', fireAt: NOSHOW });
    expect(st.book).toHaveLength(1);
    expect(st.book.some((b) => b.placement === 'rebook')).toBe(false);
    expect(norm(st.book[0])).toMatchObject({
      key: `trigger/${RESET_KEY}`, kind: 'reset', template: 'Reset Session', strategic: true, ruleId: 'R-17',
      startsAt: '2026-06-18T10:00:00.000-05:00', endsAt: '2026-06-18T10:30:00.000-05:00', placement: 'forward', latest: '2026-06-24T00:00:00.000-05:00',
      trigger: RESET_KEY, replaces: 'qbr/2026-06/rebook', fallbackAfter: NOSHOW,
    });

    // Booked: the reset supersedes the missed rebook; R-34: the Re-engage CTA is the one CTA, the reset opens none.
    const BOOKED_AT = '2026-06-16T10:21:00.000-05:00';
    const bst = applyBooked(s, [booked(`trigger/${RESET_KEY}`, 'mtg-reset', '2026-06-17T10:00:00.000-05:00', {
      kind: 'reset', template: 'Reset Session', minutes: 30, agenda: [], trigger: RESET_KEY, replaces: 'qbr/2026-06/rebook', bookedAt: BOOKED_AT,
    })], BOOKED_AT);
    expect(eventsOf(bst, 'trigger.fired')).toEqual([expect.objectContaining({
      ruleId: 'R-17', data: { trigger: 'engagementDrop', anchor: 'misses:qbr/2026-06/rebook', targetDate: '2026-06-23', merged: false, meetingId: 'mtg-reset' },
    })]);
    expect(ctasOf(bst)).toEqual([]);
    expect(eventsOf(bst, 'trigger.fired')[0]!.why).toMatchObject({ cta: 'reengage/qbr/2026-06/rebook', oneCta: 'R-34' });
    expect(updatesOf(bst)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-rebook', changes: { supersededBy: 'mtg-reset' } }]);
    expect(trig(s, RESET_KEY).meetingKey).toBe(`trigger/${RESET_KEY}`);
  });

  it('R-34 + R-21: a strategic meeting inside [now, resetBy] takes the reset as an agenda block; nothing is booked', () => {
    const s = afterFirstMiss([booked('ap/2026/M1', 'mtg-m1', '2026-06-22T10:00:00.000-05:00', { kind: 'annualPlanning', template: 'M1' })]);
    const st = act(s, { type: 'meetingNoShow', meetingId: 'mtg-rebook' }, '2026-06-16T10:20:00.000-05:00');
    expect(st.book).toEqual([]);
    expect(eventsOf(st, 'trigger.fired')).toEqual([expect.objectContaining({
      ruleId: 'R-17', data: { trigger: 'engagementDrop', anchor: 'misses:qbr/2026-06/rebook', targetDate: '2026-06-23', merged: true, meetingId: 'mtg-m1' },
    })]);
    expect(eventsOf(st, 'trigger.fired')[0]!.why).toMatchObject({ mergeRule: 'R-21', into: 'M1' });
    expect(ctasOf(st).map((c) => [c.key, c.ownerRole, c.title, c.dueAt])).toEqual([
      ['reengage/qbr/2026-06/rebook', 'CSM', 'Re-engage stakeholders: two strategic meetings missed in a row', '2026-06-19T10:20:00.000-05:00'],
    ]);
    // the reset's agenda block and prep items join M1.
    expect(updatesOf(st).at(-1)).toEqual({ kind: 'meetingUpdate', meetingId: 'mtg-m1', changes: { data: {
      agendaBlocks: [RESET_KEY], agenda: [...mtg(s, 'ap/2026/M1').agenda], prepItems: ['2-line value recap', 'executive sponsor invited'],
    } } });
    expect(mtg(s, 'ap/2026/M1').agenda).toContain('reset');
    expect(mtg(s, 'ap/2026/M1').agendaBlocks).toEqual([RESET_KEY]);
    expect(trig(s, RESET_KEY).meetingKey).toBe('ap/2026/M1');
  });

  it('R-34 + R-21: a strategic meeting after resetBy (or a tactical one inside it) does not take the reset', () => {
    const s = afterFirstMiss([
      booked('ap/2026/M1', 'mtg-m1', '2026-06-24T10:00:00.000-05:00', { kind: 'annualPlanning', template: 'M1' }),
      booked('chk', 'mtg-chk', '2026-06-18T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 }),
    ]);
    const st = act(s, { type: 'meetingNoShow', meetingId: 'mtg-rebook' }, '2026-06-16T10:20:00.000-05:00');
    expect(st.book.map((b) => b.key)).toEqual([`trigger/${RESET_KEY}`]);
  });

  it('3rd consecutive miss (R-35) → cadence-review CTA for the CS Lead due at the next first-Tuesday review, auto-rebook suspended; a 4th miss rebooks nothing', () => {
    const s = afterFirstMiss([booked('qbr/2026-07', 'mtg-qbr-07', '2026-07-14T10:00:00.000-05:00')]);
    act(s, { type: 'meetingNoShow', meetingId: 'mtg-rebook' }, '2026-06-16T10:20:00.000-05:00');
    applyBooked(s, [booked(`trigger/${RESET_KEY}`, 'mtg-reset', '2026-06-17T10:00:00.000-05:00', {
      kind: 'reset', template: 'Reset Session', minutes: 30, agenda: [], trigger: RESET_KEY, replaces: 'qbr/2026-06/rebook', bookedAt: '2026-06-16T10:21:00.000-05:00',
    })], '2026-06-16T10:21:00.000-05:00');
    // The reset session (strategic) is not marked held within 2h of its end (10:30 + 2h).
    expect(norm(mtg(s, `trigger/${RESET_KEY}`).graceEndsAt)).toBe('2026-06-17T12:30:00.000-05:00');
    const third = due(s, `grace|trigger/${RESET_KEY}`, '2026-06-17T12:30:00.000-05:00');
    expect(s.consecutiveMisses).toBe(3);
    expect(s.autoRebookSuspended).toBe(true);
    expect(third.book).toEqual([]);
    expect(ctasOf(third)).toEqual([expect.objectContaining({
      key: 'cadence-review', ctaKind: 'cadence-review', ruleId: 'R-35', ownerRole: 'CS Lead', dueAt: '2026-07-07T09:00:00.000-05:00',
    })]);
    expect(eventsOf(third, 'risk.opened')).toEqual([]);

    const fourth = act(s, { type: 'meetingNoShow', meetingId: 'mtg-qbr-07' }, '2026-07-14T10:15:00.000-05:00');
    expect(s.consecutiveMisses).toBe(4);
    expect(fourth.book).toEqual([]);
    expect(ctasOf(fourth)).toEqual([]);
    expect(eventsOf(fourth, 'process.fact_recorded')).toEqual([expect.objectContaining({ ruleId: 'R-35', data: { fact: 'noAutoRebook', details: { meetingId: 'mtg-qbr-07', consecutiveMisses: 4 } } })]);

    // The review is recorded: counter and suspension clear, the review CTA closes.
    const rev = act(s, { type: 'cadenceReviewed', outcome: 'downgrade', note: 'move to semi-annual' }, '2026-07-15T09:00:00.000-05:00');
    expect(resolvedOf(rev)).toEqual([{ kind: 'ctaResolved', key: 'cadence-review', note: 'review recorded: downgrade' }]);
    expect([s.consecutiveMisses, s.autoRebookSuspended]).toEqual([0, false]);
  });

  it('a held strategic meeting in between resets the count: miss, held rebook, miss → a plain R-33 rebook again', () => {
    const s = afterFirstMiss([booked('qbr/2026-07', 'mtg-qbr-07', '2026-07-14T10:00:00.000-05:00')]);
    act(s, held('mtg-rebook', { heldAt: REBOOK_START, endedAt: '2026-06-16T10:45:00.000-05:00' }), '2026-06-16T11:00:00.000-05:00');
    expect(s.consecutiveMisses).toBe(0);
    const st = act(s, { type: 'meetingNoShow', meetingId: 'mtg-qbr-07' }, '2026-07-14T10:15:00.000-05:00');
    expect(s.consecutiveMisses).toBe(1);
    expect(st.book.map((b) => [b.key, b.placement, b.ruleId])).toEqual([['qbr/2026-07/rebook', 'rebook', 'R-33']]);
    expect(eventsOf(st, 'risk.opened')).toEqual([]);
  });

  it('a missed tactical meeting is recorded but does not count towards consecutive strategic misses', () => {
    const s = fresh();
    applyBooked(s, [booked('chk', 'mtg-chk', '2026-06-11T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 })], LOCK);
    const st = act(s, { type: 'meetingNoShow', meetingId: 'mtg-chk' }, '2026-06-11T10:10:00.000-05:00');
    expect(s.consecutiveMisses).toBe(0);
    expect(st.book).toEqual([]);
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'meeting.missed', ruleId: '§2.5', data: { meetingId: 'mtg-chk', reason: 'noShow' } })]);
  });

  it('§2.5: a cancellation ≥24h ahead is not a miss: cancelled, prep CTA closed, and a rebook CTA for the Cadence Owner (7 d)', () => {
    const s = withQbr();
    due(s, 'prepOpen|qbr/2026-06', '2026-05-26T09:00:00.000-05:00');
    const AT = '2026-06-08T10:00:00.000-05:00';
    const st = act(s, { type: 'meetingCancelled', meetingId: 'mtg-qbr-06', noticeAt: AT, reason: 'CFO travelling' }, AT);
    expect(mtg(s, 'qbr/2026-06').status).toBe('cancelled');
    expect(s.consecutiveMisses).toBe(0);
    expect(st.book).toEqual([]);
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { state: 'cancelled' } }]);
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'meeting.cancelled', ruleId: '§2.5', data: { meetingId: 'mtg-qbr-06', reason: 'cancelled 24h ahead, at least 24h (§2.5): CFO travelling' } })]);
    expect(resolvedOf(st)).toEqual([{ kind: 'ctaResolved', key: 'prep/qbr/2026-06', note: 'meeting cancelled' }]);
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'rebook-cancelled/qbr/2026-06', ctaKind: 'rebook', ruleId: 'R-10', ownerRole: 'CSM', dueAt: '2026-06-15T10:00:00.000-05:00' })]);
    // No cycle deadline of a cancelled meeting stays due.
    expect(nextDue(s)!.key).toBe('horizon');
    s.bookedThrough = '2027-12';
    expect(nextDue(s)!.key).toBe('horizon');
  });

  it('§2.5: a cancellation under 24h before start is a miss (late cancel) → R-33 rebook', () => {
    const s = withQbr();
    const AT = '2026-06-08T10:00:00.001-05:00';
    const st = act(s, { type: 'meetingCancelled', meetingId: 'mtg-qbr-06', noticeAt: AT }, AT);
    expect(mtg(s, 'qbr/2026-06').status).toBe('missed');
    expect(s.consecutiveMisses).toBe(1);
    expect(eventsOf(st, 'meeting.missed')[0]!.data).toEqual({ meetingId: 'mtg-qbr-06', reason: 'lateCancel', consecutiveMisses: 1 });
    expect(st.book.map((b) => [b.key, b.placement, b.replaces])).toEqual([['qbr/2026-06/rebook', 'rebook', 'qbr/2026-06']]);
  });

  it('§2.5: a reschedule agreed ≥24h ahead to ≤ +7 d moves the meeting (not a miss) and recomputes its deadlines', () => {
    const s = withQbr();
    const AT = '2026-05-20T12:00:00.000-05:00';
    const st = act(s, { type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt: AT, newStartsAt: '2026-06-12T10:00:00.000-05:00', newEndsAt: '2026-06-12T10:45:00.000-05:00' }, AT);
    const m = mtg(s, 'qbr/2026-06');
    expect([m.status, s.consecutiveMisses]).toEqual(['scheduled', 0]);
    expect(eventsOf(st).map((e) => e.type)).toEqual(['meeting.moved']);
    expect(eventsOf(st)[0]!.data).toEqual({ meetingId: 'mtg-qbr-06', fromStartsAt: QBR_START, startsAt: '2026-06-12T10:00:00.000-05:00', endsAt: '2026-06-12T10:45:00.000-05:00' });
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-06', changes: { state: 'scheduled', startsAt: '2026-06-12T10:00:00.000-05:00', endsAt: '2026-06-12T10:45:00.000-05:00' } }]);
    // Fri 06-12: T-5 bd = Fri 06-05 17:00 (CTA 5 bd earlier: Fri 05-29 09:00); −48h = Wed 06-10 10:00 (business hours); grace 12:45.
    expect(norm(m.prep)).toEqual({ openAt: '2026-05-29T09:00:00.000-05:00', dueAt: '2026-06-05T17:00:00.000-05:00', late: false, ctaOpened: false, judged: false });
    expect(norm(m.preRead)).toEqual({ dueAt: '2026-06-10T10:00:00.000-05:00', judged: false });
    expect(norm(m.graceEndsAt)).toBe('2026-06-12T12:45:00.000-05:00');
    expect(st.book).toEqual([]);
  });

  it('§2.5: a reschedule keeps work already done; a move inside T-5 bd makes the prep deadline late (previous business day 17:00)', () => {
    const s = withQbr();
    act(s, { type: 'prepPackAttached', meetingId: 'mtg-qbr-06' }, '2026-06-01T10:00:00.000-05:00');
    const AT = '2026-06-05T12:00:00.000-05:00';
    act(s, { type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt: AT, newStartsAt: '2026-06-11T14:00:00.000-05:00', newEndsAt: '2026-06-11T14:45:00.000-05:00' }, AT);
    const m = mtg(s, 'qbr/2026-06');
    expect(norm(m.prep)).toMatchObject({ dueAt: '2026-06-10T17:00:00.000-05:00', late: true, attachedAt: '2026-06-01T10:00:00.000-05:00', judged: true });
    expect(norm(m.preRead!.dueAt)).toBe('2026-06-09T14:00:00.000-05:00');
    expect(decide(s, { type: 'prepSignedOff', meetingId: 'mtg-qbr-06' }, AT)).toBeUndefined();
  });

  it('§2.5: a reschedule agreed under 24h ahead, or beyond +7 d, is a miss but the meeting still moves; no R-33 rebook', () => {
    const s = withQbr();
    const AT = '2026-06-08T12:00:00.000-05:00'; // 22h before start
    const st = act(s, { type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt: AT, newStartsAt: '2026-06-11T10:00:00.000-05:00', newEndsAt: '2026-06-11T10:45:00.000-05:00' }, AT);
    expect(s.consecutiveMisses).toBe(1);
    expect(eventsOf(st).map((e) => e.type)).toEqual(['meeting.missed', 'meeting.moved']);
    expect(eventsOf(st, 'meeting.missed')[0]!.data).toEqual({ meetingId: 'mtg-qbr-06', reason: 'lateReschedule', consecutiveMisses: 1 });
    expect(st.book).toEqual([]);
    const m = mtg(s, 'qbr/2026-06');
    expect([m.status, norm(m.startsAt)]).toEqual(['scheduled', '2026-06-11T10:00:00.000-05:00']);

    const t = withQbr();
    const AT2 = '2026-05-20T12:00:00.000-05:00';
    const st2 = act(t, { type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt: AT2, newStartsAt: '2026-06-17T10:00:00.000-05:00', newEndsAt: '2026-06-17T10:45:00.000-05:00' }, AT2);
    expect(eventsOf(st2, 'meeting.missed')[0]!.data).toMatchObject({ reason: 'lateReschedule', consecutiveMisses: 1 });
    expect(norm(mtg(t, 'qbr/2026-06').startsAt)).toBe('2026-06-17T10:00:00.000-05:00');
    expect(norm(mtg(t, 'qbr/2026-06').prep!.dueAt)).toBe('2026-06-10T17:00:00.000-05:00');
  });
});

// ---------------------------------------------------------------------------------------------

describe('date triggers (R-13, R-14, R-21, A-6, A-13)', () => {
  it('plans renewal − 90 d (ROLL) and FY-end − 30 d (ROLL), each firing at 09:00 10 bd before; only those inside the horizon', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    const st = planDateTriggers(s, LOCK);
    // Renewal Sat 11-28 − 90 d = Sun 08-30 → ROLL → Fri 08-28; 10 bd before = Fri 08-14.
    // FY 12-31 − 30 d = Tue 12-01; 10 bd before = Tue 11-17 (CST).
    expect(norm(s.triggers)).toEqual([
      { key: 'fiscalYearEnd:2026-12-31', type: 'fiscalYearEnd', anchor: '2026-12-31', ruleId: 'R-14', targetDate: '2026-12-01', fireAt: '2026-11-17T09:00:00.000-06:00', state: 'planned', evidence: 1 },
      { key: 'renewal:2026-11-28', type: 'renewal', anchor: '2026-11-28', ruleId: 'R-13', targetDate: '2026-08-28', fireAt: '2026-08-14T09:00:00.000-05:00', state: 'planned', evidence: 1 },
    ]);
    expect(eventsOf(st).map((e) => [e.type, e.ruleId, e.data])).toEqual([
      ['deadline.set', 'R-14', { deadline: 'trigger.fiscalYearEnd.fires', dueAt: '2026-11-17T09:00:00.000-06:00', clock: 'businessDays' }],
      ['deadline.set', 'R-13', { deadline: 'trigger.renewal.fires', dueAt: '2026-08-14T09:00:00.000-05:00', clock: 'businessDays' }],
    ]);
    expect(st.book).toEqual([]);
    // one trigger per (type, anchor): planning again adds nothing.
    expect(planDateTriggers(s, '2026-06-01T00:00:00.000-05:00')).toEqual({ effects: [], book: [] });
    expect(s.triggers).toHaveLength(2);
  });

  it('a renewal fires at its instant: no strategic meeting in [fire, target] → a Renewal Review booked on the target date, owned by the AM', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    applyBooked(s, [
      booked('qbr/2026-08', 'mtg-qbr-08', '2026-08-11T10:00:00.000-05:00'), // before the fire instant
      booked('qbr/2026-08b', 'mtg-qbr-08b', '2026-08-31T10:00:00.000-05:00'), // after the target date
      booked('chk', 'mtg-chk', '2026-08-20T10:00:00.000-05:00', { kind: 'tactical', template: 'Check-in', strategic: false, minutes: 30 }),
    ], LOCK);
    planDateTriggers(s, LOCK);
    const FIRE = '2026-08-14T09:00:00.000-05:00';
    const st = due(s, 'fire|renewal:2026-11-28', FIRE);
    expect(trig(s, 'renewal:2026-11-28').state).toBe('fired');
    expect(st.effects).toEqual([]);
    expect(norm(st.book)).toEqual([{
      key: 'trigger/renewal:2026-11-28', kind: 'trigger', template: 'Renewal Review', strategic: true, mode: 'live', agenda: ['renewal'],
      raci: { ...defaultPolicy.raci.B.strategic, accountable: 'AM' }, ruleId: 'R-13', why: { trigger: 'renewal', anchor: '2026-11-28', targetDate: '2026-08-28', prepItems: ['renewal terms and value recap'] },
      startsAt: '2026-08-28T10:00:00.000-05:00', endsAt: '2026-08-28T10:45:00.000-05:00', placement: 'forward', latest: '2026-08-29T00:00:00.000-05:00', trigger: 'renewal:2026-11-28',
    }]);
    const bst = applyBooked(s, [booked('trigger/renewal:2026-11-28', 'mtg-renewal', '2026-08-28T10:00:00.000-05:00', { kind: 'trigger', template: 'Renewal Review', agenda: [], trigger: 'renewal:2026-11-28', bookedAt: FIRE })], FIRE);
    expect(eventsOf(bst)).toEqual([expect.objectContaining({ type: 'trigger.fired', ruleId: 'R-13', data: { trigger: 'renewal', anchor: '2026-11-28', targetDate: '2026-08-28', merged: false, meetingId: 'mtg-renewal' } })]);
    expect(ctasOf(bst)).toEqual([expect.objectContaining({
      key: 'trigger/renewal:2026-11-28', ctaKind: 'trigger-renewal', title: 'Renewal Review: renewal on Sat 28 Nov', ruleId: 'R-13', ownerRole: 'AM', dueAt: '2026-08-17T09:00:00.000-05:00', data: { meetingId: 'mtg-renewal' },
    })]);
    // The Renewal Review is strategic: it runs the meeting cycle (T-5 bd = Fri 08-21 17:00).
    expect(norm(mtg(s, 'trigger/renewal:2026-11-28').prep!.dueAt)).toBe('2026-08-21T17:00:00.000-05:00');
  });

  it('R-21: a strategic meeting inside [fire, target] takes the renewal as an agenda block and a CTA; nothing is booked', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    applyBooked(s, [booked('qbr/2026-08', 'mtg-qbr-08', '2026-08-25T10:00:00.000-05:00')], LOCK);
    planDateTriggers(s, LOCK);
    const st = due(s, 'fire|renewal:2026-11-28', '2026-08-14T09:00:00.000-05:00');
    expect(st.book).toEqual([]);
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'trigger.fired', ruleId: 'R-13', data: { trigger: 'renewal', anchor: '2026-11-28', targetDate: '2026-08-28', merged: true, meetingId: 'mtg-qbr-08' } })]);
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'trigger/renewal:2026-11-28', title: 'Renewal Review: renewal on Sat 28 Nov (on the agenda of the QBR of Tue 25 Aug)', ownerRole: 'AM', dueAt: '2026-08-17T09:00:00.000-05:00', data: { meetingId: 'mtg-qbr-08' } })]);
    // its agenda block and prep items join the QBR.
    expect(updatesOf(st)).toEqual([{ kind: 'meetingUpdate', meetingId: 'mtg-qbr-08', changes: { data: {
      agendaBlocks: ['renewal:2026-11-28'], agenda: [...mtg(s, 'qbr/2026-08').agenda], prepItems: ['renewal terms and value recap'],
    } } }]);
    expect(mtg(s, 'qbr/2026-08').agenda.at(-1)).toBe('renewal');
    expect(trig(s, 'renewal:2026-11-28').meetingKey).toBe('qbr/2026-08');
  });

  it('A-6: the FY-end budget session merges into annual planning M2 on the target date (owner vCIO for B)', () => {
    const s = fresh();
    applyBooked(s, [booked('ap/2026/M2', 'mtg-m2', '2026-12-01T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'M2' })], LOCK);
    planDateTriggers(s, LOCK);
    s.bookedThrough = '2027-11';
    expect(nd(s)).toEqual({ key: 'fire|fiscalYearEnd:2026-12-31', at: '2026-11-17T09:00:00.000-06:00' });
    const st = due(s, 'fire|fiscalYearEnd:2026-12-31', '2026-11-17T09:00:00.000-06:00');
    expect(st.book).toEqual([]);
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'trigger/fiscalYearEnd:2026-12-31', ctaKind: 'trigger-fiscalYearEnd', ruleId: 'R-14', ownerRole: 'vCIO', title: 'Budget Session: fiscal year ends Thu 31 Dec (on the agenda of the M2 of Tue 1 Dec)', dueAt: '2026-11-20T09:00:00.000-06:00' })]);
    expect(mtg(s, 'ap/2026/M2').agendaBlocks).toEqual(['fiscalYearEnd:2026-12-31']);
  });

  it('R-14: the FY-end trigger owner follows the segment: CSM for C, TAM for D; R-13 renewal stays with the AM', () => {
    const c = fresh({ segment: 'C', renewalDate: '2026-11-28' });
    applyBooked(c, [
      booked('ap/2026', 'mtg-ap', '2026-12-01T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'Annual Planning', raci: { ...C_RACI } }),
      booked('rev/2026-08', 'mtg-rev', '2026-08-25T10:00:00.000-05:00', { template: 'Review', raci: { ...C_RACI } }),
    ], LOCK);
    planDateTriggers(c, LOCK);
    expect(ctasOf(due(c, 'fire|fiscalYearEnd:2026-12-31', '2026-11-17T09:00:00.000-06:00'))[0]).toMatchObject({ key: 'trigger/fiscalYearEnd:2026-12-31', ownerRole: 'CSM' });
    expect(ctasOf(due(c, 'fire|renewal:2026-11-28', '2026-08-14T09:00:00.000-05:00'))[0]).toMatchObject({ key: 'trigger/renewal:2026-11-28', ownerRole: 'AM' });
    const d = fresh({ segment: 'D', touchTier: 'Tech' });
    applyBooked(d, [booked('ap/2026', 'mtg-ap', '2026-11-24T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'Annual IT Strategy check-in', mode: 'async', raci: { accountable: 'TAM', presenter: null, recorder: null, backup: 'CSM' } })], LOCK);
    planDateTriggers(d, LOCK);
    expect(ctasOf(due(d, 'fire|fiscalYearEnd:2026-12-31', '2026-11-17T09:00:00.000-06:00'))[0]).toMatchObject({ key: 'trigger/fiscalYearEnd:2026-12-31', ownerRole: 'TAM', title: 'Budget Session: fiscal year ends Thu 31 Dec (on the agenda of the Annual IT Strategy check-in of Tue 24 Nov)' });
  });

  it('R-14: an FY-end learned after the fire instant but before the target fires now and books the Budget Session on the target', () => {
    const s = fresh({ fiscalYearEnd: '06-30' });
    const AT = '2026-05-20T12:00:00.000-05:00';
    // FY 06-30 − 30 d = Sun 05-31 → ROLL → Fri 05-29; its fire instant Fri 05-15 09:00 has passed.
    const st = planDateTriggers(s, AT);
    expect(norm(trig(s, 'fiscalYearEnd:2026-06-30'))).toMatchObject({ state: 'fired', targetDate: '2026-05-29', fireAt: AT });
    expect(eventsOf(st, 'trigger.replanned')).toEqual([expect.objectContaining({ ruleId: 'R-14', data: { trigger: 'fiscalYearEnd', before: null, after: { anchor: '2026-06-30', fireAt: AT } } })]);
    expect(eventsOf(st, 'trigger.replanned')[0]!.why).toMatchObject({ lateDiscovery: true, target: '2026-05-29' });
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/fiscalYearEnd:2026-06-30', kind: 'trigger', template: 'Budget Session', strategic: true, agenda: ['budget'], ruleId: 'R-14',
      startsAt: '2026-05-29T10:00:00.000-05:00', endsAt: '2026-05-29T10:45:00.000-05:00', placement: 'forward', latest: '2026-05-30T00:00:00.000-05:00', trigger: 'fiscalYearEnd:2026-06-30',
    })]);
    expect(st.book[0]!.raci).toMatchObject({ accountable: 'vCIO', recorder: 'CSM' });
    // Next year's FY-end (2027-06-30 − 30 d = Mon 2027-05-31, fires Mon 2027-05-17) is inside the horizon and simply planned.
    expect(norm(trig(s, 'fiscalYearEnd:2027-06-30'))).toMatchObject({ state: 'planned', targetDate: '2027-05-31', fireAt: '2027-05-17T09:00:00.000-05:00' });
  });

  it('R-14: learned after the target date → meet within 10 bd and ≥1 bd before FY-end; too close to FY-end → nothing', () => {
    const s = fresh({ fiscalYearEnd: '06-30' });
    const AT = '2026-06-10T12:00:00.000-05:00'; // Wed; 10 bd later = Wed 06-24 (before Mon 06-29 = FY − 1 bd)
    const st = planDateTriggers(s, AT);
    expect(norm(trig(s, 'fiscalYearEnd:2026-06-30'))).toMatchObject({ state: 'fired', targetDate: '2026-06-24', fireAt: AT });
    // a "within N days" meeting takes the first allowed slot from 2 bd after learning it (Fri 06-12), by the limit.
    expect(norm(st.book)).toEqual([expect.objectContaining({ key: 'trigger/fiscalYearEnd:2026-06-30', startsAt: '2026-06-12T10:00:00.000-05:00', latest: '2026-06-25T00:00:00.000-05:00', fallbackAfter: AT })]);

    // Learned on 06-24: 10 bd later is 07-09, past FY − 1 bd (Mon 06-29) → meet by 06-29.
    const t = fresh({ fiscalYearEnd: '06-30' });
    planDateTriggers(t, '2026-06-24T12:00:00.000-05:00');
    expect(trig(t, 'fiscalYearEnd:2026-06-30').targetDate).toBe('2026-06-29');

    // Learned on Mon 06-29: no business day left at least 1 bd before FY-end.
    const u = fresh({ fiscalYearEnd: '06-30' });
    const none = planDateTriggers(u, '2026-06-29T12:00:00.000-05:00');
    expect(u.triggers.some((x) => x.key === 'fiscalYearEnd:2026-06-30')).toBe(false);
    expect(none.book).toEqual([]);
  });

  it('clientDatesChanged re-plans: the old planned trigger is withdrawn (trigger.replanned before → after) and the new one planned', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    planDateTriggers(s, LOCK);
    const AT = '2026-06-01T10:00:00.000-05:00';
    const st = act(s, { type: 'clientDatesChanged', renewalDate: '2026-12-14', fiscalYearEnd: '12-31' }, AT);
    expect(trig(s, 'renewal:2026-11-28').state).toBe('withdrawn');
    // Mon 12-14 − 90 d = Tue 09-15; 10 bd before = Tue 09-01.
    expect(norm(trig(s, 'renewal:2026-12-14'))).toMatchObject({ state: 'planned', targetDate: '2026-09-15', fireAt: '2026-09-01T09:00:00.000-05:00' });
    expect(trig(s, 'fiscalYearEnd:2026-12-31').state).toBe('planned');
    expect(eventsOf(st, 'trigger.replanned')).toEqual([expect.objectContaining({
      ruleId: 'R-13', data: { trigger: 'renewal', before: { anchor: '2026-11-28', fireAt: '2026-08-14T09:00:00.000-05:00' }, after: { anchor: '2026-12-14', fireAt: '2026-09-01T09:00:00.000-05:00' } },
    })]);
    expect(eventsOf(st, 'deadline.set').map((e) => e.data)).toEqual([{ deadline: 'trigger.renewal.fires', dueAt: '2026-09-01T09:00:00.000-05:00', clock: 'businessDays' }]);
    expect(s.setup.renewalDate).toBe('2026-12-14');
  });

  it('clientDatesChanged across a year: the successor of renewal 2026-11-28 is renewal 2027-01-15 (Fri 2026-10-16 target, fires Fri 10-02)', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    planDateTriggers(s, LOCK);
    const st = act(s, { type: 'clientDatesChanged', renewalDate: '2027-01-15', fiscalYearEnd: '12-31' }, '2026-06-01T10:00:00.000-05:00');
    // 2027-01-15 − 90 d = Sat 2026-10-17 → ROLL → Fri 10-16; 10 bd before = Fri 10-02.
    expect(norm(trig(s, 'renewal:2027-01-15'))).toMatchObject({ state: 'planned', targetDate: '2026-10-16', fireAt: '2026-10-02T09:00:00.000-05:00' });
    expect(eventsOf(st, 'trigger.replanned')[0]!.data).toEqual({
      trigger: 'renewal', before: { anchor: '2026-11-28', fireAt: '2026-08-14T09:00:00.000-05:00' }, after: { anchor: '2027-01-15', fireAt: '2026-10-02T09:00:00.000-05:00' },
    });
  });

  it('clientDatesChanged cancels the unheld meeting a withdrawn trigger booked', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    planDateTriggers(s, LOCK);
    due(s, 'fire|renewal:2026-11-28', '2026-08-14T09:00:00.000-05:00');
    applyBooked(s, [booked('trigger/renewal:2026-11-28', 'mtg-renewal', '2026-08-28T10:00:00.000-05:00', { kind: 'trigger', template: 'Renewal Review', agenda: [], trigger: 'renewal:2026-11-28', bookedAt: '2026-08-14T09:00:00.000-05:00' })], '2026-08-14T09:00:00.000-05:00');
    const st = act(s, { type: 'clientDatesChanged', renewalDate: '2026-12-14', fiscalYearEnd: '12-31' }, '2026-08-17T10:00:00.000-05:00');
    expect(mtg(s, 'trigger/renewal:2026-11-28').status).toBe('cancelled');
    expect(updatesOf(st)).toContainEqual({ kind: 'meetingUpdate', meetingId: 'mtg-renewal', changes: { state: 'cancelled' } });
    expect(eventsOf(st, 'meeting.cancelled')).toEqual([expect.objectContaining({ ruleId: 'R-13', data: { meetingId: 'mtg-renewal', reason: 'its renewal date changed; re-planned' } })]);
    expect(resolvedOf(st)).toContainEqual({ kind: 'ctaResolved', key: 'trigger/renewal:2026-11-28', note: 'renewal date changed; trigger re-planned' });
    // The new renewal (target Tue 09-15, fire Tue 09-01) is still ahead: planned, not fired.
    expect(norm(trig(s, 'renewal:2026-12-14'))).toMatchObject({ state: 'planned', fireAt: '2026-09-01T09:00:00.000-05:00' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('event triggers: adoption (R-18), one active trigger per (type, anchor) (R-21, R-124)', () => {
  const AT = '2026-06-15T09:00:00.000-05:00'; // Mon
  const measure = (s: CadenceState, m: { mfaPct?: number; endpointPct?: number }, at = AT) => act(s, { type: 'adoptionMeasured', ...m, measuredAt: at }, at);

  it('MFA < 60 % fires: TAM Remediation Sync within 5 d (Sat → ROLL Fri 06-19), from 2 bd after the measure (A-30), fix due in 14 d; endpoint ≥ 80 % does nothing', () => {
    const s = fresh();
    const st = measure(s, { mfaPct: 55, endpointPct: 80 });
    expect(eventsOf(st, 'process.fact_recorded')).toEqual([expect.objectContaining({
      ruleId: 'R-18', data: { fact: 'adoptionMeasured', details: { mfaPct: 55, endpointPct: 80, measuredAt: AT, thresholds: { mfaMinPct: 60, endpointMinPct: 80 } } },
    })]);
    expect(norm(s.triggers)).toEqual([{
      key: 'adoptionBelowThreshold:mfa', type: 'adoptionBelowThreshold', anchor: 'mfa', ruleId: 'R-18', targetDate: '2026-06-19', fireAt: AT, state: 'fired',
      fixBy: '2026-06-29T09:00:00.000-05:00', evidence: 1,
    }]);
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/adoptionBelowThreshold:mfa', kind: 'trigger', template: 'Remediation Sync', strategic: false, ruleId: 'R-18',
      raci: { accountable: 'TAM', presenter: 'TAM', recorder: null, backup: 'AM' },
      startsAt: '2026-06-17T10:00:00.000-05:00', endsAt: '2026-06-17T10:30:00.000-05:00', placement: 'forward', latest: '2026-06-20T00:00:00.000-05:00', trigger: 'adoptionBelowThreshold:mfa',
      fallbackAfter: AT,
    })]);
    const bst = applyBooked(s, [booked('trigger/adoptionBelowThreshold:mfa', 'mtg-sync', '2026-06-19T10:00:00.000-05:00', {
      kind: 'trigger', template: 'Remediation Sync', strategic: false, minutes: 30, agenda: [], trigger: 'adoptionBelowThreshold:mfa', bookedAt: AT,
      raci: { accountable: 'TAM', presenter: 'TAM', recorder: null, backup: 'AM' },
    })], AT);
    expect(ctasOf(bst)).toEqual([expect.objectContaining({ key: 'trigger/adoptionBelowThreshold:mfa', ctaKind: 'trigger-adoptionBelowThreshold', ruleId: 'R-18', ownerRole: 'TAM', dueAt: '2026-06-18T09:00:00.000-05:00' })]);
  });

  it('endpoint < 80 % fires its own trigger; exactly 60 % MFA does not fire', () => {
    const s = fresh();
    const st = measure(s, { mfaPct: 60, endpointPct: 79 });
    expect(s.triggers.map((t) => t.key)).toEqual(['adoptionBelowThreshold:endpoint']);
    expect(st.book.map((b) => b.key)).toEqual(['trigger/adoptionBelowThreshold:endpoint']);
  });

  it('R-21/R-124: a repeat below-threshold measurement appends evidence and books nothing', () => {
    const s = fresh();
    measure(s, { mfaPct: 55 });
    const st = measure(s, { mfaPct: 50 }, '2026-06-17T09:00:00.000-05:00');
    expect(st.book).toEqual([]);
    expect(ctasOf(st)).toEqual([]);
    expect(eventsOf(st, 'process.fact_recorded').map((e) => [e.ruleId, e.data])).toEqual([
      ['R-18', { fact: 'adoptionMeasured', details: { mfaPct: 50, endpointPct: null, measuredAt: '2026-06-17T09:00:00.000-05:00', thresholds: { mfaMinPct: 60, endpointMinPct: 80 } } }],
      ['R-124', { fact: 'triggerEvidence', details: { trigger: 'adoptionBelowThreshold', anchor: 'mfa', evidence: 2, value: 50, min: 60 } }],
    ]);
    expect(s.triggers).toHaveLength(1);
    expect(trig(s, 'adoptionBelowThreshold:mfa').evidence).toBe(2);
    // The fix deadline stays the first one's (R-124: evidence only).
    expect(norm(trig(s, 'adoptionBelowThreshold:mfa').fixBy)).toBe('2026-06-29T09:00:00.000-05:00');
  });

  it('back at or above the line clears the trigger (trigger.cleared + CTA resolved) and its fix deadline; a new drop fires again', () => {
    const s = fresh();
    measure(s, { mfaPct: 55 });
    const st = measure(s, { mfaPct: 65 }, '2026-06-22T09:00:00.000-05:00');
    expect(trig(s, 'adoptionBelowThreshold:mfa').state).toBe('cleared');
    expect(eventsOf(st, 'trigger.cleared')).toEqual([expect.objectContaining({ ruleId: 'R-18', data: { trigger: 'adoptionBelowThreshold', anchor: 'mfa' } })]);
    expect(resolvedOf(st)).toEqual([{ kind: 'ctaResolved', key: 'trigger/adoptionBelowThreshold:mfa', note: 'mfa back at 65 % (≥ 60 %)' }]);
    s.bookedThrough = '2027-12';
    expect(nextDue(s)!.key).toBe('horizon');
    const again = measure(s, { mfaPct: 40 }, '2026-07-06T09:00:00.000-05:00');
    expect(again.book.map((b) => b.key)).toEqual(['trigger/adoptionBelowThreshold:mfa']);
    expect(norm(trig(s, 'adoptionBelowThreshold:mfa'))).toMatchObject({ state: 'fired', evidence: 1, fixBy: '2026-07-20T09:00:00.000-05:00' });
  });

  it('R-18: the 14-day fix deadline is judged once: deadline.missed, the fix-first gate stays shut', () => {
    const s = fresh();
    measure(s, { mfaPct: 55 });
    s.bookedThrough = '2027-12';
    expect(nd(s)).toEqual({ key: 'fix|adoptionBelowThreshold:mfa', at: '2026-06-29T09:00:00.000-05:00' });
    const st = due(s, 'fix|adoptionBelowThreshold:mfa', '2026-06-29T09:00:00.000-05:00');
    expect(eventsOf(st)).toEqual([expect.objectContaining({ type: 'deadline.missed', ruleId: 'R-18', data: { deadline: 'adoptionFix|mfa', dueAt: '2026-06-29T09:00:00.000-05:00' } })]);
    expect(eventsOf(st)[0]!.why).toMatchObject({ fixDays: 14 });
    expect(nextDue(s)!.key).toBe('horizon');
  });

  it('R-18 + R-21: a strategic meeting before the sync target takes the remediation block', () => {
    const s = fresh();
    applyBooked(s, [booked('qbr/2026-06b', 'mtg-qbr', '2026-06-16T10:00:00.000-05:00')], LOCK);
    const st = measure(s, { endpointPct: 70 });
    expect(st.book).toEqual([]);
    expect(mtg(s, 'qbr/2026-06b').agendaBlocks).toEqual(['adoptionBelowThreshold:endpoint']);
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'trigger/adoptionBelowThreshold:endpoint', ownerRole: 'TAM', dueAt: '2026-06-18T09:00:00.000-05:00' })]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('event triggers R-15, R-16, R-19', () => {
  it('R-15: assessment completed → Roadmap Review (vCIO for B, strategic: A-27) on completion + 10 d, ROLLed back off a weekend', () => {
    const s = fresh();
    const st = act(s, { type: 'assessmentCompleted', assessmentId: 'as-1', completedAt: '2026-06-10T15:00:00.000-05:00' }, '2026-06-10T15:00:00.000-05:00');
    // Wed 06-10 + 10 d = Sat 06-20 → ROLL → Fri 06-19.
    expect(norm(trig(s, 'assessmentCompleted:as-1'))).toMatchObject({ ruleId: 'R-15', state: 'fired', targetDate: '2026-06-19' });
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/assessmentCompleted:as-1', template: 'Roadmap Review', strategic: true, agenda: ['roadmap'], ruleId: 'R-15',
      raci: { ...defaultPolicy.raci.B.strategic }, startsAt: '2026-06-19T10:00:00.000-05:00', endsAt: '2026-06-19T10:45:00.000-05:00', latest: '2026-06-20T00:00:00.000-05:00',
    })]);
    // The same assessment reported again only adds evidence.
    const again = act(s, { type: 'assessmentCompleted', assessmentId: 'as-1', completedAt: '2026-06-10T15:00:00.000-05:00' }, '2026-06-11T09:00:00.000-05:00');
    expect(again.book).toEqual([]);
    expect(eventsOf(again)[0]).toMatchObject({ ruleId: 'R-124', data: { fact: 'triggerEvidence', details: { trigger: 'assessmentCompleted', anchor: 'as-1', evidence: 2 } } });
  });

  it('R-16: initiative approved → Delivery Kickoff owned by the PM, no later than 10 bd after approval', () => {
    const s = fresh();
    const st = act(s, { type: 'initiativeApproved', initiativeId: 'INI-7', title: 'Firewall refresh', approvedAt: '2026-06-15T12:00:00.000-05:00' }, '2026-06-15T12:00:00.000-05:00');
    // Mon 06-15 + 10 bd = Mon 06-29 at the latest; booked as early as possible, from 2 business days on.
    expect(norm(trig(s, 'initiativeApproved:INI-7'))).toMatchObject({ ruleId: 'R-16', state: 'fired', targetDate: '2026-06-29' });
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/initiativeApproved:INI-7', template: 'Delivery Kickoff', strategic: false, ruleId: 'R-16', raci: { accountable: 'PM', presenter: 'PM', recorder: null, backup: 'AM' },
      startsAt: '2026-06-17T10:00:00.000-05:00', latest: '2026-06-30T00:00:00.000-05:00', placement: 'forward', fallbackAfter: '2026-06-15T12:00:00.000-05:00',
    })]);
  });

  it('R-19: stakeholder change → New-Sponsor Intro within 10 d, from 2 bd on (A-30); its CTA (CSM) is the 24h handoff note', () => {
    const s = fresh();
    const st = act(s, { type: 'stakeholderChanged', name: 'Dana CFO', stakeholderRole: 'sponsor', changedAt: '2026-06-15T09:00:00.000-05:00' }, '2026-06-15T09:30:00.000-05:00');
    const key = 'stakeholderChange:Dana CFO@2026-06-15';
    expect(norm(st.book)).toEqual([expect.objectContaining({ key: `trigger/${key}`, template: 'New-Sponsor Intro', ruleId: 'R-19', startsAt: '2026-06-17T10:00:00.000-05:00', latest: '2026-06-26T00:00:00.000-05:00' })]);
    const bst = applyBooked(s, [booked(`trigger/${key}`, 'mtg-intro', '2026-06-25T10:00:00.000-05:00', { kind: 'trigger', template: 'New-Sponsor Intro', strategic: false, minutes: 30, agenda: [], trigger: key, bookedAt: '2026-06-15T09:31:00.000-05:00' })], '2026-06-15T09:31:00.000-05:00');
    expect(ctasOf(bst)).toEqual([expect.objectContaining({ key: `trigger/${key}`, ruleId: 'R-19', ownerRole: 'CSM', dueAt: '2026-06-16T09:31:00.000-05:00' })]);
  });
});

describe('engagement drop by time (R-17, A-7)', () => {
  it('A segment: no strategic decision for 30 d after lock fires once per anchor → Reset Session from 2 business days on (A-30), ≤7 d', () => {
    const s = fresh({ segment: 'A' });
    // 2026-05-11 09:00 + 30 × 24h = Wed 06-10 09:00.
    expect(nd(s)).toEqual({ key: 'horizon', at: '2026-06-01T00:00:00.000-05:00' });
    s.bookedThrough = '2027-06';
    expect(nd(s)).toEqual({ key: 'drought', at: '2026-06-10T09:00:00.000-05:00' });
    const st = due(s, 'drought', '2026-06-10T09:00:00.000-05:00');
    expect(norm(trig(s, 'engagementDrop:drought:2026-05-11'))).toMatchObject({ ruleId: 'R-17', state: 'fired', targetDate: '2026-06-17' });
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/engagementDrop:drought:2026-05-11', kind: 'reset', template: 'Reset Session', strategic: true, ruleId: 'R-17',
      startsAt: '2026-06-12T10:00:00.000-05:00', endsAt: '2026-06-12T10:30:00.000-05:00', latest: '2026-06-18T00:00:00.000-05:00', trigger: 'engagementDrop:drought:2026-05-11',
    })]);
    expect(st.book[0]!.replaces).toBeUndefined();
    // Once per anchor: no drought due any more until a new strategic decision.
    expect(nextDue(s)!.key).toBe('horizon');
    const again = due(s, 'drought', '2026-06-11T09:00:00.000-05:00');
    expect(again.book).toEqual([]);
    expect(eventsOf(again).map((e) => [e.type, e.ruleId])).toEqual([['process.fact_recorded', 'R-124']]);
  });

  it('A segment: a strategic decision moves the drought anchor to that meeting’s end', () => {
    const s = fresh({ segment: 'A' });
    applyBooked(s, [QBR_with({ template: 'Monthly Strategic' })], LOCK);
    act(s, held('mtg-qbr-06', { decisions: [{ title: 'Firewall', ownerRole: 'vCIO' }] }), '2026-06-09T11:00:00.000-05:00');
    act(s, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: '2026-06-09T15:00:00.000-05:00' }, '2026-06-09T15:00:00.000-05:00');
    s.bookedThrough = '2027-12';
    expect(nd(s)).toEqual({ key: 'drought', at: '2026-07-09T10:45:00.000-05:00' });
    // A held meeting without decisions does not move it.
    const t = fresh({ segment: 'A' });
    applyBooked(t, [QBR_with({ template: 'Monthly Strategic' })], LOCK);
    act(t, held('mtg-qbr-06'), '2026-06-09T11:00:00.000-05:00');
    expect(norm(t.lastStrategicDecisionAt)).toBe(LOCK);
  });

  it('A-7: B has no strategic-meeting drought', () => {
    const s = fresh();
    s.bookedThrough = '2030-01';
    // Nothing but the horizon roll (2029-02-01) is ever due: no drought 30 d after the lock.
    expect(nd(s)).toEqual({ key: 'horizon', at: '2029-02-01T00:00:00.000-06:00' });
  });

  it('R-17: a decision request pending 30 d fires (merged into a strategic meeting inside the 7-day window); decisionResolved removes it', () => {
    const s = fresh();
    applyBooked(s, [QBR(), booked('qbr/2026-07', 'mtg-qbr-07', '2026-07-14T10:00:00.000-05:00')], LOCK);
    act(s, held('mtg-qbr-06', { undecided: [{ title: 'Replace ERP', ownerRole: 'vCIO', checkpointDate: '2026-07-09' }] }), '2026-06-09T11:00:00.000-05:00');
    expect(norm(s.pendingDecisions)).toEqual([{ title: 'Replace ERP', ownerRole: 'vCIO', since: QBR_END, checkpointDate: '2026-07-09', meetingId: 'mtg-qbr-06', fired: false }]);
    act(s, { type: 'recapSent', meetingId: 'mtg-qbr-06', sentAt: '2026-06-10T09:00:00.000-05:00' }, '2026-06-10T09:00:00.000-05:00');
    s.bookedThrough = '2027-12';
    // The 07-14 QBR's own cycle runs first (prep CTA 06-30, prep due 07-07); then the pending request is due at 30 d.
    expect(drain(s, '2026-07-09T10:44:59.999-05:00').map((d) => d.key)).toEqual(['prepOpen|qbr/2026-07', 'prepDue|qbr/2026-07']);
    expect(nd(s)).toEqual({ key: 'pending|Replace ERP', at: '2026-07-09T10:45:00.000-05:00' });
    // resetBy = Thu 07-09 + 7 d = Thu 07-16: the QBR on Tue 07-14 takes it.
    const st = due(s, 'pending|Replace ERP', '2026-07-09T10:45:00.000-05:00');
    expect(st.book).toEqual([]);
    expect(eventsOf(st, 'trigger.fired')).toEqual([expect.objectContaining({ ruleId: 'R-17', data: { trigger: 'engagementDrop', anchor: 'pending:Replace ERP', targetDate: '2026-07-16', merged: true, meetingId: 'mtg-qbr-07' } })]);
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'trigger/engagementDrop:pending:Replace ERP', ownerRole: 'CSM', dueAt: '2026-07-12T10:45:00.000-05:00' })]);
    expect(s.pendingDecisions[0]!.fired).toBe(true);
    expect(nd(s)!.key).not.toBe('pending|Replace ERP');

    const r = act(s, { type: 'decisionResolved', title: 'Replace ERP' }, '2026-07-10T09:00:00.000-05:00');
    expect(s.pendingDecisions).toEqual([]);
    expect(eventsOf(r)[0]).toMatchObject({ ruleId: 'R-17', data: { fact: 'decisionResolved', details: { title: 'Replace ERP' } } });
  });

  it('R-17: a pending decision with no strategic meeting in the window books its own reset session', () => {
    const s = fresh();
    applyBooked(s, [QBR()], LOCK);
    act(s, held('mtg-qbr-06', { undecided: [{ title: 'Replace ERP', ownerRole: 'vCIO', checkpointDate: '2026-07-09' }] }), '2026-06-09T11:00:00.000-05:00');
    const st = due(s, 'pending|Replace ERP', '2026-07-09T10:45:00.000-05:00');
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'trigger/engagementDrop:pending:Replace ERP', kind: 'reset', startsAt: '2026-07-13T10:00:00.000-05:00', endsAt: '2026-07-13T10:30:00.000-05:00', latest: '2026-07-17T00:00:00.000-05:00',
    })]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('continue-as-new and status', () => {
  it('carryOver keeps scheduled/unbooked meetings, the last 120 days, and unsent recaps; drops older history', () => {
    const s = fresh();
    applyBooked(s, [
      booked('old-held', 'mtg-old-held', QBR_START),
      booked('old-unsent', 'mtg-old-unsent', '2026-06-10T10:00:00.000-05:00'),
      booked('old-missed', 'mtg-old-missed', '2026-07-14T10:00:00.000-05:00'),
      booked('recent', 'mtg-recent', '2026-08-11T10:00:00.000-05:00'),
      booked('next', 'mtg-next', '2026-12-08T10:00:00.000-06:00'),
      booked('unbooked', 'mtg-unbooked', '2027-01-12T10:00:00.000-06:00', { state: 'unbooked' }),
    ], LOCK);
    act(s, held('mtg-old-held'), '2026-06-09T11:00:00.000-05:00');
    act(s, { type: 'recapSent', meetingId: 'mtg-old-held', sentAt: '2026-06-10T09:00:00.000-05:00' }, '2026-06-10T09:00:00.000-05:00');
    act(s, held('mtg-old-unsent', { heldAt: '2026-06-10T10:00:00.000-05:00', endedAt: '2026-06-10T10:45:00.000-05:00' }), '2026-06-10T11:00:00.000-05:00');
    act(s, { type: 'meetingNoShow', meetingId: 'mtg-old-missed' }, '2026-07-14T10:15:00.000-05:00');
    act(s, held('mtg-recent', { heldAt: '2026-08-11T10:00:00.000-05:00', endedAt: '2026-08-11T10:45:00.000-05:00' }), '2026-08-11T11:00:00.000-05:00');
    s.bookedThrough = '2027-11';
    s.triggers.push(
      { key: 'renewal:2026-11-28', type: 'renewal', anchor: '2026-11-28', ruleId: 'R-13', targetDate: '2026-08-28', fireAt: '2026-08-14T09:00:00.000-05:00', state: 'fired', evidence: 1 },
      { key: 'fiscalYearEnd:2027-12-31', type: 'fiscalYearEnd', anchor: '2027-12-31', ruleId: 'R-14', targetDate: '2027-12-01', fireAt: '2027-11-17T09:00:00.000-06:00', state: 'planned', evidence: 1 },
      { key: 'adoptionBelowThreshold:mfa', type: 'adoptionBelowThreshold', anchor: 'mfa', ruleId: 'R-18', targetDate: '2026-06-19', fireAt: '2026-06-15T09:00:00.000-05:00', state: 'cleared', evidence: 1 },
      { key: 'adoptionBelowThreshold:endpoint', type: 'adoptionBelowThreshold', anchor: 'endpoint', ruleId: 'R-18', targetDate: '2026-09-18', fireAt: '2026-09-14T09:00:00.000-05:00', state: 'cleared', evidence: 1 },
    );
    const NOW = '2026-12-01T09:00:00.000-06:00'; // keeps from 2026-08-03 09:00 CST
    const c = carryOver(s, NOW);
    expect(c.meetings!.map((m) => m.key)).toEqual(['old-unsent', 'recent', 'next', 'unbooked']);
    // Open triggers (planned, fired) and those that fired in the last 120 days; the cleared MFA trigger of 06-15 is history.
    expect(c.triggers!.map((t) => t.key)).toEqual(['renewal:2026-11-28', 'fiscalYearEnd:2027-12-31', 'adoptionBelowThreshold:endpoint']);
    // old-missed (07-14) counted 1; the held 08-11 QBR reset it.
    expect(c).toMatchObject({ consecutiveMisses: 0, autoRebookSuspended: false, bookedThrough: '2027-11', actions: s.actions, ticks: s.ticks });
    expect(c).not.toHaveProperty('extensionsThisRun');
    const next = initialState(s.setup, c);
    expect([next.meetings.length, next.consecutiveMisses, next.extensionsThisRun, next.bookedThrough]).toEqual([4, 0, 0, '2027-11']);
  });

  it('statusView shows the next scheduled meeting, counters and triggers', () => {
    const s = fresh({ renewalDate: '2026-11-28' });
    applyBooked(s, [QBR(), booked('qbr/2026-09', 'mtg-qbr-09', '2026-09-08T10:00:00.000-05:00')], LOCK);
    planDateTriggers(s, LOCK);
    const v = statusView(s, '2026-06-10T09:00:00.000-05:00');
    expect(v).toMatchObject({ clientId: 'c-1', phase: 'running', segment: 'B', touchTier: 'High', bookedThrough: '2027-05', consecutiveMisses: 0, autoRebookSuspended: false });
    expect(v.next).toMatchObject({ key: 'qbr/2026-09', meetingId: 'mtg-qbr-09', status: 'scheduled' });
    expect(v.meetings.map((m) => m.key)).toEqual(['qbr/2026-06', 'qbr/2026-09']);
    expect(v.triggers.map((t) => [t.key, t.state, t.meetingKey])).toEqual([['fiscalYearEnd:2026-12-31', 'planned', null], ['renewal:2026-11-28', 'planned', null]]);
  });

  it('R-9: applySegmentChange restyles kept meetings, cancels dropped ones (closing their prep CTA) and takes new bookings', () => {
    const s = fresh();
    applyBooked(s, [QBR(), booked('qbr/2026-09', 'mtg-qbr-09', '2026-09-08T10:00:00.000-05:00')], LOCK);
    due(s, 'prepOpen|qbr/2026-06', '2026-05-26T09:00:00.000-05:00');
    const st = applySegmentChange(s, {
      segment: 'C', touchTier: 'Mid',
      restyled: [{ key: 'qbr/2026-09', template: 'Review', mode: 'hybrid', raci: { ...C_RACI }, agenda: ['snapshot'] }],
      cancelled: ['qbr/2026-06'],
      booked: [booked('rev/2026-10', 'mtg-rev-10', '2026-10-13T10:00:00.000-05:00', { template: 'Review', raci: { ...C_RACI }, bookedAt: '2026-05-28T09:00:00.000-05:00' })],
    }, '2026-05-28T09:00:00.000-05:00');
    expect([s.setup.segment, s.setup.touchTier]).toEqual(['C', 'Mid']);
    expect(mtg(s, 'qbr/2026-06').status).toBe('cancelled');
    expect(resolvedOf(st)).toEqual([{ kind: 'ctaResolved', key: 'prep/qbr/2026-06', note: 'cancelled by the segment change (R-9)' }]);
    expect(mtg(s, 'qbr/2026-09')).toMatchObject({ template: 'Review', mode: 'hybrid', raci: C_RACI, agenda: ['snapshot'] });
    expect(norm(mtg(s, 'rev/2026-10').prep!.dueAt)).toBe('2026-10-06T17:00:00.000-05:00');
  });
});

// ---------------------------------------------------------------------------------------------

describe('model v2 (issue 9: A-23, A-24, A-29, R-26, R-30, R-62, R-63)', () => {
  /** A cadence whose run started on model v2. */
  function fresh2(over: Partial<CadenceSetup> = {}): CadenceState {
    const s = initialState(setupOf(over), undefined, 2);
    s.bookedThrough = '2027-05';
    return s;
  }

  it('A-23: booked on the T-5 bd date (before 17:00) is short notice: the pack is due 17:00 the last business day before, its CTA opens at booking', () => {
    // QBR Tue 06-09; T-5 bd = Tue 06-02 17:00. Booked Tue 06-02 09:30.
    const BOOKED = '2026-06-02T09:30:00.000-05:00';
    const v1 = fresh();
    applyBooked(v1, [booked('qbr/2026-06', 'mtg-qbr-06', QBR_START, { bookedAt: BOOKED })], BOOKED);
    expect(norm(mtg(v1, 'qbr/2026-06').prep)).toMatchObject({ dueAt: '2026-06-02T17:00:00.000-05:00', late: false });
    const v2 = fresh2();
    applyBooked(v2, [booked('qbr/2026-06', 'mtg-qbr-06', QBR_START, { bookedAt: BOOKED })], BOOKED);
    expect(norm(mtg(v2, 'qbr/2026-06').prep)).toMatchObject({ dueAt: '2026-06-08T17:00:00.000-05:00', late: true, openAt: BOOKED, judged: false });
    // The CTA opens at once (prepOpen due at the booking) and the deadline is judged at its instant.
    v2.bookedThrough = '2027-12'; // keep the horizon roll out of the way
    expect(nd(v2)).toEqual({ key: 'prepOpen|qbr/2026-06', at: BOOKED });
    const open = due(v2, 'prepOpen|qbr/2026-06', BOOKED);
    expect(ctasOf(open)).toEqual([expect.objectContaining({ ctaKind: 'prep-pack', dueAt: '2026-06-08T17:00:00.000-05:00', clock: 'due' })]);
    expect(eventsOf(due(v2, 'prepDue|qbr/2026-06', '2026-06-08T17:00:00.000-05:00'), 'deadline.missed')).toHaveLength(1);
  });

  it('A-29: a reschedule agreed more than 7 d before the original start is a re-plan; inside 7 d the §2.5 test still applies', () => {
    const move = (agreedAt: string, newStartsAt: string): CadenceAction => ({ type: 'meetingRescheduled', meetingId: 'mtg-qbr-06', agreedAt, newStartsAt, newEndsAt: plusMinutes(newStartsAt, 45) });
    // Agreed 05-29 (11 d ahead) to 06-23 (+14 d).
    const far = move('2026-05-29T09:00:00.000-05:00', '2026-06-23T10:00:00.000-05:00');
    const v1 = fresh();
    applyBooked(v1, [QBR()], LOCK);
    expect(eventsOf(act(v1, far, '2026-05-29T09:00:00.000-05:00'), 'meeting.missed')).toHaveLength(1);
    const v2 = fresh2();
    applyBooked(v2, [QBR()], LOCK);
    const st = act(v2, far, '2026-05-29T09:00:00.000-05:00');
    expect(eventsOf(st, 'meeting.missed')).toEqual([]);
    expect(eventsOf(st, 'meeting.moved')[0]!.why).toMatchObject({ verdict: 're-planned 11 days ahead, more than 7 (A-29)' });
    expect(v2.consecutiveMisses).toBe(0);
    // Agreed 06-05 (4 d ahead) to 06-23: beyond original + 7 d → still a miss (§2.5).
    const near = fresh2();
    applyBooked(near, [QBR()], LOCK);
    expect(eventsOf(act(near, move('2026-06-05T09:00:00.000-05:00', '2026-06-23T10:00:00.000-05:00'), '2026-06-05T09:00:00.000-05:00'), 'meeting.missed')).toHaveLength(1);
  });

  it('R-26: no pre-read → the meeting becomes a 30-min short update and a decision call takes its asks, booked within 5 bd after it', () => {
    const s = fresh2();
    applyBooked(s, [QBR()], LOCK);
    const PRE_READ_DUE = '2026-06-05T10:00:00.000-05:00';
    const st = due(s, 'preRead|qbr/2026-06', PRE_READ_DUE);
    expect(norm(mtg(s, 'qbr/2026-06'))).toMatchObject({ endsAt: '2026-06-09T10:30:00.000-05:00', graceEndsAt: '2026-06-09T12:30:00.000-05:00', rescoped: { shortUpdateMinutes: 30, decisionCall: 'decision-call/qbr/2026-06' } });
    expect(eventsOf(st, 'process.fact_recorded')[0]).toMatchObject({ ruleId: 'R-26', data: { fact: 'meetingRescoped', details: { meetingId: 'mtg-qbr-06', endsAt: '2026-06-09T10:30:00.000-05:00' } } });
    expect(updatesOf(st)[0]).toMatchObject({ meetingId: 'mtg-qbr-06', changes: { endsAt: '2026-06-09T10:30:00.000-05:00' } });
    // The call: from the business day after the meeting (Wed 06-10), by meeting + 5 bd (Tue 06-16), the presenter (vCIO) accountable.
    expect(norm(st.book)).toEqual([expect.objectContaining({
      key: 'decision-call/qbr/2026-06', kind: 'decisionCall', template: 'Decision Call', strategic: false, agenda: ['decisions'], ruleId: 'R-26',
      startsAt: '2026-06-10T10:00:00.000-05:00', endsAt: '2026-06-10T10:30:00.000-05:00', latest: '2026-06-17T00:00:00.000-05:00',
    })]);
    expect(st.book[0]!.raci.accountable).toBe('vCIO');
    expect(ctasOf(st)).toEqual([expect.objectContaining({ key: 'decision-call/qbr/2026-06', title: 'Confirm the decision call with the right executive: the QBR of Tue 9 Jun was rescoped to a short update' })]);
    applyBooked(s, [booked('decision-call/qbr/2026-06', 'mtg-call', '2026-06-10T10:00:00.000-05:00', { kind: 'decisionCall', template: 'Decision Call', strategic: false, minutes: 30, agenda: ['decisions'] })], PRE_READ_DUE);
    // The short update takes no decisions; the call does (R-27's two asks).
    const decisions = [{ title: 'Firewall refresh', ownerRole: 'vCIO' as const }];
    const onUpdate: CadenceAction = { type: 'meetingHeld', meetingId: 'mtg-qbr-06', heldAt: QBR_START, endedAt: '2026-06-09T10:30:00.000-05:00', attendees: [], sponsorPresent: false, decisions, undecided: [] };
    expect(decide(s, onUpdate, '2026-06-09T11:00:00.000-05:00')).toMatchObject({ status: 409, ruleId: 'R-26', details: { decisionCall: 'mtg-call' } });
    const onCall = act(s, { type: 'meetingHeld', meetingId: 'mtg-call', heldAt: '2026-06-10T10:00:00.000-05:00', endedAt: '2026-06-10T10:30:00.000-05:00', attendees: ['CEO'], sponsorPresent: true, decisions, undecided: [] }, '2026-06-10T11:00:00.000-05:00');
    expect(eventsOf(onCall, 'decision.logged')).toHaveLength(1);
    expect(ctasOf(onCall).map((c) => c.ctaKind)).toEqual(['decision']);
  });

  it('R-30: an approval still open on d7 after the meeting is chased, due d10; the chase opens only while the decision CTA is open', () => {
    const s = fresh2();
    applyBooked(s, [QBR()], LOCK);
    act(s, held('mtg-qbr-06', { decisions: [{ title: 'M365 E5 uplift', ownerRole: 'AM' }] }), '2026-06-09T11:00:00.000-05:00');
    expect(norm(s.chases)).toEqual([{
      key: 'chase/qbr/2026-06/1', decisionCta: 'decision/qbr/2026-06/1', title: 'M365 E5 uplift', ownerRole: 'AM', meetingId: 'mtg-qbr-06',
      at: '2026-06-16T10:45:00.000-05:00', dueAt: '2026-06-19T10:45:00.000-05:00', done: false,
    }]);
    s.bookedThrough = '2027-12'; // keep the horizon roll out of the way
    expect(nextDue(s)).toMatchObject({ key: 'recap|qbr/2026-06' });
    mtg(s, 'qbr/2026-06').recap!.sentAt = '2026-06-10T09:00:00.000-05:00';
    expect(nd(s)).toEqual({ key: 'chase|chase/qbr/2026-06/1', at: '2026-06-16T10:45:00.000-05:00' });
    const st = due(s, 'chase|chase/qbr/2026-06/1', '2026-06-16T10:45:00.000-05:00');
    expect(ctasOf(st)).toEqual([expect.objectContaining({
      key: 'chase/qbr/2026-06/1', ctaKind: 'chase-approval', title: 'Chase the approval: M365 E5 uplift', ruleId: 'R-30', ownerRole: 'AM', dueAt: '2026-06-19T10:45:00.000-05:00',
      onlyWhileOpen: 'decision/qbr/2026-06/1',
    })]);
    expect(s.chases[0]!.done).toBe(true);
    expect(carryOver(s, '2026-06-20T00:00:00.000-05:00').chases).toEqual([]);
  });

  it('A-24: a pending ask ages from the start of the meeting it was presented in; a second drop while the play is open appends evidence', () => {
    const s = fresh2({ segment: 'A' });
    applyBooked(s, [QBR()], LOCK);
    act(s, held('mtg-qbr-06', { undecided: [{ title: 'Replace ERP', ownerRole: 'vCIO', checkpointDate: '2026-07-09' }] }), '2026-06-09T11:00:00.000-05:00');
    expect(norm(s.pendingDecisions[0]!.since)).toBe(QBR_START);
    s.droughtFiredFor = s.lastStrategicDecisionAt; // the A-segment drought is judged separately below
    const first = due(s, 'pending|Replace ERP', '2026-07-09T10:00:00.000-05:00');
    expect(first.book).toHaveLength(1);
    // The drought fires while that play is open: evidence on it, no second reset.
    s.droughtFiredFor = undefined;
    const second = due(s, 'drought', '2026-07-10T09:00:00.000-05:00');
    expect(second.book).toEqual([]);
    expect(eventsOf(second)[0]).toMatchObject({ ruleId: 'R-124', data: { fact: 'triggerEvidence', details: { trigger: 'engagementDrop', anchor: 'pending:Replace ERP', evidence: 2 } } });
  });

  it('R-63: when a cycle\'s first meeting is held, every meeting of the next cycle is booked at once on its anchors', () => {
    const s = fresh2();
    applyBooked(s, [booked('ap/2026/M2', 'mtg-m1', '2026-11-03T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'M1' })], LOCK);
    const st = act(s, held('mtg-m1', { heldAt: '2026-11-03T10:00:00.000-06:00', endedAt: '2026-11-03T10:45:00.000-06:00' }), '2026-11-03T11:00:00.000-06:00');
    expect(norm(st.book.map((b) => [b.key, b.template, b.kind, b.startsAt]))).toEqual([
      ['ap/2027/M2', 'M1', 'annualPlanning', '2027-11-03T10:00:00.000-05:00'],
      ['ap/2027/M3', 'M2', 'annualPlanning', '2027-12-01T10:00:00.000-06:00'],
    ]);
    expect(st.book[0]!.why).toMatchObject({ bookedBecause: 'M1 of cycle 2026 held (R-63)' });
    // v1 runs book the next cycle month by month, as the horizon rolls.
    const v1 = fresh();
    applyBooked(v1, [booked('ap/2026/M2', 'mtg-m1', '2026-11-03T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'M1' })], LOCK);
    expect(act(v1, held('mtg-m1', { heldAt: '2026-11-03T10:00:00.000-06:00', endedAt: '2026-11-03T10:45:00.000-06:00' }), '2026-11-03T11:00:00.000-06:00').book).toEqual([]);
  });

  it('R-62: a new fiscal year-end moves the booked planning meetings onto the new anchors (Friday allowed, A-22), each with meeting.moved', () => {
    const s = fresh2();
    applyBooked(s, [
      booked('ap/2026/M2', 'mtg-m1', '2026-11-03T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'M1' }),
      booked('ap/2026/M3', 'mtg-m2', '2026-12-01T10:00:00.000-06:00', { kind: 'annualPlanning', template: 'M2' }),
    ], LOCK);
    planDateTriggers(s, LOCK);
    const st = act(s, { type: 'clientDatesChanged', renewalDate: null, fiscalYearEnd: '11-30' }, '2026-06-01T09:00:00.000-05:00');
    // FY 11-30 − 30 d = Sat 10-31 → ROLL Fri 10-30; M1 = 28 d before = Fri 10-02.
    expect(norm(eventsOf(st, 'meeting.moved').map((e) => [e.ruleId, e.data.meetingId, e.data.fromStartsAt, e.data.startsAt]))).toEqual([
      ['R-62', 'mtg-m1', '2026-11-03T10:00:00.000-06:00', '2026-10-02T10:00:00.000-05:00'],
      ['R-62', 'mtg-m2', '2026-12-01T10:00:00.000-06:00', '2026-10-30T10:00:00.000-05:00'],
    ]);
    expect(norm(mtg(s, 'ap/2026/M3').prep!.dueAt)).toBe('2026-10-23T17:00:00.000-05:00');
    // One change, one trigger.replanned per trigger.
    expect(eventsOf(st, 'trigger.replanned').map((e) => e.data.trigger)).toEqual(['fiscalYearEnd']);
  });
});
