import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  attendanceReportKey, attendanceVerdict, attendanceWindow, clientAttendees, joinUrlOf, onlineMeetingByJoinUrlPath, sessionReports,
  cancelEventBody, changeNotification, clientStateFor, clientStateMatches, eventForMeeting, eventReport, fromGraphDateTime, graphDateTime, graphErrorDetail, moveEventPatch,
  msGraphSettings, needsRenewal, notificationKey, notifiedEventId, renewAt, subscriptionExpiry, tokenRequestBody, tokenUrl, tokenUsableUntil, transactionIdFor,
} from '../../domain/msgraph.js';
import { policySchema } from '../../domain/policy.js';

const meeting = {
  connectorId: 'c1', meetingId: 'm1', kind: 'QBR', clientName: 'Acme', startsAt: '2026-12-08T16:00:00.000Z', endsAt: '2026-12-08T16:45:00.000Z', mode: 'live',
  invitees: [{ name: 'Dana', email: 'dana@acme.example', required: true }, { name: 'Ira', email: 'ira@acme.example', required: false }],
};
const notification = (over: Record<string, unknown> = {}) => changeNotification.parse({
  subscriptionId: 's1', clientState: 'x', changeType: 'updated', resource: 'Users/casey@msp.example/Events/AAMk1',
  resourceData: { id: 'AAMk1', '@odata.etag': 'W/"k1"' }, ...over,
});

