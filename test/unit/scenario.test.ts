import fs from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  OFFSET_RE,
  ScenarioError,
  deepMerge,
  parseScenario,
  resolveWhen,
  scenarioCalendar,
  substituteRefs,
  timeline,
  type Scenario,
  valueAt,
} from '../../rehearsal/scenario.js';
import { makeCalendar } from '../../domain/business-time.js';

// Weekdays checked with Luxon: 2026-03-06 Fri, 03-07 Sat, 03-08 Sun (US DST starts 02:00 local),
// 03-09 Mon, 03-11 Wed, 03-12 Thu, 03-13 Fri, 10-31 Sat, 11-01 Sun (US DST ends 02:00 local).

const chicago = makeCalendar({ timeZone: 'America/Chicago' });
/** Fri 2026-03-06 10:00 CST = 16:00Z. */
const FRIDAY = '2026-03-06T10:00:00-06:00';
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

/** Captures the thrown error (fails the test if nothing is thrown). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

const YAML_SCENARIO = `
name: kickoff rehearsal
description: one client, one CSM
timeZone: America/Chicago
holidays: [2026-03-09]
start: 2026-03-06T10:00:00-06:00
end: +2w
people:
  - ref: alice
    name: Alice Example
    email: alice@example.test
    roles: [CSM]
clients:
  - ref: acme
    name: Acme
    segment: B
    assignments:
      CSM: { person: alice }
steps:
  - at: +1h
    op: startOnboarding
    params: { clientId: $acme }
    body: { signedAt: '2026-03-06T10:00:00-06:00' }
  - at: +3bd
    op: recordKickoffHeld
    as: automation
    expect: 200
`;

describe('parseScenario', () => {
  it('accepts YAML (unquoted timestamps and dates stay strings) and fills defaults', () => {
    const s = parseScenario(YAML_SCENARIO);
    expect(s).toMatchObject({
      name: 'kickoff rehearsal',
      timeZone: 'America/Chicago',
      holidays: ['2026-03-09'],
      start: '2026-03-06T10:00:00-06:00',
      end: '+2w',
      people: [{ ref: 'alice', name: 'Alice Example', email: 'alice@example.test', roles: ['CSM'] }],
      clients: [{ ref: 'acme', name: 'Acme', segment: 'B', assignments: { CSM: { person: 'alice' } } }],
    });
    expect(s.steps).toEqual([
      { at: '+1h', op: 'startOnboarding', params: { clientId: '$acme' }, query: {}, body: { signedAt: '2026-03-06T10:00:00-06:00' }, as: 'ops', capture: {} },
      { at: '+3bd', op: 'recordKickoffHeld', params: {}, query: {}, as: 'automation', expect: 200, capture: {} },
    ]);
  });

  it('accepts JSON', () => {
    const json = JSON.stringify({ start: '2026-03-06T16:00:00Z', end: '2026-03-07T16:00:00Z', steps: [{ at: '+90m', op: 'getClient' }] });
    const s = parseScenario(json);
    expect(s).toEqual({
      name: 'scenario',
      timeZone: 'UTC',
      holidays: [],
      start: '2026-03-06T16:00:00Z',
      end: '2026-03-07T16:00:00Z',
      people: [],
      clients: [],
      governance: false,
      steps: [{ at: '+90m', op: 'getClient', params: {}, query: {}, as: 'ops', capture: {} }],
    });
  });

  it('lists every invalid path in one error', () => {
    const err = thrown(() =>
      parseScenario(`
timeZone: Mars/Base
start: yesterday
end: sometime
surprise: 1
holidays: [2026-02-30]
people:
  - ref: 1bad
    name: A
    roles: []
steps:
  - at: tomorrow
    op: getClient
    as: root
  - at: +1h
    op: ''
    expect: 42
`),
    );
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.name).toBe('ScenarioError');
    expect(err.message.startsWith('Invalid scenario:\n')).toBe(true);
    const paths = err.message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, '').split(':')[0]);
    expect(paths).toEqual(expect.arrayContaining([
      'timeZone', 'start', 'end', 'holidays.0', 'people.0.ref', 'people.0.roles', 'steps.0.at', 'steps.0.as', 'steps.1.op', 'steps.1.expect', '(root)',
    ]));
    expect(paths).toHaveLength(11);
    expect(err.message).toContain('"surprise"');
  });

  it('rejects text that is not YAML/JSON', () => {
    const err = thrown(() => parseScenario('start: [unclosed'));
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.message).toMatch(/^The scenario is not valid YAML\/JSON: /);
  });

  it('rejects a ref used twice, across people and clients', () => {
    const base = { start: '2026-03-06T16:00:00Z', end: '+1d' };
    expect(() => parseScenario(JSON.stringify({ ...base, people: [{ ref: 'x', name: 'A', roles: ['CSM'] }, { ref: 'x', name: 'B', roles: ['TAM'] }] })))
      .toThrow(new ScenarioError('Invalid scenario: ref "x" is used twice'));
    expect(() => parseScenario(JSON.stringify({ ...base, people: [{ ref: 'acme', name: 'A', roles: ['CSM'] }], clients: [{ ref: 'acme' }] })))
      .toThrow(/ref "acme" is used twice/);
    expect(() => parseScenario(JSON.stringify({ ...base, people: [{ ref: 'a', name: 'A', roles: ['CSM'] }], clients: [{ ref: 'b' }] }))).not.toThrow();
  });
});

describe('OFFSET_RE', () => {
  it('accepts chained offsets and rejects anything else', () => {
    for (const ok of ['+3bd', '+36h', '+2d+4h', '+90m', '+1w', '+0h', '+1w+2bd+3h']) expect(OFFSET_RE.test(ok), ok).toBe(true);
    for (const bad of ['3bd', '+3', '-1d', '+1y', '+2d 4h', '+', '+1.5h']) expect(OFFSET_RE.test(bad), bad).toBe(false);
  });
});

describe('resolveWhen', () => {
  it("'+36h' is 36 elapsed hours", () => {
    expect(iso(resolveWhen('+36h', FRIDAY, chicago))).toBe('2026-03-08T04:00:00.000Z');
    expect(iso(resolveWhen('+90m', FRIDAY, chicago))).toBe('2026-03-06T17:30:00.000Z');
  });

  it("'+3bd' from a Friday is the Wednesday at the same local time (across the DST change)", () => {
    // Wed 2026-03-11 10:00 CDT (-05:00) = 15:00Z.
    expect(iso(resolveWhen('+3bd', FRIDAY, chicago))).toBe('2026-03-11T15:00:00.000Z');
  });

  it("'+3bd' skips a holiday in the scenario's `holidays`", () => {
    const cal = scenarioCalendar({ timeZone: 'America/Chicago', holidays: ['2026-03-09'] });
    // Mon 03-09 is a holiday: Tue, Wed, Thu 03-12 10:00 CDT.
    expect(iso(resolveWhen('+3bd', FRIDAY, cal))).toBe('2026-03-12T15:00:00.000Z');
  });

  it("'+2d+4h' applies the terms in order: two local days, then four hours", () => {
    // Sun 03-08 10:00 CDT (= 15:00Z) + 4h; 51 elapsed hours because the day lost an hour.
    const t = resolveWhen('+2d+4h', FRIDAY, chicago);
    expect(iso(t)).toBe('2026-03-08T19:00:00.000Z');
    expect(t - Date.parse(FRIDAY)).toBe(51 * HOUR);
  });

  it("'+1w' is seven local days", () => {
    expect(iso(resolveWhen('+1w', FRIDAY, chicago))).toBe('2026-03-13T15:00:00.000Z');
  });

  it('an absolute ISO instant is taken as is', () => {
    expect(resolveWhen('2026-03-10T12:00:00Z', FRIDAY, chicago)).toBe(Date.parse('2026-03-10T12:00:00Z'));
    expect(iso(resolveWhen('2026-03-10T12:00:00+02:00', FRIDAY, chicago))).toBe('2026-03-10T10:00:00.000Z');
  });

  it("'+1d' keeps the local wall time across DST in America/Chicago (23h in spring, 25h in autumn)", () => {
    const spring = '2026-03-07T10:00:00-06:00';
    const s = resolveWhen('+1d', spring, chicago);
    expect(iso(s)).toBe('2026-03-08T15:00:00.000Z'); // 10:00 CDT
    expect(s - Date.parse(spring)).toBe(23 * HOUR);
    expect(iso(resolveWhen('+24h', spring, chicago))).toBe('2026-03-08T16:00:00.000Z'); // 11:00 CDT

    const autumn = '2026-10-31T10:00:00-05:00';
    const a = resolveWhen('+1d', autumn, chicago);
    expect(iso(a)).toBe('2026-11-01T16:00:00.000Z'); // 10:00 CST
    expect(a - Date.parse(autumn)).toBe(25 * HOUR);
  });

  it("'d' offsets count local days in the scenario zone, not UTC", () => {
    // 23:30 CST Fri = 05:30Z Sat; +1d is Sat 23:30 CST, the same local time.
    expect(iso(resolveWhen('+1d', '2026-03-06T23:30:00-06:00', chicago))).toBe('2026-03-08T05:30:00.000Z');
    // +1bd from a Friday evening is Monday evening, local.
    expect(iso(resolveWhen('+1bd', '2026-03-06T23:30:00-06:00', chicago))).toBe('2026-03-10T04:30:00.000Z');
  });
});

describe('timeline', () => {
  const scenario = (over: Record<string, unknown>): Scenario => parseScenario(JSON.stringify({ timeZone: 'America/Chicago', start: FRIDAY, end: '+1w', ...over }));

  it('resolves start, end and every step', () => {
    const t = timeline(scenario({ steps: [{ at: '+1h', op: 'a' }, { at: '+1h', op: 'b' }, { at: '+3bd', op: 'c' }, { at: '2026-03-13T15:00:00Z', op: 'd' }] }));
    expect(t.startMs).toBe(Date.parse('2026-03-06T16:00:00Z'));
    expect(t.endMs).toBe(Date.parse('2026-03-13T15:00:00Z'));
    expect(t.steps.map(iso)).toEqual(['2026-03-06T17:00:00.000Z', '2026-03-06T17:00:00.000Z', '2026-03-11T15:00:00.000Z', '2026-03-13T15:00:00.000Z']);
  });

  it('rejects a step listed out of time order', () => {
    const err = thrown(() => timeline(scenario({ steps: [{ at: '+2d', op: 'a' }, { at: '+1d', op: 'late' }] })));
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.message).toMatch(/^steps\.1 \(late at \+1d = 2026-03-07T16:00:00\.000Z\) is before the previous step or the start/);
  });

  it('rejects a step before the start', () => {
    expect(() => timeline(scenario({ steps: [{ at: '2026-03-06T15:00:00Z', op: 'early' }] }))).toThrow(/steps\.0 \(early .*before the previous step or the start/);
  });

  it('rejects a step after the end', () => {
    const err = thrown(() => timeline(scenario({ end: '+2d', steps: [{ at: '+1d', op: 'a' }, { at: '+3d', op: 'b' }] })));
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.message).toBe('steps.1 (b at +3d) is after end (2026-03-08T15:00:00.000Z)');
  });

  it('rejects an end before the start', () => {
    expect(() => timeline(scenario({ end: '2026-03-05T00:00:00Z' }))).toThrow(ScenarioError);
  });
});

describe('substituteRefs', () => {
  const ids = { acme: 'cl_123', alice: 'pe_456' };

  it('replaces whole-string $refs in nested objects and arrays, leaving everything else', () => {
    const body = {
      clientId: '$acme',
      team: ['$alice', 'plain', 5, null, true, { owner: '$alice', deep: [['$acme']] }],
      note: 'pay $acme now',
      price: '$',
      nothing: undefined,
    };
    expect(substituteRefs(body, ids, 'steps.0.body')).toEqual({
      clientId: 'cl_123',
      team: ['pe_456', 'plain', 5, null, true, { owner: 'pe_456', deep: [['cl_123']] }],
      note: 'pay $acme now',
      price: '$',
      nothing: undefined,
    });
    expect(body.clientId).toBe('$acme'); // the input is not mutated
    expect(substituteRefs('$acme', ids, 'x')).toBe('cl_123');
    expect(substituteRefs(42, ids, 'x')).toBe(42);
  });

  it('errors on an unknown ref, naming where it is', () => {
    const err = thrown(() => substituteRefs({ items: ['$acme', '$nobody'] }, ids, 'steps.3.body'));
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.message).toBe('steps.3.body.items.1: unknown ref $nobody');
  });
});

describe('deepMerge', () => {
  it('merges objects recursively and replaces arrays and scalars, without mutating the inputs', () => {
    const base = { meeting: { maxDecisions: 2, recapHours: 48, nested: { a: 1, b: 2 } }, list: [1, 2, 3], keep: 'yes' };
    const patch = { meeting: { recapHours: 24, nested: { b: 3, c: 4 } }, list: [9], added: true };
    expect(deepMerge(base, patch)).toEqual({
      meeting: { maxDecisions: 2, recapHours: 24, nested: { a: 1, b: 3, c: 4 } },
      list: [9],
      keep: 'yes',
      added: true,
    });
    expect(base).toEqual({ meeting: { maxDecisions: 2, recapHours: 48, nested: { a: 1, b: 2 } }, list: [1, 2, 3], keep: 'yes' });
    expect(patch).toEqual({ meeting: { recapHours: 24, nested: { b: 3, c: 4 } }, list: [9], added: true });
  });

  it('replaces when either side is not a plain object', () => {
    expect(deepMerge({ a: [1, 2] }, { a: { x: 1 } })).toEqual({ a: { x: 1 } });
    expect(deepMerge({ a: { x: 1 } }, { a: [1] })).toEqual({ a: [1] });
    expect(deepMerge({ a: { x: 1 } }, { a: null })).toEqual({ a: null });
    expect(deepMerge([1, 2], [3])).toEqual([3]);
    expect(deepMerge('x', { y: 1 })).toEqual({ y: 1 });
  });
});

describe('valueAt (step capture)', () => {
  it('reads a dotted path through objects and arrays, and is undefined past a leaf or a missing key', () => {
    const body = { ctasOpened: ['c-1', 'c-2'], items: [{ id: 'x', n: 3 }], nested: { a: { b: 'deep' } } };
    expect(valueAt(body, 'ctasOpened.1')).toBe('c-2');
    expect(valueAt(body, 'items.0.id')).toBe('x');
    expect(valueAt(body, 'items.0.n')).toBe(3);
    expect(valueAt(body, 'nested.a.b')).toBe('deep');
    expect(valueAt(body, 'nested.a.b.c')).toBeUndefined();
    expect(valueAt(body, 'missing.0')).toBeUndefined();
    expect(valueAt(undefined, 'a')).toBeUndefined();
  });

  it('selects the first array element whose field has a value, e.g. a booked meeting by template', () => {
    const body = { meetings: [{ template: 'Check-in', meetingId: 'm-1', month: 7 }, { template: 'QBR', meetingId: 'm-2', month: 7 }, { template: 'QBR', meetingId: 'm-3', month: 1 }] };
    expect(valueAt(body, 'meetings[template=QBR].meetingId')).toBe('m-2');
    expect(valueAt(body, 'meetings[month=1].meetingId')).toBe('m-3');
    expect(valueAt(body, 'meetings[template=M3].meetingId')).toBeUndefined();
    expect(valueAt(body, 'missing[template=QBR].meetingId')).toBeUndefined();
  });

  it('capture paths are validated when the scenario is parsed', () => {
    const base = { start: '2026-03-02T09:00:00-06:00', end: '+1d' };
    expect(parseScenario(JSON.stringify({ ...base, steps: [{ at: '+1h', op: 'getCta', capture: { cta: 'ctasOpened.0' } }] })).steps[0]!.capture).toEqual({ cta: 'ctasOpened.0' });
    expect(() => parseScenario(JSON.stringify({ ...base, steps: [{ at: '+1h', op: 'getCta', capture: { cta: 'a..b' } }] }))).toThrow(/steps\.0\.capture\.cta/);
  });
});

describe('the example scenarios in docs/scenarios', () => {
  const dir = new URL('../../docs/scenarios/', import.meta.url);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(3));
  it.each(files)('%s parses and its steps lie in time order inside the scenario', (file) => {
    const s = parseScenario(fs.readFileSync(new URL(file, dir), 'utf8'));
    const t = timeline(s);
    expect(t.steps).toHaveLength(s.steps.length);
    expect([...t.steps].sort((a, b) => a - b)).toEqual(t.steps);
    expect(t.steps.every((ms) => ms >= t.startMs && ms <= t.endMs)).toBe(true);
  });
});
