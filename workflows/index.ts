// Every Baton workflow, registered with the worker from this one module.
export { ctaSla } from './cta-sla.js';
export { placementReview } from './placement-review.js';
export { onboarding } from './onboarding.js';
export { cadence } from './cadence.js';
export { delivery } from './delivery.js';
export { governanceRoutine } from './governance.js';
export { initiative } from './initiative.js';
export { proposal } from './proposal.js';
export { planningLoop } from './planning-loop.js';
export { health } from './health.js';
export { atRisk } from './at-risk.js';
export { sale } from './sale.js';
export { upsell } from './upsell.js';
export { planningCycle } from './planning-cycle.js';
export { notificationSweep } from './notification-sweep.js';
export { connectorPoller } from './connector-poller.js';
export { msgraphSubscriptions } from './msgraph-subscriptions.js';
