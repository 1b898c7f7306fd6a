import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes every Baton workflow sets, so managers can filter in the Temporal UI. */
export const ClientIdKey = defineSearchAttributeKey('ClientId', SearchAttributeType.KEYWORD);
export const SegmentKey = defineSearchAttributeKey('Segment', SearchAttributeType.KEYWORD);
export const ProcessKey = defineSearchAttributeKey('Process', SearchAttributeType.KEYWORD);
export const StepKey = defineSearchAttributeKey('Step', SearchAttributeType.KEYWORD);

export const batonSearchAttributes = [ClientIdKey, SegmentKey, ProcessKey, StepKey] as const;

export function searchAttributeFlags(): string[] {
  return batonSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}
