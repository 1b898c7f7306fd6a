/** Policy areas: RACI by segment (§2.19, R-122, A-11). Pure (imported from workflow code). */
import { z } from 'zod';
import { STAKEHOLDER_ROLES } from '../roles.js';
import { count, flag, group, int, perSegment, role, roleOrNone, roles, type Role } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// RACI by segment (§2.19, R-122, A-11)

interface SegmentRaciDefaults {
  cadenceOwner: Role;
  cadenceBackup: Role;
  annualPlanning: { accountable: Role; accountableFallback: Role | null; presenter: Role | null; recorder: Role | null; consulted: Role[]; backup: Role };
  strategic: { accountable: Role; presenter: Role; recorder: Role; consulted: Role[]; informed: Role[]; backup: Role } | null;
  serviceReview: { optional: boolean; accountable: Role; consulted: Role[]; informed: Role[]; backup: Role };
  roadmapBudget: { accountable: Role; responsible: Role | null; consulted: Role[] };
  adoption: { dataOwner: Role; followThrough: Role };
  atRisk: { owner: Role; presenter: Role };
  processOwners: { onboardingAccountable: Role; kickoffPresenter: Role; prepReviewSignoff: Role; dateTriggerOwner: Role; discoveryOwner: Role; reengagePresenter: Role };
}

const strategicRaci = (v: NonNullable<SegmentRaciDefaults['strategic']>, p: string) =>
  z.object({
    accountable: role(v.accountable, `${p} strategic Accountable (§2.19)`),
    presenter: role(v.presenter, `${p} strategic presenter (§2.19)`),
    recorder: role(v.recorder, `${p} strategic recorder (§2.19)`),
    consulted: roles(v.consulted, `${p} strategic Consulted (§2.19)`),
    informed: roles(v.informed, `${p} strategic Informed (§2.19)`),
    backup: role(v.backup, `${p} strategic backup (§2.19)`),
  });

