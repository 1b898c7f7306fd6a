import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  assignTicket, assignToDo, autotaskCallout, autotaskHeaders, autotaskMarker, autotaskRoot, autotaskSettings, calloutEventKey, calloutReport, closeTicket, closeToDo,
  appointmentDiff, appointmentForMeeting, appointmentMarkerQuery, appointmentsByIdQuery, moveAppointment,
  hookSignature, markerQuery, nextCursor, ticketForCta, toDoChangesQuery, toDoCompletionKey, toDoForCta, trustedPageUrl, verifyHookSignature,
} from '../../domain/autotask.js';

const settings = autotaskSettings.parse({ queueId: 8 });
const cta = { ctaId: '0b5d8c1e-1f9a-4c39-9d7e-3f0c2a6b8e11', title: 'Review the backup report', clientName: 'Acme', dueAt: '2026-12-11T10:00:00.000Z', firstActionDueAt: '2026-12-07T10:00:00.000Z', companyId: 300 };
const callout = (over: Record<string, unknown>) => autotaskCallout.parse({ Action: 'Update', Guid: 'b0c1', EntityType: 'Ticket', Id: 5001, Fields: {}, SequenceNumber: 7, ...over });

describe('Autotask mappers (issue 15)', () => {
  it('authenticates with the three headers its docs name, against the zone URL\'s V1.0 root', () => {
    expect(autotaskHeaders({ apiIntegrationCode: 'TRACK', userName: 'api@msp', secret: 's', webhookSecret: 'hook-secret-1' })).toMatchObject({ apiintegrationcode: 'TRACK', username: 'api@msp', secret: 's' });
    expect(autotaskRoot('https://webservices2.autotask.net/ATServicesRest/')).toBe('https://webservices2.autotask.net/ATServicesRest/V1.0');
    expect(autotaskRoot('https://webservices2.autotask.net/atservicesrest/v1.0')).toBe('https://webservices2.autotask.net/atservicesrest/V1.0');
  });

  it('defaults the settings to tickets in status New (1), completed as Complete (5), priority Medium (2)', () => {
    expect(autotaskSettings.parse({})).toEqual({ ctaAs: 'ticket', priority: 2, newStatus: 1, completeStatus: 5, toDoActionType: 1 });
    expect(() => autotaskSettings.parse({ boardId: 7 })).toThrow();
  });

  it('maps a CTA to a ticket carrying Baton\'s marker in externalID (≤ 50 characters) and the mapped resource and role', () => {
    const t = ticketForCta({ ...cta, resource: { resourceId: 29682885, roleId: 29683461 } }, settings);
    expect(t).toMatchObject({ companyID: 300, title: cta.title, status: 1, priority: 2, queueID: 8, dueDateTime: '2026-12-11T10:00:00Z', externalID: `baton:cta:${cta.ctaId}`, assignedResourceID: 29682885, assignedResourceRoleID: 29683461 });
    expect(t.externalID.length).toBeLessThanOrEqual(50);
    expect(t.description).toContain('First action due: 2026-12-07T10:00:00Z (C-5)');
    expect(ticketForCta(cta, settings)).not.toHaveProperty('assignedResourceID');
    expect(ticketForCta({ ...cta, title: 'x'.repeat(300) }, settings).title).toHaveLength(255);
  });

  it('maps a CTA to a company to-do with the marker on its own line, and the updates with the id in the body', () => {
    const t = toDoForCta({ ...cta, resourceId: 29682886, at: '2026-12-04T10:00:00.000Z' }, { ...settings, toDoActionType: 3 });
    expect(t).toMatchObject({ companyID: 300, actionType: 3, assignedToResourceID: 29682886, startDateTime: '2026-12-04T10:00:00Z', endDateTime: '2026-12-11T10:00:00Z' });
    expect(t.activityDescription.split('\n').at(-1)).toBe(`[${autotaskMarker(cta.ctaId)}]`);
    expect(closeTicket(5001, settings)).toEqual({ id: 5001, status: 5 });
    expect(assignTicket(5001, { resourceId: 1, roleId: 2 })).toEqual({ id: 5001, assignedResourceID: 1, assignedResourceRoleID: 2 });
    expect(closeToDo(77, '2026-12-05T08:00:00.000Z')).toEqual({ id: 77, completedDate: '2026-12-05T08:00:00Z' });
    expect(assignToDo(77, 9)).toEqual({ id: 77, assignedToResourceID: 9 });
  });

  it('looks up its marker with Autotask\'s query filter syntax', () => {
    expect(markerQuery('ticket', cta.ctaId)).toEqual({ MaxRecords: 2, IncludeFields: ['id'], filter: [{ op: 'eq', field: 'externalID', value: `baton:cta:${cta.ctaId}` }] });
    expect(markerQuery('toDo', cta.ctaId).filter).toEqual([{ op: 'contains', field: 'activityDescription', value: `[baton:cta:${cta.ctaId}]` }]);
    expect(toDoChangesQuery('2026-12-04T10:00:00.000Z').filter[0]).toEqual({ op: 'and', items: [{ op: 'gte', field: 'lastModifiedDate', value: '2026-12-04T10:00:00.000Z' }, { op: 'exist', field: 'completedDate' }] });
  });

  it('maps callouts to the reports the API offers', () => {
    expect(calloutReport(callout({ Fields: { status: 5 } }), settings)).toMatchObject({ report: 'complete', ticketId: '5001' });
    expect(calloutReport(callout({ Fields: { Status: '8' } }), settings)).toMatchObject({ report: 'firstAction', ticketId: '5001', note: 'Autotask ticket 5001 moved to status 8' });
    expect(calloutReport(callout({ Fields: { status: 1 } }), settings)).toMatchObject({ report: 'none' });
    expect(calloutReport(callout({ Fields: { title: 'x' } }), settings)).toMatchObject({ report: 'none', why: 'no status in the callout' });
    expect(calloutReport(callout({ Action: 'Delete', Fields: { status: 5 } }), settings)).toMatchObject({ report: 'none' });
    expect(calloutReport(callout({ EntityType: 'TicketNote', Action: 'Create', Id: 9, Fields: { TicketID: 5001 } }), settings)).toMatchObject({ report: 'firstAction', ticketId: '5001' });
    expect(calloutReport(callout({ EntityType: 'TicketNote', Action: 'Update', Id: 9, Fields: { ticketID: 5001 } }), settings)).toMatchObject({ report: 'none' });
    expect(calloutReport(callout({ EntityType: 'Company' }), settings)).toMatchObject({ report: 'none', why: 'a Company callout' });
  });

  it('signs and verifies X-Hook-Signature as its docs state: sha1= and the base64 HMAC-SHA1 of the body under the SecretKey', () => {
    const body = '{"Action":"Update","EntityType":"Ticket","Id":5001}';
    const expected = `sha1=${createHmac('sha1', 'hook-secret-1').update(body).digest('base64')}`;
    expect(hookSignature('hook-secret-1', body)).toBe(expected);
    expect(verifyHookSignature('hook-secret-1', body, expected)).toBe(true);
    expect(verifyHookSignature('hook-secret-1', body, ` ${expected} `)).toBe(true);
    for (const bad of [undefined, '', expected.slice(5), expected.replace('sha1=', 'sha256='), hookSignature('other-secret', body), hookSignature('hook-secret-1', `${body} `)]) {
      expect(verifyHookSignature('hook-secret-1', body, bad)).toBe(false);
    }
  });

  it('identifies a callout by its webhook Guid and SequenceNumber, else by its bytes; a to-do completion by id and date', () => {
    expect(calloutEventKey(callout({}), 'x')).toBe('seq:b0c1:7');
    expect(calloutEventKey(callout({ SequenceNumber: undefined }), 'x')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(toDoCompletionKey({ id: 77, completedDate: '2026-12-05T08:00:00Z' })).toBe('todo:77:completed:2026-12-05T08:00:00Z');
  });

  it('moves the poll cursor to the latest modification seen, never back', () => {
    const c = '2026-12-04T10:00:00.000Z';
    expect(nextCursor(c, [])).toBe(c);
    expect(nextCursor(c, [{ id: 1, lastModifiedDate: '2026-12-04T09:00:00Z' }, { id: 2, lastModifiedDate: '2026-12-04T11:30:00Z' }, { id: 3, lastModifiedDate: null }])).toBe('2026-12-04T11:30:00.000Z');
  });

  it('follows a next page only on the connector\'s own host', () => {
    expect(trustedPageUrl('https://webservices2.autotask.net/ATServicesRest/V1.0/Tickets/query/next?paging=x', 'https://webservices2.autotask.net/ATServicesRest')).toBe(true);
    expect(trustedPageUrl('https://evil.example/next', 'https://webservices2.autotask.net/ATServicesRest')).toBe(false);
    expect(trustedPageUrl('not a url', 'https://webservices2.autotask.net/ATServicesRest')).toBe(false);
  });
});

describe('Autotask appointments (issue 15, meetings)', () => {
  const meetingId = '7c1e2d3f-0a4b-4c5d-8e9f-112233445566';
  const booked = { state: 'scheduled', startsAt: '2026-12-14T10:00:00.000Z', endsAt: '2026-12-14T11:00:00.000Z' };

  it('books the meeting on the Accountable\'s resource with the marker in the description, and finds it by the marker', () => {
    const body = appointmentForMeeting({ meetingId, kind: 'qbr', clientName: 'Acme', startsAt: booked.startsAt, endsAt: booked.endsAt, resourceId: 29682885 });
    expect(body).toMatchObject({ resourceID: 29682885, startDateTime: '2026-12-14T10:00:00Z', endDateTime: '2026-12-14T11:00:00Z', title: 'Baton qbr meeting: Acme' });
    expect(body.description).toContain(`[baton:meeting:${meetingId}]`);
    expect(appointmentForMeeting({ meetingId, kind: 'qbr', clientName: 'x'.repeat(400), startsAt: booked.startsAt, endsAt: booked.endsAt, resourceId: 1 }).title.length).toBe(256);
    expect(appointmentMarkerQuery(meetingId)).toEqual({ MaxRecords: 2, IncludeFields: ['id'], filter: [{ op: 'contains', field: 'description', value: `[baton:meeting:${meetingId}]` }] });
    expect(moveAppointment(5001, '2026-12-15T10:00:00.000Z', '2026-12-15T11:30:00.000Z')).toEqual({ id: 5001, startDateTime: '2026-12-15T10:00:00Z', endDateTime: '2026-12-15T11:30:00Z' });
    expect(appointmentsByIdQuery([1, 2]).filter).toEqual([{ op: 'in', field: 'id', value: [1, 2] }]);
  });

  it('diffs an appointment against its meeting: deleted → cancelled, other times → moved, else nothing (no "held": no completion field)', () => {
    expect(appointmentDiff(booked, 5001, undefined)).toMatchObject({ report: 'cancelled', eventKey: 'appointment:5001:deleted' });
    expect(appointmentDiff(booked, 5001, { id: 5001, startDateTime: '2026-12-14T10:00:00Z', endDateTime: '2026-12-14T11:00:00Z', updateDateTime: '2026-12-01T09:00:00Z' })).toMatchObject({ report: 'none', why: 'the appointment matches the meeting' });
    const moved = appointmentDiff(booked, 5001, { id: 5001, startDateTime: '2026-12-15T10:00:00Z', endDateTime: '2026-12-15T11:00:00Z', updateDateTime: '2026-12-02T09:00:00.000Z' });
    expect(moved).toEqual({ report: 'moved', appointmentId: 5001, startsAt: '2026-12-15T10:00:00.000Z', endsAt: '2026-12-15T11:00:00.000Z', eventKey: 'appointment:5001:moved:2026-12-15T10:00:00.000Z/2026-12-15T11:00:00.000Z@2026-12-02T09:00:00.000Z' });
    // The same state polled again is the same key (reported once); a longer meeting (end only) is a move too.
    expect(appointmentDiff(booked, 5001, { id: 5001, startDateTime: '2026-12-15T10:00:00Z', endDateTime: '2026-12-15T11:00:00Z', updateDateTime: '2026-12-02T09:00:00Z' })).toEqual(moved);
    expect(appointmentDiff(booked, 5001, { id: 5001, startDateTime: '2026-12-14T10:00:00Z', endDateTime: '2026-12-14T11:30:00Z' })).toMatchObject({ report: 'moved', eventKey: 'appointment:5001:moved:2026-12-14T10:00:00.000Z/2026-12-14T11:30:00.000Z' });
    // A past appointment that still exists is not a held meeting.
    expect(appointmentDiff({ ...booked, startsAt: '2020-01-01T10:00:00Z', endsAt: '2020-01-01T11:00:00Z' }, 5001, { id: 5001, startDateTime: '2020-01-01T10:00:00Z', endDateTime: '2020-01-01T11:00:00Z' }).report).toBe('none');
    // Unreadable times, or a meeting no longer booked in Baton: nothing.
    expect(appointmentDiff(booked, 5001, { id: 5001, startDateTime: null, endDateTime: '2026-12-14T11:00:00Z' })).toMatchObject({ report: 'none', why: 'the appointment\'s times could not be read' });
    expect(appointmentDiff({ ...booked, state: 'cancelled' }, 5001, undefined)).toMatchObject({ report: 'none', why: 'the meeting is cancelled in Baton' });
  });
});
