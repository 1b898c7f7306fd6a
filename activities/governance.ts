import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import { conveneSession } from '../db/governance.js';
import { activePolicy } from '../db/policies.js';
import { reconcileCapacityGap } from '../db/portfolio.js';
import { nextSession, type Routine, type SessionSlot } from '../domain/governance.js';
import type { GovernanceSession } from '../domain/governance-process.js';
import { dispatchWorkflowStart, notifyCtaClock } from '../runtime/processes.js';
import { heartbeat } from './failures.js';

/**
 * The governance routines' I/O (R-125): planning the next session from the policy in force, and
 * convening a due one — agenda from the data, the session row, its CTAs and credit gates in one
 * transaction (db/governance.ts) — then the CTA clocks and the R-6 capacity-gap check (every
 * session re-evaluates it, so an alert a crashed hook missed is caught here too).
 */
export function governanceActivities({ db }: { db: Db }) {
  return {
    async planGovernanceSession(input: { routine: Routine; after: string }): Promise<SessionSlot | null> {
      return nextSession(input.routine, input.after, (await activePolicy(db)).document) ?? null;
    },

    async conveneGovernanceSession(input: { routine: Routine; planned: SessionSlot; at: string; workflowId: string }): Promise<{ session?: GovernanceSession; next?: SessionSlot; ctasOpened: string[] }> {
      let beat = 0;
      const r = await conveneSession(db, { ...input, heartbeat: () => heartbeat(beat++) });
      const ctx = Context.current();
      const target = { client: ctx.client, taskQueue: ctx.info.taskQueue };
      for (const id of r.ctaClocks) await dispatchWorkflowStart(target, db, 'cta-clock', id);
      const gap = await reconcileCapacityGap(db, input.at);
      if (gap.action === 'opened' && gap.ctaId) await dispatchWorkflowStart(target, db, 'cta-clock', gap.ctaId);
      if (gap.action === 'closed' && gap.ctaId) await notifyCtaClock(target, db, gap.ctaId);
      return { ...(r.convened ? { session: r.convened.session } : {}), ...(r.next ? { next: r.next } : {}), ctasOpened: r.convened?.ctasOpened ?? [] };
    },
  };
}