function segmentRaci(seg: string, v: SegmentRaciDefaults) {
  const p = `${seg}:`;
  const defaultStrategic = v.strategic;
  return group(
    {
      cadenceOwner: role(v.cadenceOwner, `${p} Cadence Owner (§2.19, A-11)`),
      cadenceBackup: role(v.cadenceBackup, `${p} Cadence Owner backup (§2.19, R-122)`),
      annualPlanning: group(
        {
          accountable: role(v.annualPlanning.accountable, `${p} annual planning Accountable (§2.19)`),
          accountableFallback: roleOrNone(v.annualPlanning.accountableFallback, `${p} Accountable when none of that role (§2.19)`),
          presenter: roleOrNone(v.annualPlanning.presenter, `${p} annual planning presenter (§2.19)`),
          recorder: roleOrNone(v.annualPlanning.recorder, `${p} annual planning recorder (§2.19)`),
          consulted: roles(v.annualPlanning.consulted, `${p} annual planning Consulted (§2.19)`),
          backup: role(v.annualPlanning.backup, `${p} annual planning backup (§2.19, R-122)`),
        },
        `${p} annual planning RACI (§2.19)`,
      ),
      // D has no strategic meetings ("—"); if an MSP adds them, unset fields follow D's
      // annual-planning line (TAM, backup CSM) rather than another segment's roles.
      strategic: strategicRaci(
        defaultStrategic ?? { accountable: 'TAM', presenter: 'TAM', recorder: 'TAM', consulted: [], informed: [], backup: 'CSM' },
        p,
      )
        .nullable()
        .default(() => (defaultStrategic ? copyStrategicRaci(defaultStrategic) : null))
        .describe(`${p} strategic/QBR RACI; null = no strategic meetings (§2.19)`),
      serviceReview: group(
        {
          optional: flag(v.serviceReview.optional, `${p} Service Review optional (§2.19)`),
          accountable: role(v.serviceReview.accountable, `${p} Service Review Accountable (§2.19)`),
          consulted: roles(v.serviceReview.consulted, `${p} Service Review Consulted (on scope change) (§2.19)`),
          informed: roles(v.serviceReview.informed, `${p} Service Review Informed (§2.19)`),
          backup: role(v.serviceReview.backup, `${p} Service Review backup (§2.19)`),
        },
        `${p} Service Review RACI (§2.19)`,
      ),
      roadmapBudget: group(
        {
          accountable: role(v.roadmapBudget.accountable, `${p} roadmap & budget Accountable (§2.19, R-81, R-85)`),
          responsible: roleOrNone(v.roadmapBudget.responsible, `${p} roadmap & budget Responsible (§2.19)`),
          consulted: roles(v.roadmapBudget.consulted, `${p} roadmap & budget Consulted (§2.19)`),
        },
        `${p} roadmap & budget RACI (§2.19)`,
      ),
      adoption: group(
        {
          dataOwner: role(v.adoption.dataOwner, `${p} adoption/DMI data (§2.19)`),
          followThrough: role(v.adoption.followThrough, `${p} adoption follow-through (§2.19)`),
        },
        `${p} adoption/DMI RACI (§2.19)`,
      ),
      healthAlerts: group(
        {
          accountable: role('CSM', `${p} health & alerts Accountable (§2.19)`),
          responsible: role('TAM', `${p} health & alerts Responsible (§2.19)`),
          informed: roles(['AM', 'vCIO'], `${p} health & alerts Informed (§2.19)`),
          backup: role('AM', `${p} health & alerts backup (§2.19)`),
        },
        `${p} health & alerts RACI (§2.19)`,
      ),
      renewalPricing: group(
        {
          accountable: role('AM', `${p} renewal & pricing Accountable (§2.19)`),
          consulted: roles(['CSM'], `${p} renewal & pricing Consulted (§2.19)`),
          informed: roles(['vCIO'], `${p} renewal & pricing Informed (§2.19)`),
        },
        `${p} renewal & pricing RACI (§2.19)`,
      ),
      atRisk: group(
        {
          owner: role(v.atRisk.owner, `${p} At Risk owner; Service bucket uses atRisk.ownerByBucket (§2.19, R-94)`),
          presenter: role(v.atRisk.presenter, `${p} At Risk presenter (§2.19)`),
          commercial: role('AM', `${p} At Risk commercial lead (§2.19)`),
          escalation: role('CS Lead', `${p} At Risk escalation / CS Manager (§2.19, R-94)`),
        },
        `${p} At Risk RACI (§2.19)`,
      ),
      nrr: group(
        {
          accountable: role('AM', `${p} NRR/NDR Accountable (§2.19)`),
          responsible: role('TAM', `${p} NRR/NDR Responsible (§2.19)`),
          consulted: roles(['CSM', 'vCIO'], `${p} NRR/NDR Consulted (§2.19)`),
        },
        `${p} NRR/NDR RACI (§2.19)`,
      ),
      processOwners: group(
        {
          onboardingAccountable: role(v.processOwners.onboardingAccountable, `${p} onboarding Accountable (R-46, A-11)`),
          kickoffPresenter: role(v.processOwners.kickoffPresenter, `${p} kickoff presenter (R-47)`),
          prepReviewSignoff: role(v.processOwners.prepReviewSignoff, `${p} prep review sign-off (R-25)`),
          dateTriggerOwner: role(v.processOwners.dateTriggerOwner, `${p} FY-end and assessment trigger owner (R-14, R-15)`),
          discoveryOwner: role(v.processOwners.discoveryOwner, `${p} Discovery owner (R-64, R-67)`),
          reengagePresenter: role(v.processOwners.reengagePresenter, `${p} At Risk re-engage presenter (R-97)`),
        },
        `${p} owners of other segment-dependent steps (§2 rules citing A/B/C/D owners)`,
      ),
    },
    `RACI for segment ${seg} (§2.19)`,
  );
}

function copyStrategicRaci<T extends { consulted: Role[]; informed: Role[] }>(v: T): T {
  return { ...v, consulted: [...v.consulted], informed: [...v.informed] };
}

const abRaci = (): SegmentRaciDefaults => ({
  cadenceOwner: 'CSM',
  cadenceBackup: 'AM',
  annualPlanning: { accountable: 'vCIO', accountableFallback: null, presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'TAM'], backup: 'CSM' },
  strategic: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'TAM'], informed: [], backup: 'CSM' },
  serviceReview: { optional: true, accountable: 'TAM', consulted: ['CSM', 'AM'], informed: ['vCIO'], backup: 'CSM' },
  roadmapBudget: { accountable: 'vCIO', responsible: 'CSM', consulted: ['AM', 'TAM'] },
  adoption: { dataOwner: 'TAM', followThrough: 'CSM' },
  atRisk: { owner: 'CSM', presenter: 'vCIO' },
  processOwners: {
    onboardingAccountable: 'CSM',
    kickoffPresenter: 'vCIO',
    prepReviewSignoff: 'vCIO',
    dateTriggerOwner: 'vCIO',
    discoveryOwner: 'vCIO',
    reengagePresenter: 'vCIO',
  },
});

