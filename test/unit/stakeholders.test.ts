import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from '../../domain/policy.js';
import {
  attendanceOf, executiveSponsorOf, meetingInvitees, pairedMspRoles, pairStakeholders, planStakeholderSync, preflight, resolveDecisionOwner, stakeholderChangeOf,
  type ClientStakeholder,
} from '../../domain/stakeholders.js';
import { policyWith } from '../support/policy.js';

/** The client's own people as pure rules: R-123 pairing, R-19, R-17/R-34, R-26, R-27, R-104. */
const person = (id: string, name: string, roles: ClientStakeholder['roles'], extra: Partial<ClientStakeholder> = {}): ClientStakeholder => ({
  id, name, title: null, email: `${id}@acme.test`, roles, active: true, ...extra,
});
const pat = person('pat', 'Pat Park', ['executiveSponsor', 'budgetHolder'], { title: 'CFO' });
const ian = person('ian', 'Ian Ito', ['itOps']);
const olga = person('olga', 'Olga Ortiz', ['opsAdmin', 'decisionMaker']);
const rita = person('rita', 'Rita Ruiz', ['riskCompliance'], { active: false });
const all = [pat, ian, olga, rita];
const staffed = [{ role: 'TAM', personId: 'p-tam' }, { role: 'CSM', personId: 'p-csm' }, { role: 'AM', personId: 'p-am' }, { role: 'vCIO', personId: 'p-vcio' }];

describe('R-123 pairing and active threads', () => {
  it('pairs each MSP role with its counterparts: TAM↔IT/Ops, CSM↔Ops/Admin, AM↔budget holder, vCIO↔CEO/CFO (a CFO title counts), vCISO↔risk, vCTO↔architect', () => {
    const p = pairStakeholders({ segment: 'B', stakeholders: all, assignments: staffed }, defaultPolicy);
    expect(p.pairs.map((x) => [x.mspRole, x.personId, x.stakeholders.map((s) => `${s.name}:${s.via.join('+')}`)])).toEqual([
      ['TAM', 'p-tam', ['Ian Ito:itOps']],
      ['CSM', 'p-csm', ['Olga Ortiz:opsAdmin']],
      ['AM', 'p-am', ['Pat Park:budgetHolder']],
      ['vCIO', 'p-vcio', ['Pat Park:executive']],
      ['vCISO', null, []], // Rita left: inactive people pair with nobody
      ['vCTO', null, []],
    ]);
    expect(pairedMspRoles(pat, defaultPolicy)).toEqual(['AM', 'vCIO']);
    expect(pairedMspRoles({ ...pat, title: 'Chief Financial Officer' }, defaultPolicy)).toEqual(['AM', 'vCIO']);
    expect(pairedMspRoles({ ...pat, title: 'Office manager' }, defaultPolicy)).toEqual(['AM']);
  });

  it('counts threads so no person counts twice on either side: Pat is one thread though the AM and the vCIO both pair with her', () => {
    const p = pairStakeholders({ segment: 'B', stakeholders: all, assignments: staffed }, defaultPolicy);
    expect(p.threads.map((t) => [t.mspRoles.join('+'), t.stakeholderName])).toEqual([['TAM', 'Ian Ito'], ['CSM', 'Olga Ortiz'], ['AM', 'Pat Park']]);
    expect(p).toMatchObject({ ruleId: 'R-123', activeThreads: 3, required: { min: 3, max: null }, status: 'met', met: true, gaps: [] });
  });

  it('one MSP person holding two roles is one thread too, and the matching finds the most threads (augmenting paths)', () => {
    const exec = person('eve', 'Eve Eng', ['executive']);
    const onePerson = [{ role: 'AM', personId: 'p-x' }, { role: 'vCIO', personId: 'p-x' }, { role: 'TAM', personId: 'p-tam' }];
    const p = pairStakeholders({ segment: 'A', stakeholders: [pat, exec, ian], assignments: onePerson }, defaultPolicy);
    expect(p.activeThreads).toBe(2);
    // The greedy choice for p-x (Pat) would still leave Eve; either way one thread for p-x, one for the TAM.
    expect(p.threads.map((t) => t.personId).sort()).toEqual(['p-tam', 'p-x']);
    expect(p).toMatchObject({ status: 'below', met: false });
    expect(p.gaps).toContain('2 active threads; segment A needs at least 3 (R-123)');
  });

  it('segment ranges: C needs 2, D 1–2 (three threads is above its range)', () => {
    const d = pairStakeholders({ segment: 'D', stakeholders: all, assignments: staffed }, defaultPolicy);
    expect(d).toMatchObject({ activeThreads: 3, required: { min: 1, max: 2 }, status: 'above', met: false });
    const c = pairStakeholders({ segment: 'C', stakeholders: [ian], assignments: staffed }, defaultPolicy);
    expect(c).toMatchObject({ activeThreads: 1, required: { min: 2, max: null }, status: 'below' });
    expect(c.gaps).toEqual(expect.arrayContaining(['no active client opsAdmin for the CSM', 'no active client budgetHolder for the AM', '1 active thread; segment C needs at least 2 (R-123)']));
  });

  it('a counterpart with nobody assigned on the MSP side is a gap, not a thread', () => {
    const p = pairStakeholders({ segment: 'C', stakeholders: [ian, olga], assignments: [{ role: 'CSM', personId: 'p-csm' }] }, defaultPolicy);
    expect(p.activeThreads).toBe(1);
    expect(p.gaps).toContain('TAM is not assigned, so nobody owns the relationship with Ian Ito');
  });

  it('the pairing and the ranges are policy (raci.stakeholderPairing, raci.activeThreads)', () => {
    const p = policyWith({ raci: { stakeholderPairing: { TAM: ['itOps', 'architect'] }, activeThreads: { C: { min: 1 } } } });
    const arch = person('arch', 'Ari Arch', ['architect']);
    const r = pairStakeholders({ segment: 'C', stakeholders: [arch], assignments: [{ role: 'TAM', personId: 'p-tam' }] }, p);
    expect(r).toMatchObject({ activeThreads: 1, required: { min: 1, max: null }, status: 'met' });
    expect(parsePolicy({ raci: { activeThreads: { D: { min: 3, max: 2 } } } }).ok).toBe(false);
  });
});

