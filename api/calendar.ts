import ical, { ICalEventStatus } from 'ical-generator';
import type { feedContents } from '../db/calendar-feeds.js';

/** How long a CTA's due date shows as an event (a reminder slot, not a meeting). */
const CTA_SLOT_MINUTES = 15;

/**
 * A person's iCalendar feed. UIDs are stable per meeting and CTA (`meeting-<id>@baton`,
 * `cta-<id>@baton`) and LAST-MODIFIED follows the row, so calendar apps update an event when it
 * moves instead of adding a second one; cancelled meetings stay, marked CANCELLED.
 */
export function renderCalendar(person: { name: string }, contents: Awaited<ReturnType<typeof feedContents>>, now: Date): string {
  const cal = ical({ name: `Baton — ${person.name}`, prodId: { company: 'Baton', product: 'baton', language: 'EN' }, ttl: 15 * 60 });
  for (const { meeting: m, clientName } of contents.meetings) {
    cal.createEvent({
      id: `meeting-${m.id}@baton`,
      start: new Date(m.startsAt),
      end: new Date(m.endsAt),
      stamp: now,
      lastModified: new Date(m.updatedAt),
      summary: `${clientName}: ${m.kind} (${m.mode})`,
      description: `Baton ${m.process} meeting for ${clientName}. State: ${m.state}.`,
      status: m.state === 'cancelled' ? ICalEventStatus.CANCELLED : m.state === 'scheduled' ? ICalEventStatus.CONFIRMED : null,
    });
  }
  for (const { cta: c, clientName } of contents.ctas) {
    const due = new Date(c.dueAt);
    cal.createEvent({
      id: `cta-${c.id}@baton`,
      start: due,
      end: new Date(due.getTime() + CTA_SLOT_MINUTES * 60_000),
      stamp: now,
      lastModified: new Date(c.updatedAt),
      summary: `CTA due: ${c.title} (${clientName})`,
      description: `${c.kind} CTA from ${c.ruleId}; first action due ${c.firstActionDueAt}; state ${c.state}.`,
    });
  }
  return cal.toString();
}