const stakeholderRoles = (def: readonly (typeof STAKEHOLDER_ROLES)[number][], d: string) =>
  z.array(z.enum(STAKEHOLDER_ROLES)).default(() => [...def]).describe(d);

/** which client stakeholders each MSP role pairs with, and how many active threads a segment needs. */
const stakeholderPairing = () => group(
  {
    TAM: stakeholderRoles(['itOps'], 'TAM pairs with the IT contact / IT-Ops lead (R-123)'),
    CSM: stakeholderRoles(['opsAdmin'], 'CSM pairs with the operations / admin lead (R-123)'),
    AM: stakeholderRoles(['budgetHolder'], 'AM pairs with the budget holder (R-123)'),
    vCIO: stakeholderRoles(['executive'], 'vCIO pairs with the CEO / CFO (R-123; a title naming CEO or CFO counts too)'),
    vCISO: stakeholderRoles(['riskCompliance'], 'vCISO pairs with risk / compliance (R-123)'),
    vCTO: stakeholderRoles(['architect'], 'vCTO pairs with the architect (R-123)'),
  },
  'Stakeholder pairing: client roles each MSP role owns the relationship with (R-123)',
);

const threadRange = (min: number, max: number | null, seg: string) =>
  z
    .object({
      min: count(min, `${seg}: fewest active MSP↔client threads (R-123)`),
      max: int().min(1).nullable().default(max).describe(`${seg}: most active threads; null = no upper bound (R-123)`),
    })
    .refine((r) => r.max === null || r.min <= r.max, { message: 'range must have min ≤ max', path: ['max'] })
    .prefault({} as never)
    .describe(`${seg}: active threads (R-123)`);

export const raci = () => group(
  {
    stakeholderPairing: stakeholderPairing(),
    activeThreads: perSegment(
      (s) => threadRange({ A: 3, B: 3, C: 2, D: 1 }[s], { A: null, B: null, C: null, D: 2 }[s], s),
      'Active threads by segment: A/B ≥3, C ≥2, D 1–2 (R-123)',
    ),
    A: segmentRaci('A', {
      ...abRaci(),
      // A adds SMEs (vCISO/vCTO when justified) as Consulted and TAM as Informed.
      strategic: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'vCISO', 'vCTO'], informed: ['TAM'], backup: 'CSM' },
    }),
    B: segmentRaci('B', abRaci()),
    C: segmentRaci('C', {
      cadenceOwner: 'CSM',
      cadenceBackup: 'TAM',
      annualPlanning: { accountable: 'vCIO', accountableFallback: 'CSM', presenter: 'CSM', recorder: 'TAM', consulted: [], backup: 'AM' },
      strategic: { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', consulted: ['AM'], informed: [], backup: 'AM' },
      serviceReview: { optional: false, accountable: 'TAM', consulted: ['CSM', 'AM'], informed: ['vCIO'], backup: 'CSM' },
      roadmapBudget: { accountable: 'CSM', responsible: null, consulted: ['TAM', 'AM'] },
      adoption: { dataOwner: 'TAM', followThrough: 'CSM' },
      atRisk: { owner: 'CSM', presenter: 'CSM' },
      processOwners: {
        onboardingAccountable: 'CSM',
        kickoffPresenter: 'CSM',
        prepReviewSignoff: 'CSM',
        dateTriggerOwner: 'CSM',
        discoveryOwner: 'CSM',
        reengagePresenter: 'CSM',
      },
    }),
    D: segmentRaci('D', {
      cadenceOwner: 'TAM',
      cadenceBackup: 'CSM',
      annualPlanning: { accountable: 'TAM', accountableFallback: null, presenter: null, recorder: null, consulted: [], backup: 'CSM' },
      strategic: null,
      serviceReview: { optional: false, accountable: 'TAM', consulted: [], informed: [], backup: 'CSM' },
      roadmapBudget: { accountable: 'TAM', responsible: null, consulted: ['AM'] },
      adoption: { dataOwner: 'TAM', followThrough: 'TAM' },
      atRisk: { owner: 'TAM', presenter: 'TAM' },
      processOwners: {
        onboardingAccountable: 'TAM',
        kickoffPresenter: 'TAM',
        prepReviewSignoff: 'CSM',
        dateTriggerOwner: 'TAM',
        discoveryOwner: 'TAM',
        reengagePresenter: 'TAM',
      },
    }),
  },
  'Roles and RACI by segment (§2.19)',
);
