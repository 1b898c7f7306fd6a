import { describe, expect, it } from 'vitest';
import {
  agentIdOf, appointmentForMeeting, appointmentMarker, appointmentReport, assignTicketBody, moveAppointmentBody, closeTicketBody, haloEndpoints, haloPsaCredentials, haloPsaSettings, haloWebhookItem, haloWebhookPayload, markedTickets, ticketForCta, ticketMarker,
  haloInstant, tokenRequestBody, tokenUsableUntil, webhookAuthenticates, webhookEventKey, webhookReport,
} from '../../domain/halopsa.js';

const settings = haloPsaSettings.parse({});
const cta = { ctaId: '0b5d8c1e-1f9a-4c39-9d7e-3f0c2a6b8e11', title: 'Review the backup report', clientName: 'Acme', dueAt: '2026-12-11T10:00:00.000Z', firstActionDueAt: '2026-12-07T10:00:00.000Z', haloClientId: 12 };
const item = (x: unknown) => haloWebhookItem.parse(x);
const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()];
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('HaloPSA mappers (issue 15)', () => {
  it('defaults to HaloPSA\'s scope and statuses and finds the token endpoint and API root', () => {
    expect(settings).toEqual({ scope: 'all', newStatusId: 1, closedStatusId: 9 });
    expect(haloEndpoints('https://msp.halopsa.com', settings)).toEqual({ api: 'https://msp.halopsa.com/api', token: 'https://msp.halopsa.com/auth/token' });
    // The Resource/Authorisation Server URLs as HaloPSA shows them (…/api, …/auth) work too; a hosted tenant goes on the token request.
    expect(haloEndpoints('https://msp.halopsa.com/api/', { authServer: 'https://auth.example.com/auth', tenant: 'msp' })).toEqual({ api: 'https://msp.halopsa.com/api', token: 'https://auth.example.com/auth/token?tenant=msp' });
  });

  it('asks for a token with the client-credentials grant, form-encoded, and keeps it until shortly before expires_in', () => {
    expect(Object.fromEntries(new URLSearchParams(tokenRequestBody({ clientId: 'id', clientSecret: 's&cret=' }, settings)))).toEqual({ grant_type: 'client_credentials', client_id: 'id', client_secret: 's&cret=', scope: 'all' });
    expect(tokenUsableUntil(0, 3600)).toBe(3_540_000); // 60 s early
    expect(tokenUsableUntil(0, 100)).toBe(90_000); // a tenth of a short life early
    expect(tokenUsableUntil(0, 0)).toBe(0);
  });

  it('maps a CTA to a ticket with its marker, client, dates, status and mapped agent', () => {
    const t = ticketForCta({ ...cta, agentId: 4 }, settings);
    expect(t).toMatchObject({ summary: 'Review the backup report', client_id: 12, status_id: 1, deadlinedate: cta.dueAt, agent_id: 4 });
    expect(t.details).toContain(ticketMarker(cta.ctaId));
    expect(ticketForCta(cta, settings)).not.toHaveProperty('agent_id');
    expect(ticketForCta(cta, haloPsaSettings.parse({ ticketTypeId: 3 }))).toMatchObject({ tickettype_id: 3 });
    expect(ticketForCta({ ...cta, title: 'x'.repeat(300) }, settings).summary).toHaveLength(250);
    expect(closeTicketBody(5001, settings)).toEqual([{ id: 5001, status_id: 9 }]);
    expect(assignTicketBody(5001, 5)).toEqual([{ id: 5001, agent_id: 5 }]);
    expect(agentIdOf('42')).toBe(42);
    expect(agentIdOf('ccsm')).toBeUndefined();
    expect(agentIdOf(undefined)).toBeUndefined();
  });

  it('keeps only search hits that carry the exact marker', () => {
    const m = ticketMarker(cta.ctaId);
    expect(markedTickets([{ id: 1, details: 'something else', summary: 'x' }, { id: 2, details: `… ${m}` }], m)).toEqual([{ id: 2, details: `… ${m}` }]);
    expect(markedTickets([{ id: 3 }], m)).toEqual([{ id: 3 }]);
  });

  it('turns a webhook into the CTA report the API offers', () => {
    expect(webhookReport(item({ ticket: { id: 7, status_id: 9 } }), settings)).toEqual({ report: 'complete', note: 'HaloPSA ticket #7 closed (status 9)' });
    expect(webhookReport(item({ ticket: { id: 7, status_id: 3, hasbeenclosed: true, status_name: 'Resolved' } }), settings)).toMatchObject({ report: 'complete', note: 'HaloPSA ticket #7 closed (Resolved)' });
    expect(webhookReport(item({ ticket: { id: 7, status_id: 1 }, action: { note: '<p>Rang&nbsp;them</p>', who: 'Casey' } }), settings)).toEqual({ report: 'firstAction', note: 'HaloPSA ticket #7: note by Casey: Rang them' });
    expect(webhookReport(item({ action: { ticket_id: 8, note: 'hi' } }), settings)).toMatchObject({ report: 'firstAction' });
    expect(webhookReport(item({ ticket: { id: 7, status_id: 2, status_name: 'In Progress' } }), settings)).toEqual({ report: 'firstAction', note: 'HaloPSA ticket #7 moved to In Progress' });
    expect(webhookReport(item({ ticket: { id: 7, status_id: 1 }, action: { note: '<br/>' } }), settings)).toMatchObject({ report: 'none' });
    expect(webhookReport(item({ event: 'x' }), settings)).toMatchObject({ report: 'none' });
    // Custom statuses from the connector's settings.
    expect(webhookReport(item({ ticket: { id: 7, status_id: 20 } }), haloPsaSettings.parse({ closedStatusId: 20 }))).toMatchObject({ report: 'complete' });
    expect(haloWebhookPayload.parse([{ ticket: { id: 1 } }, { ticket: { id: 2 } }])).toHaveLength(2);
  });

  it('de-duplicates by HaloPSA\'s event id, else by the item\'s bytes', () => {
    expect(webhookEventKey(item({ id: 'abc', ticket: { id: 1 } }))).toBe('halo:abc');
    const a = webhookEventKey(item({ ticket: { id: 1, status_id: 2 } }));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(webhookEventKey(item({ ticket: { id: 1, status_id: 2 } }))).toBe(a);
    expect(webhookEventKey(item({ ticket: { id: 1, status_id: 3 } }))).not.toBe(a);
  });

  it('authenticates webhooks with Basic credentials or a secret header, nothing else', () => {
    const b = { username: 'hook', password: 'p4ssword-long' };
    expect(webhookAuthenticates(b, headers({ authorization: basic('hook', 'p4ssword-long') }))).toBe(true);
    for (const h of [{}, { authorization: basic('hook', 'p4ssword-lon') }, { authorization: basic('hoo', 'p4ssword-long') }, { authorization: basic('hook', 'p4ssword-long:') }, { authorization: 'Bearer p4ssword-long' }, { authorization: 'Basic !!!' }] as Record<string, string>[]) {
      expect(webhookAuthenticates(b, headers(h)), JSON.stringify(h)).toBe(false);
    }
    const s = { header: 'X-Baton-Secret', secret: 'a-secret-of-16-chars' };
    expect(webhookAuthenticates(s, headers({ 'x-baton-secret': 'a-secret-of-16-chars' }))).toBe(true);
    expect(webhookAuthenticates(s, headers({ 'x-baton-secret': 'a-secret-of-16-char' }))).toBe(false);
    expect(webhookAuthenticates(s, headers({}))).toBe(false);
    expect(haloPsaCredentials.safeParse({ clientId: 'a', clientSecret: 'b', webhook: { header: 'Authorization', secret: 'a-secret-of-16-chars' } }).success).toBe(false);
    expect(haloPsaCredentials.safeParse({ clientId: 'a', clientSecret: 'b' }).success).toBe(false);
  });

  it('maps a meeting to an appointment and a completed appointment to the meeting-held report', () => {
    const a = appointmentForMeeting({ meetingId: 'm-1', kind: 'QBR', clientName: 'Acme', startsAt: '2026-12-08T10:00:00-06:00', endsAt: '2026-12-08T11:00:00-06:00', haloClientId: 12, agentId: 4 });
    expect(a).toMatchObject({ subject: 'QBR with Acme', start_date: '2026-12-08T16:00:00.000Z', end_date: '2026-12-08T17:00:00.000Z', client_id: 12, agent_id: 4 });
    expect(a.note).toContain(appointmentMarker('m-1'));
    expect(moveAppointmentBody(800, '2026-12-09T16:00:00Z', '2026-12-09T17:00:00Z')).toEqual([{ id: 800, start_date: '2026-12-09T16:00:00.000Z', end_date: '2026-12-09T17:00:00.000Z' }]);
    const m = { state: 'scheduled', startsAt: '2026-12-08T16:00:00.000Z', endsAt: '2026-12-08T17:00:00.000Z' };
    expect(appointmentReport(item({ appointment: { id: 800, complete_status: 1, start_date: '2026-12-08T16:00:00Z', agent_name: 'Casey' } }), m)).toEqual({ report: 'held', appointmentId: 800, heldAt: '2026-12-08T16:00:00.000Z', by: 'Casey' });
    expect(appointmentReport(item({ appointment: { id: 800, complete_date: '2026-12-08T17:00:00Z' } }), m)).toMatchObject({ report: 'held' });
    expect(appointmentReport(item({ appointment: { id: 800, complete_status: 0 } }), m)).toEqual({ report: 'none', why: 'the appointment is not completed' });
    expect(appointmentReport(item({ ticket: { id: 1 } }), m)).toMatchObject({ report: 'none' });
  });

  it('turns HaloPSA\'s appointment changes into the meeting\'s reports, judged against the meeting as it is now', () => {
    const m = { state: 'scheduled', startsAt: '2026-12-08T10:00:00.000-06:00', endsAt: '2026-12-08T11:00:00.000-06:00' };
    const appt = (x: Record<string, unknown>, over: Record<string, unknown> = {}) => item({ id: 'evt-1', ...over, appointment: { id: 800, ...x } });
    // Moved in HaloPSA: new times (HaloPSA's API dates are UTC, with or without the Z).
    expect(appointmentReport(appt({ start_date: '2026-12-09T16:00:00', end_date: '2026-12-09T17:30:00' }), m)).toEqual({ report: 'moved', appointmentId: 800, startsAt: '2026-12-09T16:00:00.000Z', endsAt: '2026-12-09T17:30:00.000Z' });
    // Only the end changed: the start stays the meeting's.
    expect(appointmentReport(appt({ start_date: '2026-12-08T16:00:00Z', end_date: '2026-12-08T17:30:00Z' }), m)).toEqual({ report: 'moved', appointmentId: 800, startsAt: '2026-12-08T16:00:00.000Z', endsAt: '2026-12-08T17:30:00.000Z' });
    expect(appointmentReport(appt({ end_date: '2026-12-08T17:30:00Z' }), m)).toEqual({ report: 'moved', appointmentId: 800, startsAt: '2026-12-08T16:00:00.000Z', endsAt: '2026-12-08T17:30:00.000Z' });
    // Baton's own booking or move echoed back: the same instants, whatever the offset → nothing.
    expect(appointmentReport(appt({ start_date: '2026-12-08T16:00:00', end_date: '2026-12-08T17:00:00.000Z' }), m)).toEqual({ report: 'none', why: 'the appointment matches the meeting' });
    expect(appointmentReport(appt({ start_date: 'soon', end_date: 'later' }), m)).toMatchObject({ report: 'none', why: 'the appointment\'s times could not be read' });
    // Deleted (the flag, or an event named for it) → cancelled; a meeting Baton no longer has booked → nothing (Baton's own cancel echoed).
    expect(appointmentReport(appt({ deleted: true, start_date: '2026-12-08T16:00:00Z' }), m)).toEqual({ report: 'cancelled', appointmentId: 800, note: 'HaloPSA appointment #800 deleted' });
    expect(appointmentReport(appt({}, { event: 'Appointment Deleted' }), m)).toMatchObject({ report: 'cancelled' });
    expect(appointmentReport(appt({ deleted: true }), { ...m, state: 'cancelled' })).toEqual({ report: 'none', why: 'the meeting is cancelled in Baton' });
    expect(appointmentReport(appt({ start_date: '2026-12-09T16:00:00Z', end_date: '2026-12-09T17:00:00Z' }), { ...m, state: 'held' })).toEqual({ report: 'none', why: 'the meeting is held in Baton' });
    // A cancelled status and a "did not attend" completion status are tenant-defined: only when the connector names them.
    const s = haloPsaSettings.parse({ cancelledAppointmentStatusId: 4, noShowCompleteStatusId: 3 });
    expect(appointmentReport(appt({ appointment_status: 4, start_date: '2026-12-08T16:00:00Z', end_date: '2026-12-08T17:00:00Z' }), m, s)).toEqual({ report: 'cancelled', appointmentId: 800, note: 'HaloPSA appointment #800 set to cancelled (status 4)' });
    expect(appointmentReport(appt({ appointment_status: 4, start_date: '2026-12-08T16:00:00Z', end_date: '2026-12-08T17:00:00Z' }), m)).toMatchObject({ report: 'none' });
    expect(appointmentReport(appt({ complete_status: 3 }), m, s)).toEqual({ report: 'noShow', appointmentId: 800 });
    expect(appointmentReport(appt({ complete_status: 3 }), m)).toMatchObject({ report: 'held' });
    expect(appointmentReport(appt({ complete_status: 1 }), m, s)).toMatchObject({ report: 'held' });
    expect(settings).not.toHaveProperty('noShowCompleteStatusId');
  });

  it('reads HaloPSA dates as UTC when they carry no offset', () => {
    expect(haloInstant('2026-12-08T16:00:00')).toBe('2026-12-08T16:00:00.000Z');
    expect(haloInstant('2026-12-08T16:00:00.5')).toBe('2026-12-08T16:00:00.500Z');
    expect(haloInstant('2026-12-08T10:00:00-06:00')).toBe('2026-12-08T16:00:00.000Z');
    expect(haloInstant('2026-12-08T16:00:00Z')).toBe('2026-12-08T16:00:00.000Z');
    expect(haloInstant('nonsense')).toBeUndefined();
    expect(haloInstant(null)).toBeUndefined();
  });
});
