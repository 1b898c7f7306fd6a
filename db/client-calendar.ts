import Holidays from 'date-holidays';
import type { BusinessCalendar } from '../domain/business-time.js';
import type { Policy } from '../domain/policy.js';
import type { ClientRow } from './clients.js';
import type { PlacementReviewPlan } from '../workflows/contracts.js';

/**
 * A client's business calendar as stored (C-1): the policy's hours and workdays, and as holidays
 * the policy's own dates, the public holidays of the client's region (country, optional state,
 * from the `date-holidays` data) minus the ones the client works anyway, plus the client's own
 * dates. Computed here, in activities and routes, never in workflow code: the holiday data is a
 * library that may change between releases, so a process gets its dates as an activity result,
 * recorded in its history.
 */

/** ISO 3166-1 country, optionally `-` and an ISO 3166-2 subdivision: `US`, `US-IL`, `DE-BY`. */
export const REGION_RE = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

type Region = { country: string; state?: string };

export function parseRegion(region: string): Region {
  const [country, state] = region.split('-') as [string, string | undefined];
  return state ? { country, state } : { country };
}

let catalogue: Holidays | undefined;
const lookup = () => (catalogue ??= new Holidays());

/** Why a region is not usable, naming what is known instead; undefined when it is. */
export function regionProblem(region: string): string | undefined {
  if (!REGION_RE.test(region)) return 'expected a country code, optionally with a state or province: US, US-IL, DE-BY';
  const { country, state } = parseRegion(region);
  const countries = lookup().getCountries('en');
  if (!(country in countries)) return `unknown country ${country} (the holiday data knows ISO 3166-1 codes such as US, GB, DE)`;
  if (!state) return undefined;
  const states = lookup().getStates(country, 'en') ?? {};
  if (!(state in states)) {
    const known = Object.keys(states);
    return known.length
      ? `unknown state or province ${state} of ${country} (${countries[country]}); known: ${known.join(', ')}`
      : `${countries[country]} has no states or provinces in the holiday data; use ${country}`;
  }
  return undefined;
}

const regions = new Map<string, Holidays>();
const years = new Map<string, { date: string; type: string; days: number }[]>();

/** One year of a region's holidays, cached (the data does not change while Baton runs). */
function holidaysOfYear(region: string, year: number) {
  const key = `${region}/${year}`;
  let list = years.get(key);
  if (!list) {
    let hd = regions.get(region);
    if (!hd) {
      const { country, state } = parseRegion(region);
      hd = state ? new Holidays(country, state) : new Holidays(country);
      regions.set(region, hd);
    }
    list = hd.getHolidays(year, 'en').map((h) => ({
      date: h.date.slice(0, 10), type: h.type,
      // Multi-day holidays (e.g. a new-year week) end days later; local days are 23–25 h around DST.
      days: Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / 86_400_000)),
    }));
    years.set(key, list);
  }
  return list;
}

const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The region's holidays of the given types in [fromYear, toYear], as sorted unique local dates. */
export function publicHolidays(region: string, fromYear: number, toYear: number, types: readonly string[] = ['public']): string[] {
  const out = new Set<string>();
  for (let y = fromYear; y <= toYear; y++) {
    for (const h of holidaysOfYear(region, y)) {
      if (!types.includes(h.type)) continue;
      for (let d = 0; d < h.days; d++) out.add(addDays(h.date, d));
    }
  }
  return [...out].sort();
}

export type CalendarClient = Pick<ClientRow, 'timeZone' | 'holidays' | 'region' | 'publicHolidayExceptions'>;

/**
 * The client's holidays for the years [fromYear, toYear]: policy dates ∪ (region's public holidays
 * − the client's exceptions) ∪ the client's own dates. Exceptions drop only the region's holidays:
 * a date in the MSP's policy stays a non-business day for every client.
 */
export function clientHolidays(client: CalendarClient, policy: Policy, fromYear: number, toYear: number): string[] {
  const worked = new Set(client.publicHolidayExceptions);
  const regional = client.region ? publicHolidays(client.region, fromYear, toYear, policy.calendar.publicHolidayTypes).filter((d) => !worked.has(d)) : [];
  return [...new Set([...policy.calendar.holidays, ...regional, ...client.holidays])].sort();
}

/** The client's business calendar (C-1) covering [fromYear, toYear], in the shape processes carry. */
export function clientCalendar(client: CalendarClient, policy: Policy, fromYear: number, toYear: number): BusinessCalendar & { holidays: string[]; workdays: number[] } {
  return {
    timeZone: client.timeZone, holidays: clientHolidays(client, policy, fromYear, toYear), workdays: [...policy.calendar.workdays],
    dayStart: policy.calendar.dayStart, dayEnd: policy.calendar.dayEnd,
  };
}

/** The calendar year of an instant in a zone (holiday years are local years). */
export function localYear(instant: string | number | Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(new Date(instant)));
}

/**
 * What one placement review cycle needs: the client's calendar from `nowMs` through the year
 * after the review comes due (a roll may cross New Year, C-1) and the review interval. `policy` is
 * the policy with the client's overrides applied.
 */
export function placementReviewPlan(client: CalendarClient & Pick<ClientRow, 'segment' | 'goalLevel' | 'segmentSource'>, policy: Policy, nowMs: number): PlacementReviewPlan {
  const intervalMonths = policy.segmentation.placementReviewIntervalMonths;
  const dueBy = nowMs + (intervalMonths + 1) * 31 * 86_400_000;
  const cal = clientCalendar(client, policy, localYear(nowMs, client.timeZone), localYear(dueBy, client.timeZone) + 1);
  return {
    timeZone: cal.timeZone, holidays: cal.holidays, dayStart: cal.dayStart, dayEnd: cal.dayEnd, workdays: cal.workdays,
    intervalMonths, segment: client.segment, goalLevel: client.goalLevel, segmentSource: client.segmentSource,
  };
}
