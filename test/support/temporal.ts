import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { batonDataConverter, ephemeralKeyring } from '../../runtime/payload-codec.js';
import { registerSearchAttributes } from '../../runtime/search-attribute-registry.js';
import { bundleBatonWorkflows } from '../../worker.js';

/** Tests run encrypted, as Baton does by default (issue 18): one throwaway key per test file. */
export const testDataConverter = batonDataConverter(ephemeralKeyring('test'));

/** A time-skipping server of this file's own (skipped time is global to one server). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('testServerPath') } }, client: { dataConverter: testDataConverter } });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The production workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleBatonWorkflows();
  return bundle;
}
