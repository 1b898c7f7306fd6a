/**
 * MSP roles (DOMAIN §1 Roles, §2.19). Every CTA resolves to one person holding one of these.
 * The seed's "CS Manager" (escalation, R-94) is the CS Lead role here.
 */
export const MSP_ROLES = ['AM', 'TAM', 'CSM', 'vCIO', 'vCTO', 'vCISO', 'PM', 'CS Lead'] as const;
export type MspRole = (typeof MSP_ROLES)[number];

/** Client-side stakeholder roles (R-123 pairing; executive sponsor and champion drive ). */
export const STAKEHOLDER_ROLES = ['executiveSponsor', 'champion', 'decisionMaker', 'budgetHolder', 'itOps', 'riskCompliance', 'architect', 'other'] as const;
export type StakeholderRole = (typeof STAKEHOLDER_ROLES)[number];

/** Goal level implied by a segment; A is Goal 4 unless Goal 5 is chosen explicitly. */
export const SEGMENT_GOAL_LEVELS = { A: [4, 5], B: [3], C: [2], D: [1] } as const;
