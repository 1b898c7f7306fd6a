// Every Baton workflow, registered with the worker from this one module.
export { placementReview } from './placement-review.js';
