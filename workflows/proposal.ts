import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  accept, decide, due, followUpRecorded, initialState, isFinished, nextDue, statusView,
  type ProposalAction, type ProposalState, type ProposalStatusView, type Step,
} from '../domain/proposals.js';
import { PROPOSAL_REFUSAL_TYPES, proposalAction, proposalStatus, type ProposalActionResult, type ProposalInput } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * One proposal's clock (DOMAIN §2.13, R-76..R-80): sent, it ages (buckets 0–14, 15–30, >30 days);
 * at age 31 the re-engage play (CTA to the AM, a 20-minute live reset "now vs next quarter" booked
 * through the cadence within 7 days, the Alignment At-Risk signal, R-78, R-93); at 61 with no
 * client decision it expires: decline-reason CTA 72h, its initiative parked and roadmap and
 * budget versioned. Each step tells the initiative. The rules live in domain/proposals.ts;
 * the run ends with the proposal, so a late acceptance finds it finished.
 */
const SYSTEM: Actor = { kind: 'system' };

const { prepareProposal } = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });
// Telling another process waits for its Update (the initiative may in turn tell the cadence, R-16).
const { reportToInitiative, reportToOnboarding, requestProposalReset } = proxyActivities<Activities>({
  startToCloseTimeout: '4 minutes', retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

export async function proposal(input: ProposalInput): Promise<ProposalStatusView | null> {
  let firstActionHours: number | undefined; // from the record's policy once it is read
  const now = () => new Date(Date.now()).toISOString();
  const kernel = new ProcessKernel<ProposalState, ProposalAction, ProposalActionResult>({
    process: 'proposal', clientId: input.clientId, refusalTypes: PROPOSAL_REFUSAL_TYPES, initialStep: 'starting', firstActionHours: () => firstActionHours,
  });
  kernel.serveStatus(proposalStatus, (st) => statusView(st, now()));
  kernel.serveReports(proposalAction, {
    decide,
    async accept(st, req) {
      const step = accept(st, req.action, req.at);
      const result: ProposalActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, status: st.status, ctasOpened: [] };
      return {
        result,
        async complete() {
          const done = await run(st, `a${result.sequence}`, step, req.actor, req.at);
          result.ctasOpened = done.ctas;
          if (done.initiative) result.initiative = done.initiative;
          kernel.step(st.status);
        },
      };
    },
  });

  const setup = await prepareProposal(input.proposalId);
  if (!setup) return null;
  const s = initialState(setup);
  firstActionHours = s.setup.policy.meeting.firstActionHours;
  kernel.ready(s);
  kernel.step(s.status);

  await kernel.runDue({
    until: () => isFinished(s),
    next: () => nextDue(s),
    async act(d) {
      const at = dueInstant(d.at);
      const step = due(s, d.key, at);
      await run(s, `t${s.ticks}-${d.key}`, step, SYSTEM, at);
      kernel.step(s.status);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  return statusView(s, now());

  /** Records a step's effects, then tells the initiative, onboarding or cadence and records what became of it. */
  async function run(st: ProposalState, batchKey: string, step: Step, actor: Actor, at: string) {
    const ctas = await kernel.record(batchKey, step.effects, actor, at);
    let initiative: ProposalActionResult['initiative'];
    for (const [i, f] of step.followUps.entries()) {
      const key = `${kernel.workflowId}/${batchKey}/${f.kind}`;
      let outcome: Parameters<typeof followUpRecorded>[2];
      if (f.kind === 'initiative') {
        const r = await reportToInitiative({ initiativeId: st.setup.initiativeId, action: f.action, key, actor, at });
        outcome = { outcome: r.outcome, ...(r.detail ? { detail: r.detail } : {}) };
        initiative = { outcome: r.outcome, ...(r.state ? { state: r.state } : {}), ...(r.detail ? { detail: r.detail } : {}) };
      } else if (f.kind === 'onboarding') {
        const r = await reportToOnboarding({ clientId: st.setup.clientId, action: { type: 'proposalSent', title: `${f.title} (v${st.setup.version})`, initiative: st.setup.initiativeId }, key, actor, at });
        outcome = { outcome: r.outcome === 'not-running' ? 'skipped' : r.outcome, ...(r.detail ? { detail: r.detail } : {}) };
      } else {
        const r = await requestProposalReset({ clientId: st.setup.clientId, proposalId: st.setup.proposalId, title: f.title, withinDays: f.withinDays, minutes: f.minutes, ownerRole: f.ownerRole, presenterRole: f.presenterRole, key, actor, at });
        outcome = { outcome: r.outcome, ...('detail' in r && r.detail ? { detail: r.detail } : {}), ...('meetingId' in r && r.meetingId ? { meetingId: r.meetingId } : {}) };
      }
      ctas.push(...(await kernel.record(`${batchKey}-f${i}`, followUpRecorded(st, f, outcome, at), actor, at)));
    }
    return { ctas, initiative };
  }
}
