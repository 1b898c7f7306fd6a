/**
 * The rehearsal's hold on the time-skipping test server's clock (issue 19).
 *
 * Why portfolio rehearsals wedged: the SDK's default gRPC keepalive (a ping every 30 s, also without
 * calls) is more than the Java test server's gRPC server permits (one ping per 5 minutes while a call
 * is open), so when one `unlockTimeSkippingWithSleep` of a year stayed open for more than about 90 s
 * the server answered the third ping with GOAWAY "too_many_pings" and closed the connection. The SDK's
 * retry interceptor then sent the sleep again. That call is not idempotent: each one takes one off the
 * server's time-skipping lock count at once and gives it back only when its own target is reached, so
 * the count went one too low and time skipped while workflow tasks and activities were in flight
 * (reproduced: a 1-day sleep cut and re-sent advanced the clock 2 days, and a running activity's
 * start-to-close timeout fired). In the stuck 100-client run the server then failed a worker call
 * with a reply whose headers overflowed the worker's 16 KB limit, one workflow no longer answered
 * describe, and simulated time froze with both processes at 0 % CPU and the sleep call unanswered.
 *
 * So here: the test service gets a connection of its own with no keepalive pings (a loopback link to
 * a child process: a dead server closes the socket, a hung one is caught by deadlines) and **no
 * retries**; time advances in slices (a simulated day), each call with a deadline; a call that fails
 * is not sent again while it may still be pending on the server — the clock watches the server reach
 * that call's target instead; and a watchdog turns "simulated time is not moving and nothing is being
 * recorded" into a {@link RehearsalStalledError} naming what is stuck — after unsticking the
 * server when time is locked and nothing at all runs (see {@link SimulatedClock.unstick}).
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection.js';
import { msNumberToTs, requiredTsToMs } from '@temporalio/common/lib/time.js';

/** gRPC channel arguments for a loopback connection to the test server: no keepalive pings (see above). */
export const LOOPBACK_CHANNEL_ARGS: NonNullable<ConnectionOptions['channelArgs']> = {
  'grpc.keepalive_time_ms': undefined,
  'grpc.keepalive_timeout_ms': undefined,
  'grpc.keepalive_permit_without_calls': 0,
};

export class RehearsalStalledError extends Error {
  override name = 'RehearsalStalledError';
}

export interface ClockLimits {
  /**
   * Simulated time per test-server sleep call (default a day). Measured on a 100-client year: day slices as fast
   * as week slices and 0.7 GB less peak memory (the worker gets less work piled up at once), never a call past its deadline.
   */
  sliceMs: number;
  /** Deadline of one sleep call (default 10 minutes): the watchdog, not this deadline, decides when a slice is stuck. */
  callDeadlineMs: number;
  /** Real time without simulated progress or new ledger events before the rehearsal is declared stalled (default 120 s). */
  stallMs: number;
  /** Deadline of a quick call (current time, describe) (default 10 s). */
  quickCallMs: number;
  /** Deadline of the Temporal calls one API request or report query makes (default 120 s). */
  apiCallMs: number;
  /** Real time without progress after which the workflows are described, to unstick the clock if nothing runs (default 15 s). */
  idleMs: number;
  /** Times the clock may be unstuck in one rehearsal (default 20). */
  maxUnstick: number;
}

export const DEFAULT_CLOCK_LIMITS: ClockLimits = { sliceMs: 86_400_000, callDeadlineMs: 600_000, stallMs: 120_000, quickCallMs: 10_000, apiCallMs: 120_000, idleMs: 15_000, maxUnstick: 20 };

export interface AdvanceHooks {
  /** How many ledger events exist now: growth counts as progress. */
  ledgerCount: () => Promise<number>;
  /** Called after every slice, and about every second while the clock watches the server. */
  onProgress?: (serverTimeMs: number) => void;
  /** Builds the explanation when the clock is stuck (which workflows wait on what). */
  diagnose: (serverTimeMs: number | null, targetMs: number) => Promise<string>;
  log?: (message: string) => void;
}

/** The test service on a connection of its own: no keepalive, no retries, a deadline on every call. */
export class SimulatedClock {
  /** What the clock had to do: slices skipped, sleep calls that failed or outlasted their deadline, times it unstuck the server. */
  readonly stats = { slices: 0, unanswered: 0, unstuck: 0 };

