import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
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
    expect(msGraphSettings.parse({ notificationBaseUrl: 'https://baton.example' })).toEqual({ authorityUrl: 'https://login.microsoftonline.com', notificationBaseUrl: 'https://baton.example', subscribe: true });
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
});
