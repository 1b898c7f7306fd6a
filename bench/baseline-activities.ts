/** The bench baseline's only activity: a no-op, so the baseline pays for scheduling an activity and nothing else. */
export async function noop(): Promise<void> {}