  private constructor(private readonly connection: Connection, readonly limits: ClockLimits) {}

  static async connect(address: string, limits: Partial<ClockLimits> = {}): Promise<SimulatedClock> {
    const options: InternalConnectionOptions = {
      address,
      channelArgs: LOOPBACK_CHANNEL_ARGS,
      interceptors: [], // never re-send: unlockTimeSkippingWithSleep is not idempotent
      [InternalConnectionOptionsSymbol]: { supportsTestService: true },
    };
    return new SimulatedClock(await Connection.connect(options), { ...DEFAULT_CLOCK_LIMITS, ...limits });
  }

  private get service() {
    return this.connection.testService!;
  }

  async nowMs(deadlineMs = this.limits.quickCallMs): Promise<number> {
    const res = await this.connection.withDeadline(Date.now() + deadlineMs, () => this.service.getCurrentTime({}));
    return requiredTsToMs(res.time, 'time');
  }

  /** One `unlockTimeSkippingWithSleep`: the server skips time (firing every timer) and locks it again at now + `ms`. */
  private async sleep(ms: number, deadlineMs: number): Promise<void> {
    await this.connection.withDeadline(Date.now() + deadlineMs, () =>
      this.service.unlockTimeSkippingWithSleep({ duration: msNumberToTs(ms) }));
  }

  /**
   * Skips server time to `targetMs` in slices of {@link ClockLimits.sliceMs}. Ends at the target or throws
   * {@link RehearsalStalledError}: it never waits longer than `stallMs` without progress.
   */
  async advanceTo(targetMs: number, hooks: AdvanceHooks): Promise<void> {
    let now = await this.nowMsPatiently();
    while (now < targetMs) {
      const sliceTarget = Math.min(targetMs, now + this.limits.sliceMs);
      this.stats.slices += 1;
      await this.watch(sliceTarget, this.send(sliceTarget - now), hooks);
      now = await this.nowMsPatiently();
      hooks.onProgress?.(now);
    }
  }

  /** The server's clock, asking again for up to `quickCallMs` when a call fails (reading the clock is idempotent). */
  private async nowMsPatiently(): Promise<number> {
    const until = Date.now() + this.limits.quickCallMs;
    for (;;) {
      try {
        return await this.nowMs();
      } catch (err) {
        if (Date.now() > until) throw new RehearsalStalledError(`The test server did not tell its time for ${Math.round(this.limits.quickCallMs / 1000)} s: ${describeError(err)}`);
        await pause(200);
      }
    }
  }

  /** Sends one sleep and reports how it ended, without throwing. */
  private send(ms: number): Promise<SleepOutcome> {
    return this.sleep(ms, this.limits.callDeadlineMs).then(() => 'answered' as const, (error: unknown) => ({ error }));
  }

