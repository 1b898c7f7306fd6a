/**
 * Capacity load (DOMAIN.md §2.6) read from the meetings table: per person and per role,
 * for the next 30 and 90 days and per ISO week (`capacity.weekTimeZone`). Only meetings that take
 * someone's time count: states `scheduled` and `held`.
 *
 * Load = Σ (meeting length + prep hours) ÷ available hours, where available hours are the person's
 * `weeklyCapacityHours` per week (× days/7 for a 30/90-day span), and for a role the sum over the
 * active people holding it (a person holding two roles counts towards both).
 */
import { and, asc, eq, gt, gte, inArray, lt } from 'drizzle-orm';
import { loadHours, pct1, weekRange, type Booking } from '../domain/capacity.js';
import type { Policy } from '../domain/policy.js';
import { MSP_ROLES } from '../domain/roles.js';
import type { Db } from './client.js';
import { meetings, people } from './schema.js';

const DAY_MS = 86_400_000;
/** Meeting states that occupy the Accountable's time. */
export const LOAD_STATES = ['scheduled', 'held'] as const;
/** Horizons of the capacity report, in days from now. */
export const CAPACITY_HORIZONS = { near: 30, far: 90 } as const;

const iso = (t: Date | string) => (typeof t === 'string' ? new Date(t) : t).toISOString();
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A person's bookings (R-36, R-37 input to `slotProblems`/`pickSlot`): meetings in state scheduled
 * or held they are Accountable for, overlapping [fromIso, toIso).
 */
export async function personBookings(db: Pick<Db, 'select'>, personId: string, fromIso: string, toIso: string): Promise<Booking[]> {
  return db
    .select({ id: meetings.id, startsAt: meetings.startsAt, endsAt: meetings.endsAt, strategic: meetings.strategic, prepHours: meetings.prepHours })
    .from(meetings)
    .where(and(eq(meetings.accountablePersonId, personId), inArray(meetings.state, [...LOAD_STATES]), lt(meetings.startsAt, iso(toIso)), gt(meetings.endsAt, iso(fromIso))))
    .orderBy(asc(meetings.startsAt), asc(meetings.id));
}

export interface SpanLoad {
  meetings: number;
  strategic: number;
  /** Meeting + prep hours. */
  hours: number;
  availableHours: number;
  /** hours ÷ availableHours × 100, one decimal; null when nothing is available (nobody holds the role, or 0 h/week). */
  loadPct: number | null;
}

export interface WeekLoad {
  /** ISO week 'kkkk-Www' in capacity.weekTimeZone. */
  week: string;
  /** The week's Monday (local date in capacity.weekTimeZone). */
  startsOn: string;
  meetings: number;
  strategicMeetings: number;
  hours: number;
  availableHours: number;
  loadPct: number | null;
  /** loadPct > capacity.rebalanceAbovePct (R-37 rebalance alert). */
  overRebalance: boolean;
  /** loadPct > capacity.autoBookCapPct (R-37: auto-booking refuses further meetings). */
  overAutoBookCap: boolean;
}

export interface PersonLoad {
  personId: string;
  name: string;
  roles: string[];
  weeklyCapacityHours: number;
  next30: SpanLoad;
  next90: SpanLoad;
  weeks: WeekLoad[];
}

export interface RoleLoad {
  role: string;
  /** Active people holding the role. */
  people: number;
  /** Σ weeklyCapacityHours of those people. */
  weeklyCapacityHours: number;
  next30: SpanLoad;
  next90: SpanLoad;
  weeks: WeekLoad[];
}

export interface FlaggedWeek {
  personId: string | null;
  role: string | null;
  week: string;
  startsOn: string;
  loadPct: number;
  /** The week after the current one: the R-37 rebalance alert ("next week > 90 %"). */
  nextWeek: boolean;
}

