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
 * Both are the same fault: the test server's time-skipping lock is a counter that every holder must
 * give back exactly once. A non-idempotent call sent twice, or an unlock from outside, takes it one too
 * low; the server's next own unlock then throws "Unbalanced lock and unlock calls" with every lock event
 * since start appended (far more than the worker's 16 KB header limit: the test server's log shows
 * "Header size exceeded max allowed size (16384)"), and it throws from a `finally` that then never
 * releases that workflow's mutex: the workflow no longer answers describe, a timer callback blocks on it
 * while holding a time lock, and simulated time freezes for good. An earlier version of this clock
 * "unstuck" the server with `unlockTimeSkipping` when describe showed no work in flight — but the test
 * server's describe never reports workflow tasks, so on a loaded machine it released locks that busy
 * workflow tasks held (a 30-client year: three such unlocks, then the wedge above).
 *
 * So here: the test service gets a connection of its own with no keepalive pings (a loopback link to
 * a child process: a dead server closes the socket, a hung one is caught by deadlines) and **no
 * retries**; time advances in slices (a simulated day), each call with a deadline; the clock never
 * gives back a lock it did not take, and a call that fails is not sent again while it may still be
 * pending on the server — the clock watches the server reach that call's target instead, and sends it
 * again only when time is locked while the worker and every workflow are idle (so the call cannot be
 * pending: a pending sleep leaves time unlocked). A watchdog turns "simulated time is not moving,
 * nothing is being recorded and the worker's work in flight does not change" into a
 * {@link RehearsalStalledError} naming what is stuck.
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection.js';
import { msNumberToTs, requiredTsToMs } from '@temporalio/common/lib/time.js';

/**
 * gRPC channel arguments for a loopback connection to the test server: no keepalive pings (see above), and
 * reconnecting within a second after a cut (the default backoff grows to two minutes; a child process on
 * loopback is cheap to reconnect to, and the watchdog needs its clock readings).
 */
export const LOOPBACK_CHANNEL_ARGS: NonNullable<ConnectionOptions['channelArgs']> = {
  'grpc.keepalive_time_ms': undefined,
  'grpc.keepalive_timeout_ms': undefined,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
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
  /** Real time without simulated progress, new ledger events or a change in the worker's work before the rehearsal is declared stalled (default 120 s). */
  stallMs: number;
  /**
   * Real time the worker may keep busy without simulated progress or new ledger events before the rehearsal is
   * declared stalled anyway (default 10 minutes): a workflow task that fails and is retried at once keeps the
   * worker's work changing forever.
   */
  busyStallMs: number;
  /** Deadline of a quick call (current time, describe) (default 10 s). */
  quickCallMs: number;
  /** Deadline of the Temporal calls one API request or report query makes (default 120 s). */
  apiCallMs: number;
  /** Real time a failed sleep call's slice may show time locked with nothing running before that call is sent again (default 15 s). */
  idleMs: number;
  /** Sleep calls the clock may send again in one rehearsal (default 20). */
  maxResend: number;
}

export const DEFAULT_CLOCK_LIMITS: ClockLimits = { sliceMs: 86_400_000, callDeadlineMs: 600_000, stallMs: 120_000, busyStallMs: 600_000, quickCallMs: 10_000, apiCallMs: 120_000, idleMs: 15_000, maxResend: 20 };

/** What the rehearsal's worker has in flight now (its own count: the test server's describe never reports workflow tasks). */
export interface WorkerLoad {
  workflowActivations: number;
  activities: number;
}

export interface AdvanceHooks {
  /** How many ledger events exist now: growth counts as progress. */
  ledgerCount: () => Promise<number>;
  /** The worker's work in flight: a change counts as progress, and a sleep is only sent again while it is idle. */
  workerLoad?: () => WorkerLoad;
  /** Called after every slice, and about every second while the clock watches the server. */
  onProgress?: (serverTimeMs: number) => void;
  /** Builds the explanation when the clock is stuck (which workflows wait on what). */
  diagnose: (serverTimeMs: number | null, targetMs: number) => Promise<string>;
  log?: (message: string) => void;
}

/** The test service on a connection of its own: no keepalive, no retries, a deadline on every call. */
export class SimulatedClock {
  /** What the clock had to do: slices skipped, sleep calls that failed or outlasted their deadline, sleep calls sent again. */
  readonly stats = { slices: 0, unanswered: 0, resent: 0 };

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

