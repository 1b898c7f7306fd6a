/** Policy area: Consultative Sales, lead to Day 0 (R-40..R-45). Pure (imported from workflow code). */
import { z } from 'zod';
import { group, issue, minutes, perSegment, role, segRole } from './vocabulary.js';

const FORMATS = ['live-roadmap-seeding', 'light-async-video', 'minimal'] as const;

export const sales = () => group(
  {
    owner: role('AM', 'Owns the sale from trigger to Day 0: hypothesis, price tests, convert or park (R-40, R-42, R-44)'),
    discoveryMinutes: minutes(30, 'Decision-first discovery length (R-41)'),
    discoveryFormat: perSegment(
      (s) => z.enum(FORMATS).default(s === 'A' || s === 'B' ? 'live-roadmap-seeding' : s === 'C' ? 'light-async-video' : 'minimal')
        .describe('Discovery format (R-41): A/B live with roadmap seeding, C light + async video (1–2 initiatives), D minimal'),
      'Discovery format per segment (R-41)',
    ),
    discoveryPresenter: segRole({ A: 'vCIO', B: 'vCIO', C: 'AM', D: 'AM' }, 'Who presents the discovery and the decision review (R-41 "vCIO presents A/B")'),
    priceTestMaxBands: z.number().int().min(1).max(2).default(2).describe('Bands offered in one price test (R-42: 1–2)'),
    handoffCadenceMonths: z.number().int().min(6).max(12).default(12).describe('Months of cadence invites in the handoff packet (R-44: 6–12)'),
  },
  'Consultative Sales (R-40..R-45)',
).superRefine((s, ctx) => {
  if (s.discoveryMinutes < 1) issue(ctx, ['discoveryMinutes'], 'discoveryMinutes must be ≥ 1');
});