export interface CapacityReport {
  asOf: string;
  policyVersion: number;
  weekTimeZone: string;
  thresholds: { autoBookCapPct: number; loadTargetPct: number; rebalanceAbovePct: number };
  /** Current ISO week (holding asOf) and the next one, in weekTimeZone. */
  currentWeek: string;
  nextWeek: string;
  people: PersonLoad[];
  roles: RoleLoad[];
  flaggedWeeks: FlaggedWeek[];
}

/** A meeting as the load counts it: its start (ms), its hours and the index of its week in the frame, computed once. */
interface LoadRow {
  t: number;
  hours: number;
  week: number;
  strategic: boolean;
}

interface Frame {
  now: number;
  policy: Policy;
  /** The ISO weeks shown, each with its first instant (ms) in weekTimeZone, in order. */
  weeks: { week: string; startsOn: string; fromMs: number }[];
}

/** The frame week holding `t` (the last week starting at or before it); rows are fetched inside the frame. */
function weekIndex(frame: Frame, t: number): number {
  let lo = 0;
  let hi = frame.weeks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frame.weeks[mid]!.fromMs <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function span(rows: LoadRow[], from: number, days: number, weeklyHours: number): SpanLoad {
  const inSpan = rows.filter((r) => r.t >= from && r.t < from + days * DAY_MS);
  const hours = inSpan.reduce((s, r) => s + r.hours, 0);
  const availableHours = round2((weeklyHours * days) / 7);
  return { meetings: inSpan.length, strategic: inSpan.filter((r) => r.strategic).length, hours: round2(hours), availableHours, loadPct: pct1(hours, (weeklyHours * days) / 7) };
}

function weekly(rows: LoadRow[], frame: Frame, weeklyHours: number): WeekLoad[] {
  const c = frame.policy.capacity;
  const byWeek: LoadRow[][] = frame.weeks.map(() => []);
  for (const r of rows) byWeek[r.week]!.push(r);
  return frame.weeks.map(({ week, startsOn }, i) => {
    const inWeek = byWeek[i]!;
    const hours = inWeek.reduce((s, r) => s + r.hours, 0);
    const exact = weeklyHours > 0 ? (hours / weeklyHours) * 100 : null;
    return {
      week, startsOn, meetings: inWeek.length, strategicMeetings: inWeek.filter((r) => r.strategic).length, hours: round2(hours), availableHours: weeklyHours,
      loadPct: pct1(hours, weeklyHours), overRebalance: exact !== null && exact > c.rebalanceAbovePct, overAutoBookCap: exact !== null && exact > c.autoBookCapPct,
    };
  });
}

function roleOrder(a: string, b: string): number {
  const ia = MSP_ROLES.indexOf(a as never);
  const ib = MSP_ROLES.indexOf(b as never);
  if (ia !== ib) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * GET /v1/capacity: per active person and per role (meetings.accountableRole), the load of the next
 * 30 and 90 days (meetings starting in [now, now + N d)) and of every ISO week overlapping the next
 * 90 days (each week counts all its meetings, including those earlier in the current week), plus
 * every person- or role-week over `capacity.rebalanceAbovePct`.
 */
export async function capacityReport(db: Pick<Db, 'select'>, now: Date | string, policy: { version: number; document: Policy }): Promise<CapacityReport> {
  const p = policy.document;
  const c = p.capacity;
  const asOf = iso(now);
  const nowMs = Date.parse(asOf);
  const end = new Date(nowMs + CAPACITY_HORIZONS.far * DAY_MS).toISOString();
  const first = weekRange(asOf, c.weekTimeZone);
  const last = weekRange(end, c.weekTimeZone);
  const weeks: Frame['weeks'] = [];
  for (let w = first; weeks.length < 60; w = weekRange(w.to, c.weekTimeZone)) {
    weeks.push({ week: w.week, startsOn: w.startsOn, fromMs: Date.parse(w.from) });
    if (w.week === last.week) break;
  }
  const frame: Frame = { now: nowMs, policy: p, weeks };
  // Everything starting in the weeks shown also covers [now, now + 90 d).
  const fromMs = Math.min(Date.parse(first.from), nowMs);
  const toMs = Math.max(Date.parse(last.to), Date.parse(end));

  const [staff, rows] = await Promise.all([
    db.select({ id: people.id, name: people.name, roles: people.roles, weeklyCapacityHours: people.weeklyCapacityHours })
      .from(people).where(eq(people.active, true)).orderBy(asc(people.name), asc(people.id)),
    db.select({
      id: meetings.id, startsAt: meetings.startsAt, endsAt: meetings.endsAt, strategic: meetings.strategic, prepHours: meetings.prepHours,
      accountablePersonId: meetings.accountablePersonId, accountableRole: meetings.accountableRole,
    })
      .from(meetings)
      .where(and(inArray(meetings.state, [...LOAD_STATES]), gte(meetings.startsAt, new Date(fromMs).toISOString()), lt(meetings.startsAt, new Date(toMs).toISOString())))
      .orderBy(asc(meetings.startsAt), asc(meetings.id)),
  ]);

  const personRows = new Map<string, LoadRow[]>();
  const roleRows = new Map<string, LoadRow[]>();
  const add = (m: Map<string, LoadRow[]>, key: string, r: LoadRow) => {
    const list = m.get(key);
    if (list) list.push(r);
    else m.set(key, [r]);
  };
  for (const r of rows) {
    const t = Date.parse(r.startsAt);
    const row: LoadRow = { t, hours: loadHours(r), week: weekIndex(frame, t), strategic: r.strategic };
    if (r.accountablePersonId) add(personRows, r.accountablePersonId, row);
    if (r.accountableRole) add(roleRows, r.accountableRole, row);
  }

  const peopleOut: PersonLoad[] = staff.map((s) => {
    const mine = personRows.get(s.id) ?? [];
    return {
      personId: s.id, name: s.name, roles: [...s.roles], weeklyCapacityHours: s.weeklyCapacityHours,
      next30: span(mine, nowMs, CAPACITY_HORIZONS.near, s.weeklyCapacityHours),
      next90: span(mine, nowMs, CAPACITY_HORIZONS.far, s.weeklyCapacityHours),
      weeks: weekly(mine, frame, s.weeklyCapacityHours),
    };
  });

  const roleNames = new Set<string>([...staff.flatMap((s) => s.roles), ...roleRows.keys()]);
  const rolesOut: RoleLoad[] = [...roleNames].sort(roleOrder).map((role) => {
    const holders = staff.filter((s) => s.roles.includes(role as never));
    const weeklyHours = round2(holders.reduce((sum, s) => sum + s.weeklyCapacityHours, 0));
    const mine = roleRows.get(role) ?? [];
    return {
      role, people: holders.length, weeklyCapacityHours: weeklyHours,
      next30: span(mine, nowMs, CAPACITY_HORIZONS.near, weeklyHours),
      next90: span(mine, nowMs, CAPACITY_HORIZONS.far, weeklyHours),
      weeks: weekly(mine, frame, weeklyHours),
    };
  });

  const nextWeek = weekRange(first.to, c.weekTimeZone).week;
  const flaggedWeeks: FlaggedWeek[] = [
    ...peopleOut.flatMap((pl) => pl.weeks.filter((w) => w.overRebalance).map((w) => ({ personId: pl.personId, role: null, week: w.week, startsOn: w.startsOn, loadPct: w.loadPct!, nextWeek: w.week === nextWeek }))),
    ...rolesOut.flatMap((rl) => rl.weeks.filter((w) => w.overRebalance).map((w) => ({ personId: null, role: rl.role, week: w.week, startsOn: w.startsOn, loadPct: w.loadPct!, nextWeek: w.week === nextWeek }))),
  ];

  return {
    asOf, policyVersion: policy.version, weekTimeZone: c.weekTimeZone,
    thresholds: { autoBookCapPct: c.autoBookCapPct, loadTargetPct: c.loadTargetPct, rebalanceAbovePct: c.rebalanceAbovePct },
    currentWeek: first.week, nextWeek, people: peopleOut, roles: rolesOut, flaggedWeeks,
  };
}