describe('Microsoft Graph mappers (issue 15)', () => {
  it('asks the identity platform for a client-credentials token with the Graph default scope, and uses it until 5 minutes before expiry', () => {
    expect(tokenUrl('https://login.microsoftonline.com/', 'contoso.onmicrosoft.com')).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    const body = new URLSearchParams(tokenRequestBody({ tenantId: 't', clientId: 'cid', clientSecret: 's&=x' }));
    expect(Object.fromEntries(body)).toEqual({ client_id: 'cid', client_secret: 's&=x', scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
    expect(tokenUsableUntil(1_000_000, 3599)).toBe(1_000_000 + 3_599_000 - 300_000);
    expect(tokenUsableUntil(1_000_000, 60)).toBe(1_000_000);
    expect(msGraphSettings.parse({ notificationBaseUrl: 'https://baton.example' })).toEqual({
      authorityUrl: 'https://login.microsoftonline.com', notificationBaseUrl: 'https://baton.example', subscribe: true,
      onlineMeetings: false, attendanceAfterMinutes: 10, attendanceEveryMinutes: 15, attendanceForHours: 2,
    });
  });

  it('maps a meeting to an event with invitees, UTC times and a transactionId stable per (connector, meeting)', () => {
    const e = eventForMeeting(meeting);
    expect(e).toMatchObject({
      subject: 'QBR: Acme', start: { dateTime: '2026-12-08T16:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-12-08T16:45:00.0000000', timeZone: 'UTC' },
      attendees: [{ emailAddress: { address: 'dana@acme.example', name: 'Dana' }, type: 'required' }, { emailAddress: { address: 'ira@acme.example', name: 'Ira' }, type: 'optional' }],
    });
    expect(e.body.content).toContain('m1');
    expect(e.transactionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventForMeeting(meeting).transactionId).toBe(e.transactionId);
    expect(transactionIdFor('c1', 'm2')).not.toBe(e.transactionId);
    expect(transactionIdFor('c2', 'm1')).not.toBe(e.transactionId);
    expect(moveEventPatch('2026-12-09T16:00:00Z', '2026-12-09T16:45:00Z')).toEqual({ start: graphDateTime('2026-12-09T16:00:00Z'), end: graphDateTime('2026-12-09T16:45:00Z') });
    expect(cancelEventBody('skip').comment).toBe('Cancelled in Baton: skip');
    // A plain event unless the connector books Teams meetings.
    expect(e).not.toHaveProperty('isOnlineMeeting');
    expect(eventForMeeting({ ...meeting, online: true })).toMatchObject({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness', transactionId: e.transactionId });
  });

  it('reads Graph times back as instants (UTC only) and Graph errors as one line', () => {
    expect(fromGraphDateTime({ dateTime: '2026-12-08T16:00:00.0000000', timeZone: 'UTC' })).toBe('2026-12-08T16:00:00.000Z');
    expect(fromGraphDateTime({ dateTime: '2026-12-08T16:00:00.0000000', timeZone: 'Pacific Standard Time' })).toBeUndefined();
    expect(fromGraphDateTime(undefined)).toBeUndefined();
    expect(graphErrorDetail(JSON.stringify({ error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } }))).toBe('ErrorAccessDenied: Access is denied.');
    expect(graphErrorDetail('<html>gateway</html>')).toBe('<html>gateway</html>');
  });

  it('computes the clientState from the integration key (not forgeable, not stored) and compares it in constant time', () => {
    const key = randomBytes(32);
    const s = clientStateFor('c1', key);
    expect(s.length).toBeLessThanOrEqual(128);
    expect(clientStateFor('c1', key)).toBe(s);
    expect(clientStateFor('c2', key)).not.toBe(s);
    expect(clientStateFor('c1', randomBytes(32))).not.toBe(s);
    expect(clientStateMatches(s, s)).toBe(true);
    expect(clientStateMatches(`${s}x`, s)).toBe(false);
    expect(clientStateMatches(undefined, s)).toBe(false);
    expect(clientStateMatches(null, s)).toBe(false);
  });

  it('identifies a notification by subscription, change, resource and etag: a redelivery is the same, a new change is not', () => {
    expect(notificationKey(notification())).toBe(notificationKey(notification({ clientState: 'other' })));
    expect(notificationKey(notification({ resourceData: { id: 'AAMk1', '@odata.etag': 'W/"k2"' } }))).not.toBe(notificationKey(notification()));
    expect(notificationKey(notification({ changeType: 'deleted' }))).not.toBe(notificationKey(notification()));
    expect(notifiedEventId(notification())).toBe('AAMk1');
    expect(notifiedEventId(notification({ resourceData: undefined }))).toBe('AAMk1');
    expect(notifiedEventId(notification({ resourceData: undefined, resource: "users('x')/events('AAMk9')" }))).toBe('AAMk9');
  });

  it('maps a changed event to the meeting report: cancelled or deleted → cancelled, a new time → moved, unchanged or not booked → nothing', () => {
    const m = { state: 'scheduled', startsAt: meeting.startsAt, endsAt: meeting.endsAt };
    const same = { id: 'e', start: graphDateTime(meeting.startsAt), end: graphDateTime(meeting.endsAt) };
    expect(eventReport(same, m)).toEqual({ report: 'none', why: 'the event matches the meeting' });
    expect(eventReport({ ...same, isCancelled: true }, m)).toMatchObject({ report: 'cancelled' });
    expect(eventReport(undefined, m)).toMatchObject({ report: 'cancelled' });
    expect(eventReport({ ...same, start: graphDateTime('2026-12-09T16:00:00Z'), end: graphDateTime('2026-12-09T16:45:00Z') }, m))
      .toEqual({ report: 'moved', startsAt: '2026-12-09T16:00:00.000Z', endsAt: '2026-12-09T16:45:00.000Z' });
    expect(eventReport({ ...same, isCancelled: true }, { ...m, state: 'cancelled' })).toMatchObject({ report: 'none' });
    expect(eventReport({ ...same, start: { dateTime: 'x', timeZone: 'Romance Standard Time' } }, m)).toMatchObject({ report: 'none' });
  });

  it('asks for a subscription lifetime within Graph\'s limit for events and renews it the policy\'s margin before expiry', () => {
    const p = policySchema().shape.integrations.parse({});
    expect(p).toMatchObject({ msgraphSubscriptionMinutes: 10_000, msgraphRenewalMarginMinutes: 720 });
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(subscriptionExpiry(now, p)).toBe(new Date(now + 10_000 * 60_000).toISOString());
    expect(Date.parse(subscriptionExpiry(now, { ...p, msgraphSubscriptionMinutes: 99_999 }))).toBe(now + 10_080 * 60_000);
    const exp = subscriptionExpiry(now, p);
    expect(renewAt(exp, p)).toBe(now + (10_000 - 720) * 60_000);
    expect(needsRenewal(exp, now, p)).toBe(false);
    expect(needsRenewal(exp, now + (10_000 - 720) * 60_000, p)).toBe(true);
    expect(policySchema().shape.integrations.safeParse({ msgraphSubscriptionMinutes: 60, msgraphRenewalMarginMinutes: 60 }).success).toBe(false);
    expect(policySchema().shape.integrations.safeParse({ msgraphSubscriptionMinutes: 20_000 }).success).toBe(false);
  });

  describe('Teams attendance → held', () => {
    const booked = { startsAt: '2026-12-08T16:00:00.000Z', endsAt: '2026-12-08T16:45:00.000Z' };
    const ctx = { organiser: 'casey@msp.example', invitees: [{ email: 'Dana@Acme.example' }, { email: 'ira@gmail.example' }] };
    const rec = (email: string | null, name: string, seconds = 600, role = 'Attendee') => ({ emailAddress: email, identity: { displayName: name }, role, totalAttendanceInSeconds: seconds });
    const report = { id: 'r1', meetingStartDateTime: '2026-12-08T16:02:11Z', meetingEndDateTime: '2026-12-08T16:40:00Z', totalParticipantCount: 2 };

    it('looks from end + after until end + forHours', () => {
      const s = { attendanceAfterMinutes: 10, attendanceForHours: 2 };
      const end = Date.parse(booked.endsAt);
      expect(attendanceWindow(booked.endsAt, end + 9 * 60_000, s)).toBe('wait');
      expect(attendanceWindow(booked.endsAt, end + 10 * 60_000, s)).toBe('check');
      expect(attendanceWindow(booked.endsAt, end + 2 * 3_600_000 - 1, s)).toBe('check');
      expect(attendanceWindow(booked.endsAt, end + 2 * 3_600_000, s)).toBe('expired');
    });

    it('reads the join URL of a Teams event only, and looks the meeting up by it with the quote doubled', () => {
      expect(joinUrlOf({ isOnlineMeeting: true, onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/x' } })).toBe('https://teams.microsoft.com/l/meetup-join/x');
      expect(joinUrlOf({ isOnlineMeeting: false, onlineMeeting: null })).toBeUndefined();
      expect(joinUrlOf(undefined)).toBeUndefined();
      const path = onlineMeetingByJoinUrlPath('casey@msp.example', "https://t/x?a='b'&c");
      expect(path.startsWith('/users/casey%40msp.example/onlineMeetings?$filter=')).toBe(true);
      expect(decodeURIComponent(path.split('$filter=')[1]!)).toBe("JoinWebUrl eq 'https://t/x?a=''b''&c'");
    });

    it('keeps the reports of the booked session, earliest first', () => {
      const other = { id: 'old', meetingStartDateTime: '2026-11-08T16:00:00Z', meetingEndDateTime: '2026-11-08T16:30:00Z' };
      const second = { id: 'r2', meetingStartDateTime: '2026-12-08T17:00:00Z', meetingEndDateTime: '2026-12-08T17:10:00Z' };
      expect(sessionReports([second, other, report, { id: 'broken' }], booked, 2).map((r) => r.id)).toEqual(['r1', 'r2']);
      expect(sessionReports([other], booked, 2)).toEqual([]);
    });

    it('counts the client when an invitee or a colleague at an invitee\'s domain attended; never the organiser\'s side or anonymous guests', () => {
      expect(clientAttendees([rec('casey@msp.example', 'Casey', 2400, 'Organizer'), rec('dana@acme.example', 'Dana')], ctx).map((r) => r.identity!.displayName)).toEqual(['Dana']);
      expect(clientAttendees([rec('pat@acme.example', 'Pat')], ctx)).toHaveLength(1);
      expect(clientAttendees([rec('casey@msp.example', 'Casey', 2400, 'Organizer'), rec('tori@MSP.example', 'Tori'), rec(null, 'Guest (anonymous)'), rec('', 'Phone')], ctx)).toEqual([]);
      expect(clientAttendees([rec('dana@acme.example', 'Dana', 0)], ctx)).toEqual([]);
      // An invitee whose address is at the organiser's domain counts by address only.
      expect(clientAttendees([rec('x@msp.example', 'X')], { ...ctx, invitees: [{ email: 'x@msp.example' }] })).toHaveLength(1);
      expect(clientAttendees([rec('y@msp.example', 'Y')], { ...ctx, invitees: [{ email: 'x@msp.example' }] })).toEqual([]);
    });

    it('reports held at the session\'s times by the attendees\' names, or nothing when only the organiser\'s side joined', () => {
      expect(attendanceVerdict(report, [rec('casey@msp.example', 'Casey CSM', 2400, 'Organizer'), rec('dana@acme.example', 'Dana Director'), rec('dana@acme.example', 'Dana Director')], ctx))
        .toEqual({ report: 'held', heldAt: '2026-12-08T16:02:11.000Z', endedAt: '2026-12-08T16:40:00.000Z', by: 'Casey CSM, Dana Director' });
      expect(attendanceVerdict(report, [rec('casey@msp.example', 'Casey CSM', 2400, 'Organizer'), rec('tori@msp.example', 'Tori')], ctx)).toMatchObject({ report: 'none' });
      expect(attendanceVerdict(report, [], ctx)).toMatchObject({ report: 'none' });
      const many = Array.from({ length: 40 }, (_, i) => rec(`p${i}@acme.example`, `Person Number ${i}`));
      expect((attendanceVerdict(report, many, ctx) as { by: string }).by.length).toBeLessThanOrEqual(200);
    });

    it('keys the held report by the attendance report, stable per (connector, report)', () => {
      expect(attendanceReportKey('c1', 'r1')).toBe(attendanceReportKey('c1', 'r1'));
      expect(attendanceReportKey('c1', 'r1')).not.toBe(attendanceReportKey('c1', 'r2'));
      expect(attendanceReportKey('c1', 'r1')).not.toBe(attendanceReportKey('c2', 'r1'));
      expect(attendanceReportKey('c1', 'x'.repeat(5000)).length).toBeLessThan(200);
    });
  });
});
