/**
 * Runs `pass` now and then every `intervalMs`, but never two passes at once: a tick that comes
 * while a pass is still running is skipped. (A pass that outlasts the interval — a loaded host, a
 * slow Temporal — would otherwise overlap the next, and two passes would race for the same work:
 * the outbox dispatcher then started the same workflow twice at once and logged the loser's
 * "already started" as a failure on every tick until the first start returned.)
 * Returns the stop function, which waits for the pass in flight.
 */
export function everyWithoutOverlap(pass: () => Promise<unknown>, intervalMs: number): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (stopped || running) return;
    running = pass().catch(() => undefined).finally(() => { running = undefined; });
  };
  tick();
  const timer = setInterval(tick, intervalMs).unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
