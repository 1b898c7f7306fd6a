/**
 * Roadmap versions (DOMAIN §2.15 R-85..R-87): validation (every item linked to an initiative or
 * proposal id, lanes A-4), the big-rock rule (R-86: ≤2 per quarter, extras to the next free
 * quarter with a note) and whether a version changed anything.
 *
 * Pure and deterministic: no I/O, no clock.
 */
import type { Problem } from './budget.js';
import { nextQuarter, QUARTER_RE } from './quarters.js';

export interface RoadmapItemInput { initiativeId: string; proposalId?: string; quarter: string; lane: string; note?: string }
export interface PlacedItem extends RoadmapItemInput { bigRock: boolean }

/** orphans rejected (an item names an initiative, or a proposal of that initiative, of this client); lanes A-4. */
export function roadmapProblems(items: RoadmapItemInput[], ctx: { initiatives: ReadonlySet<string>; proposals: ReadonlyMap<string, string>; lanes: readonly string[] }): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (!ctx.initiatives.has(it.initiativeId)) out.push({ path: `items.${i}.initiativeId`, message: `${it.initiativeId} is not an initiative of this client: every roadmap item links an initiative (R-85)` });
    if (it.proposalId !== undefined && ctx.proposals.get(it.proposalId) !== it.initiativeId) out.push({ path: `items.${i}.proposalId`, message: `${it.proposalId} is not a proposal of initiative ${it.initiativeId} (R-85)` });
    if (!QUARTER_RE.test(it.quarter)) out.push({ path: `items.${i}.quarter`, message: 'a quarter is YYYY-Qn (C-7)' });
    if (!ctx.lanes.includes(it.lane)) out.push({ path: `items.${i}.lane`, message: `lane ${it.lane} is not one of ${ctx.lanes.join(', ')} (A-4, R-85)` });
    if (seen.has(it.initiativeId)) out.push({ path: `items.${i}.initiativeId`, message: `initiative ${it.initiativeId} is on the roadmap twice` });
    seen.add(it.initiativeId);
  });
  return out;
}

/**
 * at most `maxPerQuarter` big rocks a quarter, in the order given; an extra one moves to the
 * next quarter with room, with a note saying so.
 */
export function placeBigRocks(items: RoadmapItemInput[], isBigRock: (initiativeId: string) => boolean, maxPerQuarter: number): { items: PlacedItem[]; moved: { initiativeId: string; from: string; to: string }[] } {
  const count = new Map<string, number>();
  const moved: { initiativeId: string; from: string; to: string }[] = [];
  const placed = items.map((it): PlacedItem => {
    if (!isBigRock(it.initiativeId)) return { ...it, bigRock: false };
    let q = it.quarter;
    while ((count.get(q) ?? 0) >= maxPerQuarter) q = nextQuarter(q);
    count.set(q, (count.get(q) ?? 0) + 1);
    if (q === it.quarter) return { ...it, bigRock: true };
    moved.push({ initiativeId: it.initiativeId, from: it.quarter, to: q });
    const note = `moved from ${it.quarter}: at most ${maxPerQuarter} big rocks per quarter (R-86)`;
    return { ...it, quarter: q, bigRock: true, note: it.note ? `${it.note}; ${note}` : note };
  });
  return { items: placed, moved };
}

/** Whether a version adds, removes or moves anything against the previous one (a review that moved nothing is unchanged). */
export function roadmapChanged(previous: { initiativeId: string; quarter: string; lane: string }[] | undefined, next: { initiativeId: string; quarter: string; lane: string }[]): boolean {
  if (!previous) return next.length > 0;
  const key = (x: { initiativeId: string; quarter: string; lane: string }) => `${x.initiativeId}|${x.quarter}|${x.lane}`;
  const a = new Set(previous.map(key));
  const b = new Set(next.map(key));
  return a.size !== b.size || [...a].some((k) => !b.has(k));
}
