import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path into the workflow sandbox and the worker (DataConverter.failureConverterPath):
 * failure messages and stack traces travel as a payload, so the encryption codec seals them too
 * (issue 18). Decoding accepts plain failures from histories written before.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