  /**
   * Waits for the slice's sleep to be answered, watching the server meanwhile (after the first second).
   * Progress is simulated time moving faster than the wall clock (while time is locked, the server's
   * clock follows the wall clock) or the ledger growing. Without either for `idleMs`, every open
   * workflow is described; if none has a workflow task or an activity in flight, nothing but this clock
   * can unlock time ({@link unstick}). Without progress for `stallMs`, the rehearsal has stalled: throw,
   * naming what is stuck.
   */
  private async watch(targetMs: number, call: Promise<SleepOutcome>, hooks: AdvanceHooks): Promise<void> {
    const { stallMs } = this.limits;
    const idleMs = Math.min(this.limits.idleMs, stallMs);
    let pending: Promise<SleepOutcome> | null = call;
    let lastProgress = Date.now();
    let checkedIdle = false;
    let lastServer: number | null = null;
    let lastWall = Date.now();
    let lastCount: number | null = null;
    for (;;) {
      const outcome = await Promise.race([pending ?? never, pause(1000).then(() => 'tick' as const)]);
      if (outcome === 'answered') return;
      if (outcome !== 'tick') {
        // The call failed but may still be pending on the server (it answers when time reaches the target and
        // locks it there): sending it again now would unlock twice, so watch the server get there instead.
        this.stats.unanswered += 1;
        if ((outcome.error as { code?: number }).code !== DEADLINE_EXCEEDED) hooks.log?.(`the test server did not answer a sleep to ${iso(targetMs)} (${describeError(outcome.error)}); watching its clock`);
        pending = null;
      }
      const server = await this.nowMs().catch(() => null);
      const wall = Date.now();
      if (server !== null && server >= targetMs && !pending) return;
      const count = await hooks.ledgerCount().catch(() => lastCount);
      const skipped = server !== null && lastServer !== null && server - lastServer > wall - lastWall + 1000;
      if (skipped || (lastCount !== null && count !== lastCount)) {
        lastProgress = wall;
        checkedIdle = false;
      }
      if (server !== null) hooks.onProgress?.(server);
      lastServer = server;
      lastWall = wall;
      lastCount = count;
      const quiet = wall - lastProgress;
      if (quiet < idleMs || (checkedIdle && quiet < stallMs) || (server === null && quiet < stallMs)) continue;
      const diagnosis = await hooks.diagnose(server, targetMs);
      if (server !== null && diagnosis.startsWith(NOTHING_RUNS) && this.stats.unstuck < this.limits.maxUnstick) {
        pending = (await this.unstick(server, targetMs, pending, hooks)).open;
        lastProgress = Date.now();
        continue;
      }
      if (quiet < stallMs) {
        checkedIdle = true; // something runs: give it until stallMs
        continue;
      }
      throw new RehearsalStalledError(
        `The rehearsal stalled: simulated time has not moved for ${Math.round(quiet / 1000)} s and nothing new reached the ledger ` +
        `(${lastCount ?? '?'} events). The test server's clock ${server === null ? 'did not answer' : `reads ${iso(server)}`}; the rehearsal was advancing it to ${iso(targetMs)}.` +
        `${this.stats.unstuck ? ` The clock was unstuck ${this.stats.unstuck} time(s) during the rehearsal.` : ''}\n${diagnosis}`,
      );
    }
  }

  /**
   * Time is locked and no workflow has a workflow task or an activity in flight, so nothing but this clock
   * can unlock it. If this slice's sleep is still open, the server has it (and took its unlock already): the
   * lock that holds time is one the server kept after some earlier work (measured: from then on every slice
   * stalls), so give it back once. Otherwise the sleep that failed may never have reached the server: send
   * it again for the same instant. That is safe even if it did arrive and is still pending, because both
   * lock time again at that instant and the server's lock count ends where it was.
   */
  private async unstick(server: number, targetMs: number, pending: Promise<SleepOutcome> | null, hooks: AdvanceHooks): Promise<{ open: Promise<SleepOutcome> }> {
    this.stats.unstuck += 1;
    const n = `${this.stats.unstuck} of at most ${this.limits.maxUnstick}`;
    if (pending) {
      hooks.log?.(`time is locked at ${iso(server)} with this clock's sleep to ${iso(targetMs)} open and nothing running: releasing the lock the test server kept (${n})`);
      await this.connection.withDeadline(Date.now() + this.limits.quickCallMs, () => this.service.unlockTimeSkipping({})).catch((err) => hooks.log?.(`releasing it failed: ${describeError(err)}`));
      return { open: pending };
    }
    hooks.log?.(`time is locked at ${iso(server)} and nothing runs: sending the sleep to ${iso(targetMs)} again (${n})`);
    return { open: this.send(Math.max(0, targetMs - server)) };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** A diagnosis that starts with this means no workflow has work in flight (time is locked by something else). */
export const NOTHING_RUNS = 'No workflow has a workflow task or an activity in flight';

type SleepOutcome = 'answered' | { error: unknown };
const never = new Promise<never>(() => {});
const iso = (ms: number) => new Date(ms).toISOString();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeError(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string; cause?: unknown };
  if (typeof e?.code === 'number' && e.details !== undefined) return `gRPC ${GRPC_STATUS[e.code] ?? e.code}: ${e.details}`;
  // The SDK wraps the gRPC error ("Failed to describe workflow"): the cause says what the server answered.
  const cause = e?.cause ? ` (${describeError(e.cause)})` : '';
  return `${e?.message ?? String(err)}${cause}`;
}

const DEADLINE_EXCEEDED = 4;
const GRPC_STATUS = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
