/** A recorded history in its JSON form (test/fixtures/histories: ids as strings, payload data as base64). */
interface HistoryJson { events: EventJson[] }
type EventJson = Record<string, unknown> & { eventId: string; eventType: string; eventTime?: unknown };

const COMPLETED = 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED';
const SCHEDULED = 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED';

/**
 * Rewrites a recorded history as if a workflow task had ended right after the `nth` (from 1)
 * local activity marker of `activityType`, the commands that followed it landing in the next
 * task. That is what the SDK records when a local activity's result races the task's heartbeat
 * (a local activity outlasting 80% of the task timeout, e.g. a database under load): the marker
 * goes out with one task, the code that ran on its result with the next. Later event ids, and
 * every reference to them, move by the three inserted events.
 */
export function splitTaskAfterLocalActivity(history: HistoryJson, activityType: string, nth = 1): HistoryJson {
  const events = structuredClone(history.events);
  let seen = 0;
  const at = events.findIndex((e) => localActivityType(e) === activityType && ++seen === nth);
  if (at < 0) throw new Error(`no local activity marker #${nth} of ${activityType}`);
  const markerId = Number(events[at]!.eventId);
  const previousCompleted = String(Number(events.slice(0, at).reverse().find((e) => e.eventType === COMPLETED)!.eventId));
  for (const e of events) renumber(e, (id) => (id > markerId ? id + 3 : id));
  const [scheduled, started, completed] = [markerId + 1, markerId + 2, markerId + 3].map(String);
  // The commands between the split and the next task now belong to the inserted task.
  for (const e of events.slice(at + 1)) {
    if (e.eventType === SCHEDULED) break;
    for (const attrs of Object.values(e)) {
      const a = attrs as { workflowTaskCompletedEventId?: string } | null;
      if (a && typeof a === 'object' && a.workflowTaskCompletedEventId === previousCompleted) a.workflowTaskCompletedEventId = completed;
    }
  }
  const time = events[at]!.eventTime;
  const taskQueue = (events[0]!.workflowExecutionStartedEventAttributes as { taskQueue: unknown }).taskQueue;
  events.splice(at + 1, 0,
    { eventId: scheduled!, eventTime: time, eventType: SCHEDULED, workflowTaskScheduledEventAttributes: { taskQueue, startToCloseTimeout: '10s', attempt: 1 } },
    { eventId: started!, eventTime: time, eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED', workflowTaskStartedEventAttributes: { scheduledEventId: scheduled, identity: 'history-surgery' } },
    { eventId: completed!, eventTime: time, eventType: COMPLETED, workflowTaskCompletedEventAttributes: { scheduledEventId: scheduled, startedEventId: started, identity: 'history-surgery' } });
  return { ...history, events };
}

function localActivityType(e: EventJson): string | undefined {
  const m = e.markerRecordedEventAttributes as { markerName: string; details?: { data?: { payloads?: { data: string }[] } } } | undefined;
  const data = m?.markerName === 'core_local_activity' ? m.details?.data?.payloads?.[0]?.data : undefined;
  return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { activity_type: string }).activity_type : undefined;
}

/** Moves every `eventId` / `…EventId` field (history events refer to each other by id) through `shift`. */
function renumber(node: Record<string, unknown>, shift: (id: number) => number): void {
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'eventId' || k.endsWith('EventId')) && (typeof v === 'string' || typeof v === 'number')) node[k] = String(shift(Number(v)));
    else if (v && typeof v === 'object') renumber(v as Record<string, unknown>, shift);
  }
}

/** The patch ids a history's markers record, in order. */
export function patchIds(history: HistoryJson): string[] {
  return history.events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes as { markerName: string; details?: Record<string, { payloads?: { data: string }[] }> } | undefined;
    const data = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
}

/** The local activity types a history's markers record, each once, in order of first use. */
export function localActivityTypes(history: HistoryJson): string[] {
  return [...new Set(history.events.map(localActivityType).filter((t): t is string => !!t))];
}