describe('R-19: who leaving is a stakeholder change', () => {
  it('the sponsor, a decision-maker or the champion (first in the policy\'s order); others are not', () => {
    expect(stakeholderChangeOf(pat, defaultPolicy)).toEqual({ stakeholderRole: 'executiveSponsor', ruleId: 'R-19' });
    expect(stakeholderChangeOf(olga, defaultPolicy)).toEqual({ stakeholderRole: 'decisionMaker', ruleId: 'R-19' });
    expect(stakeholderChangeOf(person('c', 'Cy', ['champion', 'itOps']), defaultPolicy)).toEqual({ stakeholderRole: 'champion', ruleId: 'R-19' });
    expect(stakeholderChangeOf(ian, defaultPolicy)).toBeUndefined();
    expect(stakeholderChangeOf({ ...pat, active: false }, defaultPolicy)).toBeUndefined();
  });

  it('nothing when the optional trigger is off, and the roles are policy', () => {
    expect(stakeholderChangeOf(pat, policyWith({ triggers: { stakeholderChange: { enabled: false } } }))).toBeUndefined();
    expect(stakeholderChangeOf(ian, policyWith({ triggers: { stakeholderChange: { roles: ['itOps'] } } }))).toEqual({ stakeholderRole: 'itOps', ruleId: 'R-19' });
  });
});

