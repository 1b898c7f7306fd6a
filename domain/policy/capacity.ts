/** Policy areas: Investment, Capacity (R-6, R-36..R-38). Pure (imported from workflow code). */
import { z } from 'zod';
import { count, days, group, hours, int, issue, pct, perSegment, roles, segPct, usd, weekdays } from './vocabulary.js';
import { isValidTimeZone } from '../business-time.js';

// ---------------------------------------------------------------------------------------------
// Investment

export const investment = () => group(
  {
    mrrPctBySegment: segPct(
      { A: 9, B: 7, C: 5, D: 3 },
      '% of MRR reinvested in CS: Boutique 9, Premium 7, Standard 5, Value 3, Cost Driver 1 (R-4)',
    ),
    hourlyCostUsd: usd(80, 'Loaded hourly cost of CS time (R-5)'),
    proactiveSharePct: pct(60, 'Share of CS hours that is proactive (R-5, A-16)'),
    playbookSharePct: pct(40, 'Share of proactive budget spent on playbooks (R-5)'),
    fteHoursPerYear: hours(1680, 'Hours per FTE per year (R-6, A-16)'),
    csAvailableSharePct: pct(70, 'Share of FTE hours available for CS work (R-6)'),
    teamRoles: roles(
      ['AM', 'TAM', 'CSM', 'vCIO', 'vCTO', 'vCISO'],
      'Roles whose active people make up the CS team set against the required hours, one person counted once (R-6)',
    ),
    teamHoursSource: z
      .enum(['fte', 'weeklyHours'])
      .default('fte')
      .describe("Team hours: 'fte' = people × fteHoursPerYear × csAvailableSharePct; 'weeklyHours' = Σ each person's weeklyCapacityHours × workWeeksPerYear × csAvailableSharePct (R-6)"),
    workWeeksPerYear: z.number().min(1).max(53).default(42).describe("Working weeks per year for teamHoursSource 'weeklyHours' (1,680 h ÷ 40 h, A-16)"),
  },
  'Investment model (R-4, R-5)',
);

// ---------------------------------------------------------------------------------------------
// Capacity (R-6, R-36..R-38)

export const capacity = () => group(
  {
    requiredHoursPerClientYear: perSegment(
      (s) => hours({ A: 30, B: 20, C: 10, D: 5 }[s], 'Required CS hours per client per year (R-6)'),
      'Required CS hours per client per year by segment (R-6)',
    ),
    vcioMaxStrategicPerWeek: count(8, 'Max strategic meetings per vCIO per week (R-36)'),
    csmBatchWeekdays: weekdays([2, 4], 'CSM strategic-meeting batch days, Tue/Thu (R-36)'),
    noSlotWeekdays: weekdays([5], 'Weekdays never offered as all-hands slots, Fri (R-36)'),
    autoBookCapPct: pct(80, 'Auto-booking stops at this role-week load (R-37)'),
    loadTargetPct: pct(85, 'Average role-week load target, below (R-37)'),
    rebalanceAbovePct: pct(90, 'Next-week load above this → rebalance alert (R-37)'),
    monthSpreadMaxPct: pct(40, "Max share of a segment's quarterly meetings in one month (R-37)"),
    radarTopPastDue: count(10, 'Past-due strategic meetings listed on the weekly radar (R-38)'),
    prepHours: group(
      {
        strategic: hours(1, 'Preparation hours counted per strategic meeting in the load (R-37, R-24..R-26)'),
        tactical: hours(0.25, 'Preparation hours counted per tactical/service meeting in the load (R-37)'),
      },
      'Preparation hours added to a meeting\'s length in the load (R-37)',
    ),
    slotSearchDays: days(21, 'Auto-booking looks this many days past the planned date for the next allowed slot (R-36, R-37)'),
    slotStepMinutes: int().min(5).max(240).default(30).describe('When only a clash blocks a slot, auto-booking tries later times that day in steps of this (R-36)'),
    weekTimeZone: z.string().min(1).default('UTC').describe('IANA zone whose ISO weeks (Mon–Sun) the role-week load is counted in (R-37)'),
  },
  'Capacity guardrails (R-6, R-36..R-38)',
).superRefine((c, ctx) => {
  if (c.autoBookCapPct > c.rebalanceAbovePct)
    issue(ctx, ['autoBookCapPct'], 'autoBookCapPct must be ≤ rebalanceAbovePct');
  if (!isValidTimeZone(c.weekTimeZone)) issue(ctx, ['weekTimeZone'], `unknown IANA time zone '${c.weekTimeZone}'`);
});
