import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  assignTicketPatch, callbackEventKey, callbackSignature, closeTicketPatch, connectWiseCallback, connectWiseHeaders, connectWiseSettings, cwDate, isScheduleCallback, moveScheduleEntryPatch,
  firstPersonNote, noteActedAt, scheduleEntityOf, scheduleEntryConditions, serviceNoteRecord, scheduleEntryForMeeting, scheduleEntryMarker, scheduleEntryReport, ticketForCta, ticketReport, ticketXRef, trustedKeyUrl, verifyCallbackSignature,
} from '../../domain/connectwise.js';

const settings = connectWiseSettings.parse({ boardId: 7 });
const cta = { ctaId: '0b5d8c1e-1f9a-4c39-9d7e-3f0c2a6b8e11', title: 'Review the backup report', clientName: 'Acme', dueAt: '2026-12-11T10:00:00.000Z', firstActionDueAt: '2026-12-07T10:00:00.000Z', companyId: 250 };
const callback = (entity: unknown, over: Record<string, unknown> = {}) =>
  connectWiseCallback.parse({ Action: 'updated', Type: 'ticket', ID: 1042, Entity: JSON.stringify(entity), Metadata: { key_url: 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0/callback-key' }, ...over });

describe('ConnectWise mappers (issue 15)', () => {
  it('authenticates as its docs state: Basic companyId+publicKey:privateKey and the clientId header', () => {
    const h = connectWiseHeaders({ companyId: 'msp', publicKey: 'pub', privateKey: 'priv', clientId: 'cid' });
    expect(h.authorization).toBe(`Basic ${Buffer.from('msp+pub:priv').toString('base64')}`);
    expect(h.clientid).toBe('cid');
  });

  it('maps a CTA to a ticket with its external reference, board, company, dates and mapped owner', () => {
    expect(ticketForCta({ ...cta, member: 'ccsm' }, settings)).toMatchObject({
      summary: 'Review the backup report', board: { id: 7 }, company: { id: 250 }, externalXRef: `baton:cta:${cta.ctaId}`, requiredDate: '2026-12-11T10:00:00Z', owner: { identifier: 'ccsm' },
    });
    expect(ticketForCta(cta, settings)).not.toHaveProperty('owner');
    expect(ticketXRef(cta.ctaId).length).toBeLessThanOrEqual(100);
    const long = ticketForCta({ ...cta, title: 'x'.repeat(150) }, settings).summary;
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
    expect(cwDate('2026-12-11T10:00:00.123+02:00')).toBe('2026-12-11T08:00:00Z');
    expect(assignTicketPatch('aam')).toEqual([{ op: 'replace', path: 'owner', value: { identifier: 'aam' } }]);
    expect(closeTicketPatch(connectWiseSettings.parse({ boardId: 7, closedStatus: 'Resolved' }))).toEqual([{ op: 'replace', path: 'status', value: { name: 'Resolved' } }]);
  });

  it('maps ticket callbacks to the CTA reports: closed → complete, left its opening status → first action, else nothing', () => {
    expect(ticketReport(callback({ status: { name: 'Closed' }, closedFlag: true }), settings)).toEqual({ report: 'complete', note: 'ConnectWise ticket #1042 closed (Closed)' });
    expect(ticketReport(callback({ status: { name: 'Resolved' }, closedFlag: true }), settings).report).toBe('complete');
    expect(ticketReport(callback({ status: { name: 'Closed' } }), settings).report).toBe('complete');
    expect(ticketReport(callback({ status: { name: 'In Progress' }, closedFlag: false }), settings)).toEqual({ report: 'firstAction', note: 'ConnectWise ticket #1042 moved to In Progress' });
    expect(ticketReport(callback({ status: { name: 'New' } }), settings)).toMatchObject({ report: 'none' });
    expect(ticketReport(callback({}), settings)).toMatchObject({ report: 'none' });
    expect(ticketReport(callback({ status: { name: 'Closed' } }, { Action: 'deleted' }), settings)).toMatchObject({ report: 'none', why: 'the ticket was deleted' });
    expect(ticketReport(callback({ status: { name: 'Closed' } }, { Type: 'company' }), settings)).toMatchObject({ report: 'none' });
    expect(ticketReport({ ...callback({}), Entity: '{not json' }, settings)).toMatchObject({ report: 'none' });
  });
});

describe('ConnectWise callback signatures', () => {
  const body = JSON.stringify({ Action: 'updated', Type: 'ticket', ID: 1, Entity: '{}', Metadata: { key_url: 'https://x/key' } });
  const key = 'c2lnbmluZy1rZXk=';

  it('is the base64 HMAC-SHA256 of the body under the SHA-256 of the signing key', () => {
    const expected = createHmac('sha256', createHash('sha256').update(key).digest()).update(body).digest('base64');
    expect(callbackSignature(key, body)).toBe(expected);
    expect(verifyCallbackSignature(key, body, expected)).toBe(true);
  });

  it('refuses a missing, tampered, truncated or foreign-key signature', () => {
    const good = callbackSignature(key, body);
    expect(verifyCallbackSignature(key, body, undefined)).toBe(false);
    expect(verifyCallbackSignature(key, body, '')).toBe(false);
    expect(verifyCallbackSignature(key, `${body} `, good)).toBe(false);
    expect(verifyCallbackSignature(key, body, good.slice(0, -2))).toBe(false);
    expect(verifyCallbackSignature('another key', body, good)).toBe(false);
  });

  it('trusts a key URL only on the connector\'s own host', () => {
    const base = 'https://api-na.myconnectwise.net/v4_6_release/apis/3.0';
    expect(trustedKeyUrl('https://api-na.myconnectwise.net/v4_6_release/apis/3.0/system/callbackKey/1', base)).toBe(true);
    expect(trustedKeyUrl('https://attacker.example/key', base)).toBe(false);
    expect(trustedKeyUrl('https://api-na.myconnectwise.net.attacker.example/key', base)).toBe(false);
    expect(trustedKeyUrl('http://api-na.myconnectwise.net/key', base)).toBe(false);
    expect(trustedKeyUrl('not a url', base)).toBe(false);
  });

  it('identifies a callback by its bytes, so a replay is recognised', () => {
    expect(callbackEventKey(body)).toBe(callbackEventKey(body));
    expect(callbackEventKey(body)).not.toBe(callbackEventKey(`${body} `));
    expect(callbackEventKey(body)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('ConnectWise meetings as schedule entries (issue 15)', () => {
  const meetingId = '5a1f0c3e-7b2d-4e19-8c6a-0d9e3f2b1a77';
  const meeting = { meetingId, kind: 'quarterly-review', clientName: 'Acme', startsAt: '2026-12-11T10:00:00.000Z', endsAt: '2026-12-11T11:00:00.000Z', member: 'ccsm' };
  const booked = { startsAt: meeting.startsAt, endsAt: meeting.endsAt };

  it('books a meeting on the member\'s calendar, of the connector\'s schedule type, its marker at the end of a name that fits', () => {
    expect(settings.scheduleType).toBe('M');
    const entry = scheduleEntryForMeeting(meeting, settings);
    expect(entry).toEqual({
      name: `quarterly-review with Acme [baton:meeting:${meetingId}]`, member: { identifier: 'ccsm' }, type: { identifier: 'M' },
      dateStart: '2026-12-11T10:00:00Z', dateEnd: '2026-12-11T11:00:00Z', doneFlag: false, allowScheduleConflictsFlag: true,
    });
    expect(entry).not.toHaveProperty('objectId');
    const long = scheduleEntryForMeeting({ ...meeting, clientName: 'y'.repeat(400) }, connectWiseSettings.parse({ boardId: 7, scheduleType: 'C' }));
    expect(long.name).toHaveLength(250);
    expect(long.name.endsWith(`[${scheduleEntryMarker(meetingId)}]`)).toBe(true);
    expect(long.type).toEqual({ identifier: 'C' });
    expect(scheduleEntryConditions(meetingId)).toBe(`name contains "baton:meeting:${meetingId}"`);
    expect(moveScheduleEntryPatch('2026-12-12T09:30:00.000Z', '2026-12-12T10:30:00.000Z')).toEqual([
      { op: 'replace', path: 'dateStart', value: '2026-12-12T09:30:00Z' }, { op: 'replace', path: 'dateEnd', value: '2026-12-12T10:30:00Z' },
    ]);
    expect(() => connectWiseSettings.parse({ boardId: 7, scheduleType: 'M; drop' })).toThrow();
  });

  it('maps a schedule entry\'s callback to the meeting\'s report: done → held, deleted → cancelled, other times → moved, else nothing', () => {
    const entity = { id: 3001, dateStart: '2026-12-11T10:05:00Z', dateEnd: '2026-12-11T10:50:00Z', doneFlag: true, member: { identifier: 'ccsm', name: 'Casey CSM' } };
    const cb = callback(entity, { Type: 'Schedule', ID: 3001 });
    expect(isScheduleCallback(cb)).toBe(true);
    expect(isScheduleCallback({ Type: 'ScheduleEntry' })).toBe(true);
    expect(isScheduleCallback({ Type: 'ticket' })).toBe(false);
    expect(scheduleEntryReport('updated', scheduleEntityOf(cb)!, booked, 3001)).toEqual({ report: 'held', heldAt: '2026-12-11T10:05:00.000Z', endedAt: '2026-12-11T10:50:00.000Z', by: 'Casey CSM' });
    // Done without times or a member name: the booked times stand (reportVendorMeeting fills them), the identifier names who.
    expect(scheduleEntryReport('updated', { doneFlag: true, member: { identifier: 'ccsm' } }, booked, 3001)).toEqual({ report: 'held', by: 'ccsm' });
    expect(scheduleEntryReport('deleted', { id: 3001 }, booked, 3001)).toEqual({ report: 'cancelled', note: 'ConnectWise schedule entry #3001 deleted' });
    expect(scheduleEntryReport('updated', 'deleted', booked, 3001)).toMatchObject({ report: 'cancelled' });
    expect(scheduleEntryReport('updated', { dateStart: '2026-12-12T10:00:00Z', dateEnd: '2026-12-12T11:00:00Z', doneFlag: false }, booked, 3001))
      .toEqual({ report: 'moved', startsAt: '2026-12-12T10:00:00.000Z', endsAt: '2026-12-12T11:00:00.000Z' });
    // Baton's own booking or move coming back (the same instant, ConnectWise's format): nothing.
    expect(scheduleEntryReport('added', { dateStart: '2026-12-11T10:00:00Z', dateEnd: '2026-12-11T11:00:00Z', doneFlag: false }, booked, 3001)).toEqual({ report: 'none', why: 'the entry is at the meeting\'s time and not done' });
    expect(scheduleEntryReport('updated', { dateStart: '2026-12-12T11:00:00Z', dateEnd: '2026-12-12T10:00:00Z' }, booked, 3001)).toMatchObject({ report: 'none' });
    expect(scheduleEntryReport('updated', { dateStart: 'not a date', dateEnd: null }, booked, 3001)).toMatchObject({ report: 'none' });
    // No Entity, or one that is not JSON / not an entry: read it back.
    expect(scheduleEntityOf(connectWiseCallback.parse({ Action: 'updated', Type: 'Schedule', ID: 3001, Metadata: { key_url: 'https://x' } }))).toBeUndefined();
    expect(scheduleEntityOf(connectWiseCallback.parse({ Action: 'updated', Type: 'Schedule', ID: 3001, Entity: '{nope', Metadata: { key_url: 'https://x' } }))).toBeUndefined();
    expect(scheduleEntityOf(connectWiseCallback.parse({ Action: 'updated', Type: 'Schedule', ID: 3001, Entity: JSON.stringify({ doneFlag: 'yes' }), Metadata: { key_url: 'https://x' } }))).toBeUndefined();
  });
});

describe('ConnectWise ticket notes → first action (C-5)', () => {
  const ctaId = cta.ctaId;
  const note = (over: Record<string, unknown>) => serviceNoteRecord.parse({
    id: 1, text: 'Called the client', detailDescriptionFlag: true, internalAnalysisFlag: false, resolutionFlag: false,
    member: { id: 2, identifier: 'ccsm', name: 'Casey' }, dateCreated: '2026-12-05T09:30:00Z', createdBy: 'ccsm', ...over,
  });
  const baton = note({ id: 10, text: ticketForCta(cta, settings).initialDescription, member: { id: 1, identifier: 'BatonAPI' }, createdBy: 'BatonAPI' });

  it('takes the first note a member wrote in any section, in the order read, with its text, time and author', () => {
    expect(firstPersonNote([baton, note({ id: 11, text: '  Called the client  ' }), note({ id: 12, text: 'later' })], ctaId))
      .toEqual({ noteId: 11, text: 'Called the client', writtenAt: '2026-12-05T09:30:00.000Z', by: 'ccsm' });
    for (const flags of [{ internalAnalysisFlag: true }, { resolutionFlag: true }]) {
      expect(firstPersonNote([note({ detailDescriptionFlag: false, ...flags })], ctaId)?.text).toBe('Called the client');
    }
    // Author from createdBy when the note names no member; no date → no writtenAt.
    expect(firstPersonNote([note({ member: null, dateCreated: null })], ctaId)).toEqual({ noteId: 1, text: 'Called the client', by: 'ccsm' });
    // Cut to the API's 2000 characters.
    expect(firstPersonNote([note({ text: 'x'.repeat(3000) })], ctaId)!.text).toHaveLength(2000);
  });

  it('skips Baton\'s own description, a contact\'s note, empty text, system text and notes in no section', () => {
    expect(firstPersonNote([], ctaId)).toBeUndefined();
    expect(firstPersonNote([
      baton,
      note({ member: null, contact: { id: 500, name: 'Pat Client' }, createdBy: 'Portal' }),
      note({ text: '   ' }),
      note({ text: null }),
      note({ member: null, createdBy: null }),
      note({ detailDescriptionFlag: false }),
    ], ctaId)).toBeUndefined();
    // Another CTA's marker is not this CTA's own text.
    expect(firstPersonNote([note({ text: 'See Baton CTA id: 00000000-0000-4000-8000-000000000000' })], ctaId)).toBeDefined();
  });

  it('dates the first action at the note, kept between the CTA\'s creation and now', () => {
    const created = '2026-12-05T09:00:00.000Z';
    const now = '2026-12-05T10:00:00.000Z';
    expect(noteActedAt('2026-12-05T09:30:00.000Z', created, now)).toBe('2026-12-05T09:30:00.000Z');
    expect(noteActedAt('2026-12-05T08:59:59.000Z', created, now)).toBe(created);
    expect(noteActedAt('2026-12-05T10:05:00.000Z', created, now)).toBe(now);
    expect(noteActedAt(undefined, created, now)).toBe(now);
  });
});

