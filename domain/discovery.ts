/**
 * Discovery and Assessment intake (DOMAIN §2.11 R-67..R-70): who owns them and in what format by
 * segment, what an assessment must look like (5–7 categories scored Not applicable / At Risk /
 * Needs Attention / Satisfactory), where each Discovery insight goes, what a client's goal level
 * asks for, and how often each is due.
 *
 * Pure and deterministic: no I/O, no clock.
 */
import type { Problem } from './budget.js';
import type { Frequency } from './policy/vocabulary.js';
import type { Policy, Role } from './policy.js';

export const INSIGHT_ROUTES = ['assessment', 'initiative', 'roadmap'] as const;
export type InsightRoute = (typeof INSIGHT_ROUTES)[number];
export const ASSESSMENT_SCOPES = ['portfolio', 'singleProject', 'riskTargeted'] as const;
export const CATEGORY_SCORES = ['NotApplicable', 'AtRisk', 'NeedsAttention', 'Satisfactory'] as const;
export type CategoryScore = (typeof CATEGORY_SCORES)[number];
/** what the pre-work reviews. */
export const DISCOVERY_PRE_WORK = ['health', 'tickets', 'roadmap', 'leadershipChanges'] as const;
export const NOTE_TAGS = ['Business', 'Enablement', 'Technology'] as const;
type Segment = 'A' | 'B' | 'C' | 'D';

/** the Discovery owner (vCIO A/B, CSM C, TAM D), format and cadence by segment. */
export function discoveryPlan(policy: Policy, segment: Segment): { ownerRole: Role; format: string; cadence: Frequency } {
  const da = policy.discoveryAssessment;
  return { ownerRole: policy.raci[segment].processOwners.discoveryOwner, format: da.discoveryFormat[segment], cadence: da.discoveryCadence[segment] };
}

/** what the goal level asks for, and whether it makes an assessment due (Goal 1 only with evident appetite). */
export function assessmentRequirement(policy: Policy, goalLevel: number, appetite: number): { requirement: 'ifAppetite' | 'recommended' | 'mandatory' | 'innovationReadiness'; due: boolean } {
  const key = `goal${Math.min(5, Math.max(1, goalLevel))}` as 'goal1';
  const requirement = policy.discoveryAssessment.assessmentByGoal[key];
  return { requirement, due: requirement !== 'ifAppetite' || appetite >= policy.segmentation.highScoreCutoff };
}

export function assessmentOwner(policy: Policy, segment: Segment): Role {
  return policy.discoveryAssessment.assessmentOwner[segment];
}

/** 5–7 categories (policy range), each named once. */
export function categoryProblems(categories: { name: string }[], policy: Policy): Problem[] {
  const { min, max } = policy.discoveryAssessment.assessmentCategories;
  const out: Problem[] = [];
  if (categories.length < min || categories.length > max) out.push({ path: 'categories', message: `an assessment scores ${min}–${max} categories (R-70); ${categories.length} were sent` });
  const seen = new Set<string>();
  categories.forEach((c, i) => {
    if (seen.has(c.name.toLowerCase())) out.push({ path: `categories.${i}.name`, message: `category ${c.name} is scored twice` });
    seen.add(c.name.toLowerCase());
  });
  return out;
}

/** an insight routed to an initiative (clear) or the roadmap (timed/funded) becomes an Initiative Card, so it needs one. */
export function insightProblems(insights: { route: InsightRoute; initiative?: unknown }[]): Problem[] {
  return insights.flatMap((x, i) => (x.route !== 'assessment' && !x.initiative ? [{ path: `insights.${i}.initiative`, message: `an insight routed to ${x.route === 'roadmap' ? 'the roadmap' : 'an initiative'} needs its initiative card (title, lane, quarter; R-68, R-71)` }] : []));
}

/** A cadence as months between occurrences; none for trigger-only. */
export function frequencyMonths(f: Frequency): number | null {
  return ({ weekly: null, biweekly: null, monthly: 1, quarterly: 3, semiannual: 6, annual: 12, triggerOnly: null, none: null } as const)[f];
}

/** How a category score reads as a 1–4 finding score for onboarding's step 3. */
export const scoreOrdinal: Record<CategoryScore, number> = { AtRisk: 1, NeedsAttention: 2, Satisfactory: 3, NotApplicable: 3 };
