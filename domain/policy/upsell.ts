/** Policy area: the Upsell play (DOMAIN §2.16, R-89..R-92). Pure (imported from workflow code). */
import { z } from 'zod';
import { days, group, role, segRole, time } from './vocabulary.js';

export const upsell = () => group(
  {
    priceTestDueDays: days(3, 'Price test and appetite check due this many days after the signal date, ROLL (R-90, C-2)'),
    priceTestDueTime: time('17:00', 'Local time the price test is due on its (rolled) day (R-90)'),
    priceTestOwner: segRole({ A: 'AM', B: 'AM', C: 'AM', D: 'AM' }, 'Owner of the price test and appetite check (R-90: AM)'),
    priceTestFramer: segRole({ A: 'vCIO', B: 'vCIO', C: 'AM', D: 'AM' }, 'Who frames the price test (R-90: vCIO frames A/B)'),
    planOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'CSM', D: 'CSM' }, 'Owner of the roadmap card and budget line the same day as the pre-approval (R-91: vCIO/CSM)'),
    proposalOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'CSM', D: 'TAM' }, 'Presenter of the proposal at the next touch; owns the 72h acceptance / PO / kickoff-prep CTA (R-92: vCIO A/B, CSM/TAM C/D)'),
    recapOwner: role('CSM', 'Recorder who sends the recap of the proposal touch within meeting.recapHours (R-92, R-29)'),
    touchKinds: z
      .array(z.string().min(1))
      .min(1)
      .default(() => ['Check-in', 'Service Review'])
      .describe('Tactical meeting templates that count as the "next strategic or tactical touch" for the proposal (R-92, §2.2 tactical row); every strategic meeting counts too'),
    bookTouchOwner: segRole({ A: 'CSM', B: 'CSM', C: 'CSM', D: 'TAM' }, 'Owner of the CTA to book a touch when none is scheduled for the proposal (R-92)'),
  },
  'Upsell play (R-89..R-92)',
);
