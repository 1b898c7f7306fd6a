/**
 * MSP roles (DOMAIN §1 Roles, §2.19). Every CTA resolves to one person holding one of these.
 * The seed's "CS Manager" (escalation, R-94) is the CS Lead role here.
 */
export const MSP_ROLES = ['AM', 'TAM', 'CSM', 'vCIO', 'vCTO', 'vCISO', 'PM', 'CS Lead'] as const;
export type MspRole = (typeof MSP_ROLES)[number];

/**
 * Roles a client's own people hold in the client (several per person): the executive sponsor
 * champion and decision-maker, and the counterparts of the MSP
 * roles in the R-123 pairing — IT contact / IT-Ops lead (TAM), operations / admin lead (CSM),
 * budget holder (AM), C-level executive such as the CEO or CFO (vCIO), risk / compliance officer
 * (vCISO), architect (vCTO).
 */
export const STAKEHOLDER_ROLES = [
  'executiveSponsor', 'champion', 'decisionMaker', 'budgetHolder', 'itOps', 'opsAdmin', 'executive', 'riskCompliance', 'architect', 'other',
] as const;
export type StakeholderRole = (typeof STAKEHOLDER_ROLES)[number];

/** One line per stakeholder role, for API descriptions and views. */
export const STAKEHOLDER_ROLE_LABELS: Record<StakeholderRole, string> = {
  executiveSponsor: 'executive sponsor (R-17, R-50, R-104)',
  champion: 'champion (R-19)',
  decisionMaker: 'decision-maker (R-26, R-106)',
  budgetHolder: 'budget holder (R-123: AM)',
  itOps: 'IT contact / IT-Ops lead (R-123: TAM)',
  opsAdmin: 'operations / admin lead (R-123: CSM)',
  executive: 'C-level executive, e.g. CEO or CFO (R-123: vCIO)',
  riskCompliance: 'risk / compliance officer (R-123: vCISO)',
  architect: 'architect or technical advisor (R-123: vCTO)',
  other: 'other',
};

/** Goal level implied by a segment; A is Goal 4 unless Goal 5 is chosen explicitly. */
export const SEGMENT_GOAL_LEVELS = { A: [4, 5], B: [3], C: [2], D: [1] } as const;
