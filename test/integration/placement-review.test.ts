import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, type Role } from '../../db/api-keys.js';
import { clientTimeline } from '../../db/ledger.js';
import { createLogger } from '../../runtime/logger.js';
import { placementReviewStatus, placementReviewWorkflowId } from '../../workflows/contracts.js';
import { createWorker } from '../../worker.js';
import { apiCaller, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { testDataConverter, timeSkippingEnv, workflowBundle } from '../support/temporal.js';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';

/**
 * The annual placement review over two simulated years on the time-skipping server:
 * started by client registration through the API, each cycle's due date in the client's business
 * time, `segment.review_due` on the timeline exactly once, and each cycle under the policy
 * version in force when it began.
 */
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let adminKey: string;
const taskQueue = testTaskQueue();

beforeAll(async () => {
  [env, db] = await Promise.all([timeSkippingEnv(), freshDatabase()]);
  adminKey = (await createApiKey(db.db, { name: 'admin', role: 'admin', createdBy: 'test' })).key;
});
afterAll(async () => {
  await env?.teardown();
  await db?.close();
});

describe('placement review workflow', () => {
  it('records each annual review on the timeline, under the policy version of its cycle', async () => {
    const app = createApp({ db: db.db, logger: createLogger('silent'), temporal: { client: env.client, namespace: 'default', taskQueue } });
    const api = apiCaller(app, { admin: adminKey } as Record<Role, string>);
    const call = (method: string, p: string, body?: unknown) => api(method, p, { body });
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter });

    await worker.runUntil(async () => {
      const now = new Date(await env.currentTimeMs());
      // The review date is a year on in the client's zone (Tokyo), so the holiday is too: between 15:00 and 24:00 UTC the Tokyo date is already tomorrow's.
      const holidayNextYear = DateTime.fromJSDate(now).setZone('Asia/Tokyo').plus({ years: 1 }).toISODate()!;
      const created = await call('POST', '/v1/clients', { name: 'Yearly Review Co', mrr: 4000, maturity: 4, appetite: 4, timeZone: 'Asia/Tokyo', holidays: [holidayNextYear] });
      expect(created.status).toBe(201);
      const clientId = created.body.id as string;
      const handle = env.client.workflow.getHandle(placementReviewWorkflowId(clientId));

      const firstRunId = (await handle.describe()).runId;
      const first = await eventually(() => handle.query(placementReviewStatus), (st) => st.step === 'waiting');
      expect(first).toMatchObject({ clientId, cycle: 1, policyVersion: 1, step: 'waiting', ruleId: 'R-7' });
      // One year on, ROLLed off the client's holiday (C-2), at business-day opening in Tokyo (+09:00).
      expect(first.nextReviewAt).toMatch(/T09:00:00\.000\+09:00$/);
      expect(first.nextReviewAt!.slice(0, 10) < holidayNextYear).toBe(true);

      // A policy change before the review: the running cycle keeps v1, the next one starts on v2.
      const policy = (await call('GET', '/v1/policy')).body.document;
      policy.segmentation.placementReviewIntervalMonths = 6;
      expect((await call('POST', '/v1/policy/versions', { document: policy, note: 'Review twice a year' })).status).toBe(201);

      await env.sleep('370 days');
      const second = await eventually(() => handle.query(placementReviewStatus), (st) => st.cycle === 2 && st.step === 'waiting');
      expect(second).toMatchObject({ cycle: 2, policyVersion: 2, step: 'waiting' });
      const monthsApart = (Date.parse(second.nextReviewAt!) - Date.parse(first.nextReviewAt!)) / (24 * 3600 * 1000);
      expect(monthsApart).toBeGreaterThan(175);
      expect(monthsApart).toBeLessThan(190);

      const reviews = await clientTimeline(db.db, clientId, { types: ['segment.review_due'] });
      expect(reviews).toHaveLength(1);
      expect(reviews[0]).toMatchObject({
        occurredAt: expect.any(String), process: 'placement-review', workflowId: placementReviewWorkflowId(clientId), ruleId: 'R-7',
        actor: { kind: 'system' }, why: { intervalMonths: 12, timeZone: 'Asia/Tokyo', holidays: [holidayNextYear], policyVersion: 1 }, data: { cycle: 1, segment: 'A' },
      });
      expect(Date.parse(reviews[0]!.occurredAt)).toBe(Date.parse(first.nextReviewAt!));

      // The second cycle fires on the shorter interval and is recorded under v2.
      await env.sleep('190 days');
      const all = await eventually(() => clientTimeline(db.db, clientId, { types: ['segment.review_due'] }), (e) => e.length === 2);
      expect(all.map((e) => [e.data.cycle, e.why.policyVersion, e.why.intervalMonths])).toEqual([[1, 1, 12], [2, 2, 6]]);

      // A finished cycle's history is the replay fixture: `RECORD_HISTORIES=1 npm test` refreshes it.
      if (process.env.RECORD_HISTORIES) {
        const history = await openHistoryPayloads(await env.client.workflow.getHandle(placementReviewWorkflowId(clientId), firstRunId).fetchHistory(), testDataConverter.payloadCodecs![0]!);
        fs.writeFileSync(path.join(import.meta.dirname, '../fixtures/histories/placement-review-cycle.json'), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      }
    });
  });

  it('ends quietly when the client no longer exists', async () => {
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter });
    const result = await worker.runUntil(
      env.client.workflow.execute('placementReview', {
        taskQueue, workflowId: 'client/ghost/placement-review', args: [{ clientId: '00000000-0000-4000-8000-000000000000', policyVersion: 1, anchor: new Date().toISOString() }],
      }),
    );
    expect(result).toMatchObject({ step: 'client-gone', ruleId: 'R-7' });
  });
});
