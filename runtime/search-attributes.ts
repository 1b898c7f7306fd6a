import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Imported by workflow code: keep this module free of client/proto imports.

/** Search attributes every Baton workflow sets, so managers can filter in the Temporal UI. */
export const ClientIdKey = defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD);
export const SegmentKey = defineSearchAttributeKey('Segment', SearchAttributeType.KEYWORD);
export const ProcessKey = defineSearchAttributeKey('Process', SearchAttributeType.KEYWORD);
export const StepKey = defineSearchAttributeKey('Step', SearchAttributeType.KEYWORD);

export const batonSearchAttributes = [ClientIdKey, SegmentKey, ProcessKey, StepKey] as const;

/** `temporal server start-dev` flags that register them at start. */
export function searchAttributeFlags(): string[] {
  return batonSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}