  /** The server's clock for the watchdog: a few quick tries (a cut connection fails a call or two), else null. */
  private async readServer(): Promise<number | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.nowMs();
      } catch {
        await pause(100);
      }
    }
    return null;
  }

  /** Sends one sleep and reports how it ended, without throwing. */
  private send(ms: number): Promise<SleepOutcome> {
    return this.sleep(ms, this.limits.callDeadlineMs).then(() => 'answered' as const, (error: unknown) => ({ error }));
  }

  /**
   * Waits for the slice's sleep to be answered, watching the server meanwhile (every second).
   * Progress is simulated time moving faster than the wall clock (while time is locked, the server's
   * clock follows the wall clock), the ledger growing, or the worker's work in flight changing. Without
   * any for `stallMs`, the rehearsal has stalled: throw, naming what is stuck. The clock never unlocks
   * time it did not lock itself: the only call it sends again is its own failed sleep, and only when
   * that call cannot be pending on the server ({@link SimulatedClock.resend}).
   */
  private async watch(targetMs: number, call: Promise<SleepOutcome>, hooks: AdvanceHooks): Promise<void> {
    const { stallMs } = this.limits;
    const idleMs = Math.min(this.limits.idleMs, stallMs);
    let pending: Promise<SleepOutcome> | null = call;
    let lastProgress = Date.now();
    let lastHardProgress = lastProgress;
    let idleSince: number | null = null;
    let lastServer: number | null = null;
    let lastWall = Date.now();
    let lastCount: number | null = null;
    let lastLoad: string | null = null;
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
      const server = await this.readServer();
      const wall = Date.now();
      if (server !== null && server >= targetMs && !pending) return;
      const count = await hooks.ledgerCount().catch(() => lastCount);
      const load = hooks.workerLoad?.();
      const loadKey = load ? `${load.workflowActivations}/${load.activities}` : null;
      const skipped = server !== null && lastServer !== null && server - lastServer > wall - lastWall + 1000;
      if (skipped || (lastCount !== null && count !== lastCount)) lastHardProgress = lastProgress = wall;
      else if (lastLoad !== null && loadKey !== lastLoad) lastProgress = wall;
      const workerIdle = load !== undefined && isIdle(load);
      // A reading that failed (a cut connection) neither proves nor disproves that time is locked: keep the last one.
      if (server !== null) {
        idleSince = !pending && !skipped && workerIdle ? (idleSince ?? wall) : null;
        hooks.onProgress?.(server);
        lastServer = server;
        lastWall = wall;
      } else if (!workerIdle) idleSince = null;
      lastCount = count;
      lastLoad = loadKey;
      if (idleSince !== null && wall - idleSince >= idleMs && this.stats.resent < this.limits.maxResend) {
        const diagnosis = await hooks.diagnose(server, targetMs);
        if (diagnosis.startsWith(NOTHING_RUNS) && hooks.workerLoad && isIdle(hooks.workerLoad())) {
          pending = this.resend(server!, targetMs, hooks);
          lastHardProgress = lastProgress = Date.now();
          idleSince = null;
          continue;
        }
        idleSince = null;
      }
      const quiet = wall - lastProgress;
      if (quiet < stallMs && wall - lastHardProgress < Math.max(stallMs, this.limits.busyStallMs)) continue;
      const diagnosis = await hooks.diagnose(server, targetMs);
      throw new RehearsalStalledError(
        `The rehearsal stalled: simulated time has not moved for ${Math.round((wall - lastHardProgress) / 1000)} s and nothing new reached the ledger ` +
        `(${lastCount ?? '?'} events). The test server's clock ${server === null ? 'did not answer' : `reads ${iso(server)}`}; the rehearsal was advancing it to ${iso(targetMs)}` +
        `${pending ? '' : ' with a sleep call that failed'}.${this.stats.resent ? ` The clock sent a failed sleep again ${this.stats.resent} time(s) during the rehearsal.` : ''}\n${diagnosis}`,
      );
    }
  }

  /**
   * This slice's sleep call failed, and for `idleMs` time has been locked while the worker had nothing in
   * flight and no workflow an activity. A sleep pending on the server would have left time unlocked (only
   * work in flight locks it then), so the call never reached the server: send it again for the same instant.
   */
  private resend(server: number, targetMs: number, hooks: AdvanceHooks): Promise<SleepOutcome> {
    this.stats.resent += 1;
    hooks.log?.(`time is locked at ${iso(server)}, nothing runs and the sleep to ${iso(targetMs)} failed: it never reached the server, sending it again (${this.stats.resent} of at most ${this.limits.maxResend})`);
    return this.send(Math.max(0, targetMs - server));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** A diagnosis that starts with this means every workflow was described and none has an activity in flight. */
export const NOTHING_RUNS = 'No workflow has an activity in flight';

const isIdle = (load: WorkerLoad) => load.workflowActivations === 0 && load.activities === 0;

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