describe('meeting invitees, attendance, pre-flight and decision owners', () => {
  it('a strategic meeting invites the decision-makers (required, R-26) and the sponsor (R-104); a budget session the budget holder (R-14)', () => {
    const r = meetingInvitees(all, { strategic: true, kind: 'trigger', trigger: 'fiscalYearEnd' });
    expect(r.invitees.map((i) => [i.name, i.as, i.required, i.ruleIds])).toEqual([
      ['Olga Ortiz', ['decisionMaker'], true, ['R-26']],
      ['Pat Park', ['executiveSponsor', 'budgetHolder'], true, ['R-104', 'R-14']],
    ]);
    expect(r.missing).toEqual([]);
  });

  it('a reset (R-17/R-34) needs the executive sponsor; with none on record it is named missing', () => {
    const r = meetingInvitees(all, { strategic: true, kind: 'reset' });
    expect(r.invitees.find((i) => i.stakeholderId === 'pat')).toMatchObject({ required: true, ruleIds: ['R-17'] });
    expect(meetingInvitees([ian, olga], { strategic: true, kind: 'reset' }).missing).toEqual([{ role: 'executiveSponsor', ruleId: 'R-17' }]);
    expect(meetingInvitees([ian], { strategic: true, kind: 'strategic' }).missing).toEqual([{ role: 'decisionMaker', ruleId: 'R-26' }]);
  });

  it('tactical and remediation meetings invite the operational counterparts (R-123, R-18); the new-sponsor intro the sponsor (R-19)', () => {
    expect(meetingInvitees(all, { strategic: false, kind: 'tactical' }).invitees.map((i) => [i.name, i.required])).toEqual([['Ian Ito', true], ['Olga Ortiz', false]]);
    expect(meetingInvitees(all, { strategic: false, kind: 'trigger', trigger: 'adoptionBelowThreshold' }).invitees[0]).toMatchObject({ name: 'Ian Ito', ruleIds: ['R-18'] });
    const intro = meetingInvitees(all, { strategic: false, kind: 'trigger', trigger: 'stakeholderChange' });
    expect(intro.invitees.find((i) => i.stakeholderId === 'pat')).toMatchObject({ required: true, ruleIds: ['R-19'] });
  });

  it('attendance by stakeholder: decision-maker and sponsor present (R-106, R-104), required absentees, ids that are not the client\'s', () => {
    const { invitees } = meetingInvitees(all, { strategic: true, kind: 'reset' });
    expect(attendanceOf(all, ['olga', 'nobody', 'olga'], invitees)).toEqual({
      stakeholderIds: ['olga'], decisionMakerPresent: true, sponsorPresent: false, budgetHolderPresent: false,
      absentRequired: [{ stakeholderId: 'pat', name: 'Pat Park', as: ['executiveSponsor'] }], unknown: ['nobody'],
    });
    // Someone who attended and has left since still attended.
    expect(attendanceOf(all, ['rita']).stakeholderIds).toEqual(['rita']);
  });

  it('R-26 pre-flight: a confirmed decision-maker holds; one who declines rescopes and gets the decision call', () => {
    const dm2 = person('dan', 'Dan Diaz', ['decisionMaker']);
    expect(preflight([...all, dm2], { confirmed: ['olga'], declined: [] })).toMatchObject({ decisionMakerConfirmed: true, rescope: false, decisionCallWith: null });
    expect(preflight([...all, dm2], { confirmed: [], declined: ['dan'] })).toMatchObject({
      ruleId: 'R-26', decisionMakerConfirmed: false, rescope: true, declined: [{ stakeholderId: 'dan', name: 'Dan Diaz' }],
      decisionCallWith: { stakeholderId: 'dan', name: 'Dan Diaz', email: 'dan@acme.test' },
    });
    // Confirmed then declined counts as declined; no decision-maker on record → the sponsor.
    expect(preflight(all, { confirmed: ['olga'], declined: ['olga'] })).toMatchObject({ rescope: true, decisionCallWith: { stakeholderId: 'olga' } });
    expect(preflight([pat, ian], { confirmed: [], declined: [] })).toMatchObject({ rescope: true, decisionCallWith: { stakeholderId: 'pat' } });
  });

  it('a decision is owned by an MSP role or an active client stakeholder (R-27 "owner CFO"); anyone else is a 422', () => {
    expect(resolveDecisionOwner({ kind: 'msp', role: 'vCIO' }, all)).toEqual({ ok: true, owner: { kind: 'msp', role: 'vCIO' } });
    expect(resolveDecisionOwner({ kind: 'stakeholder', stakeholderId: 'pat' }, all)).toEqual({ ok: true, owner: { kind: 'stakeholder', stakeholderId: 'pat', name: 'Pat Park', roles: ['executiveSponsor', 'budgetHolder'] } });
    expect(resolveDecisionOwner({ kind: 'stakeholder', stakeholderId: 'rita' }, all)).toMatchObject({ ok: false, status: 422, message: expect.stringContaining('no longer active') });
    expect(resolveDecisionOwner({ kind: 'stakeholder', stakeholderId: 'zed' }, all)).toMatchObject({ ok: false, status: 422, ruleId: 'R-27' });
    expect(executiveSponsorOf(all)?.id).toBe('pat');
  });
});

describe('the former whole-list input (POST/PATCH /v1/clients `stakeholders`)', () => {
  it('matches by email (any case), else by name where one side has none; updates what differs, adds the new, deactivates the unlisted', () => {
    const plan = planStakeholderSync(all, [
      { name: 'Pat Park', email: 'PAT@acme.test', title: 'CFO', roles: ['budgetHolder', 'executiveSponsor'] }, // same person, same roles
      { name: 'Ian Ito', email: 'ian@acme.test', roles: ['itOps', 'architect'] }, // roles changed
      { name: 'Nia New', roles: ['champion'] }, // new
    ]);
    expect(plan).toEqual({
      create: [{ name: 'Nia New', roles: ['champion'] }],
      update: [{ id: 'pat', changes: { email: 'PAT@acme.test' } }, { id: 'ian', changes: { roles: ['itOps', 'architect'] } }],
      deactivate: ['olga'], // Rita is already inactive
    });
    const noEmail = [person('x', 'Xu', ['other'], { email: null })];
    expect(planStakeholderSync(noEmail, [{ name: 'Xu', email: 'xu@acme.test', roles: ['other'] }])).toEqual({ create: [], update: [{ id: 'x', changes: { email: 'xu@acme.test' } }], deactivate: [] });
    expect(planStakeholderSync(all, [])).toEqual({ create: [], update: [], deactivate: ['pat', 'ian', 'olga'] });
  });
});
