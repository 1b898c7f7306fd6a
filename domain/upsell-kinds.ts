/** what can start an upsell (its own module so the event catalogue needs nothing else of the model). */
export const SIGNAL_KINDS = ['healthDip', 'adoptionGap', 'eol', 'complianceAsk', 'insuranceAsk', 'execPriority', 'usageAnomaly', 'roadmapDependency'] as const;
