import { DateTime } from 'luxon';

/** An instant as people read it, in `zone`: "Tue 16 Mar 2027, 10:00". */
export function when(iso: string | null | undefined, zone = 'UTC'): string {
  if (!iso) return '—';
  const t = DateTime.fromISO(iso, { setZone: true }).setZone(zone);
  return t.isValid ? t.toFormat('ccc d LLL yyyy, HH:mm') : iso;
}

/** A date only: "Tue 16 Mar 2027". */
export function day(iso: string | null | undefined, zone = 'UTC'): string {
  if (!iso) return '—';
  const t = DateTime.fromISO(iso, { setZone: true }).setZone(zone);
  return t.isValid ? t.toFormat('ccc d LLL yyyy') : iso;
}

export const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} %`);

/** A JSON value in one short line (why/data values on the timeline). */
export function short(v: unknown, max = 160): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? '' : s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** "kickoff.held" → "Kickoff held"; camelCase → words. */
export function words(key: string): string {
  const s = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[._-]+/g, ' ').trim().toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The Temporal Web UI page of a workflow (its latest run), or undefined when no UI is known. */
export function temporalLink(uiUrl: string | undefined, namespace: string | undefined, workflowId: string | null | undefined): string | undefined {
  if (!uiUrl || !workflowId) return undefined;
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace ?? 'default')}/workflows/${encodeURIComponent(workflowId)}`;
}

/** A query string from the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
