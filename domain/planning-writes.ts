/**
 * The row writes a planning process asks for (effect kind `planning`, domain/effects.ts), applied
 * by db/planning-writes.ts inside the one transaction that records the batch's ledger events and
 * CTAs (activities `recordProcessEffects`). Each write is idempotent: a retried batch lands once.
 *
 * Pure types (imported from Temporal workflow code).
 */

export interface OwnerRef { role: string; stakeholderId?: string; name?: string }

/** Columns of an initiative row its workflow may change. */
export interface InitiativeColumns {
  state?: string;
  stateChangedAt?: string;
  quarter?: string;
  flags?: string[];
  parked?: { reason: string; quarter: string; at: string } | null;
  approvedAt?: string | null;
  approval?: Record<string, unknown> | null;
}

/** Columns of a proposal row its workflow may change. */
export interface ProposalColumns {
  status?: string;
  sentAt?: string;
  bucket?: string | null;
  reengagedAt?: string;
  decidedAt?: string;
  decision?: { outcome: string; reason?: string; note?: string; optionIndex?: number } | null;
}

export type PlanningWrite =
  | { op: 'initiative'; initiativeId: string; set: InitiativeColumns }
  | { op: 'priceTest'; row: { id: string; initiativeId: string; owner: OwnerRef; quarter: string; minUsd: number; maxUsd: number; outcome: 'viable' | 'notNow'; reason?: string; note?: string; loggedAt: string } }
  | { op: 'preApproval'; row: { id: string; initiativeId: string; owner: OwnerRef; quarter: string; minUsd: number; maxUsd: number; loggedAt: string } }
  | { op: 'preApprovalStatus'; preApprovalId: string; status: 'used' | 'expired' | 'superseded' | 'withdrawn' | 'active'; at: string; reengagedAt?: string }
  | { op: 'proposal'; proposalId: string; set: ProposalColumns }
  /**
   * an initiative parked to `quarter`: a new roadmap version and a new budget version
   * with its items and lines moved there (only where it has any), each with `note`.
   */
  | { op: 'parkPlans'; initiativeId: string; quarter: string; note: string; ruleId: string }
  /** A planning clock handled a due step (db planning_marks). */
  | { op: 'mark'; subject: string; key: string };
