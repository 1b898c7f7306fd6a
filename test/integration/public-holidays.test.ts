import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Public holidays by default (C-1): a client's region seeds its calendar from the date-holidays
 * data, through the API and into the onboarding's deadlines, on the time-skipping server.
 * Signature Fri 20 Nov 2026 in Chicago; Thanksgiving is Thu 26 Nov (the day after it is only an
 * observance in Illinois, so it stays a business day).
 */
const START = '2026-11-20T09:00:00-06:00';
const people = [
  { ref: 'casey', name: 'Casey CSM', roles: ['CSM'] },
  { ref: 'avery', name: 'Avery AM', roles: ['AM'] },
  { ref: 'tori', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] },
];
const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' } };
// Segment C (maturity 4, appetite 2): the CSM presents the kickoff.
const client = (ref: string, extra: Record<string, unknown> = {}) => ({ ref, name: `${ref} LLC`, mrr: 6000, maturity: 4, appetite: 2, timeZone: 'America/Chicago', assignments, ...extra });
const start = (ref: string) => ({ at: '+0h', op: 'startOnboarding', params: { clientId: `$${ref}` }, body: { signedAt: '2026-11-20' }, expect: 201 });
const register = (body: Record<string, unknown>, expected: number, note: string) => ({ at: '+0h', op: 'createClient', body: { name: note, mrr: 100, maturity: 2, appetite: 2, timeZone: 'America/Chicago', ...body }, expect: expected, note });

let r: RehearsalResult;
beforeAll(async () => {
  r = await rehearse(ScenarioSchema.parse({
    name: 'public holidays', timeZone: 'America/Chicago', start: START, end: '+12d', people,
    clients: [
      client('chicago', { region: 'US-IL' }),
      client('nowhere'),
      client('works', { region: 'us-il', publicHolidayExceptions: ['2026-11-26'] }),
    ],
    steps: [
      start('chicago'), start('nowhere'), start('works'),
      { at: '+0h', op: 'getClient', params: { clientId: '$chicago' }, expect: 200, note: 'read back' },
      register({ region: 'XX' }, 422, 'unknown country'),
      register({ region: 'US-ZZ' }, 422, 'unknown state'),
      register({ region: 'US IL' }, 400, 'malformed region'),
      register({ region: 'US-IL', publicHolidayExceptions: ['2026-11-27'] }, 422, 'exception that is no holiday'),
      register({ publicHolidayExceptions: ['2026-11-26'] }, 422, 'exception without a region'),
      { at: '+1h', op: 'updateClient', params: { clientId: '$nowhere' }, body: { region: 'CA-QC' }, expect: 200, note: 'region set later' },
      { at: '+1h', op: 'updateClient', params: { clientId: '$nowhere' }, body: { region: 'CA-XY' }, expect: 422, note: 'bad region on update' },
    ],
  }), { postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle() });
}, 240_000);

const events = (ref: string, type: string) => r.timelines[r.refs[ref]!]!.filter((e) => e.type === type);
const deadline = (ref: string, key: string) => events(ref, 'deadline.set').find((e) => (e.data as { deadline: string }).deadline === key)!;
const note = (n: string) => r.steps.find((s) => s.note === n)!;
const body = (n: string) => note(n).body as Record<string, any>;

describe('a client\'s region seeds its holidays (C-1)', () => {
  it('every call answered as expected', () => {
    expect(r.failures).toEqual([]);
  });

  it('a Chicago (US-IL) client\'s kickoff skips Thanksgiving: Fri 20 Nov + 5 bd = Mon 30 Nov (R-47)', () => {
    const kickoff = deadline('chicago', 'kickoff.held');
    expect(kickoff.data).toEqual({ deadline: 'kickoff.held', dueAt: '2026-12-01T00:00:00.000-06:00', clock: 'businessDays' });
    expect(kickoff.why).toMatchObject({ businessDays: 5, localDate: '2026-11-30', holidaysApplied: ['2026-11-26'] });
  });

  it('without a region, or with Thanksgiving as an exception, Thursday counts: due at the end of Fri 27 Nov', () => {
    for (const ref of ['nowhere', 'works']) {
      const kickoff = deadline(ref, 'kickoff.held');
      expect((kickoff.data as { dueAt: string }).dueAt).toBe('2026-11-28T00:00:00.000-06:00');
      expect(kickoff.why).toMatchObject({ holidaysApplied: [] });
    }
  });

  it('the missed kickoff opens an overdue CTA with a readable title and an owner (R-47, R-122)', () => {
    const ctas = r.states[r.refs.chicago!]!.ctas;
    const overdue = ctas.find((c) => c.kind === 'onboarding-overdue' && c.title.startsWith('Kickoff'))!;
    expect(overdue).toMatchObject({ title: 'Kickoff overdue since Mon 30 Nov', ownerRole: 'CSM', ownerPersonId: r.refs.casey });
    expect(ctas.find((c) => c.title.startsWith('Handoff packet'))).toMatchObject({ title: 'Handoff packet overdue since Fri 20 Nov', ownerPersonId: expect.any(String) });
    const missed = events('chicago', 'deadline.missed').map((e: LedgerEvent) => (e.data as { deadline: string }).deadline);
    expect(missed).toContain('kickoff.held');
  });

  it('the API stores the region (upper-cased) and the exceptions, and shows them', () => {
    expect(body('read back')).toMatchObject({ region: 'US-IL', publicHolidayExceptions: [], holidays: [] });
    expect(r.states[r.refs.works!]).toBeDefined();
    expect(body('region set later')).toMatchObject({ region: 'CA-QC' });
    const updated = events('nowhere', 'client.updated').at(-1)!;
    expect(updated.data).toEqual({ changes: { region: { before: null, after: 'CA-QC' } } });
  });

  it('an unknown country or state, a malformed code, or an exception that is no public holiday is refused, naming the field', () => {
    expect(body('unknown country')).toMatchObject({ status: 422, errors: [{ location: 'body', path: 'region', message: expect.stringContaining('unknown country XX') }] });
    expect(body('unknown state')).toMatchObject({ status: 422, errors: [{ location: 'body', path: 'region', message: expect.stringMatching(/unknown state or province ZZ of US .*known: .*IL/) }] });
    expect(body('bad region on update')).toMatchObject({ status: 422, errors: [{ path: 'region', message: expect.stringContaining('unknown state or province XY of CA') }] });
    expect(body('malformed region')).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: 'region' })] });
    expect(body('exception that is no holiday')).toMatchObject({ status: 422, errors: [{ location: 'body', path: 'publicHolidayExceptions.0', message: '2026-11-27 is not a public holiday of US-IL' }] });
    expect(body('exception without a region')).toMatchObject({ status: 422, errors: [{ path: 'publicHolidayExceptions', message: 'set region first' }] });
  });
});
