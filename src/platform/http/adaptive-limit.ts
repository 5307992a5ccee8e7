/**
 * How many requests the process works on at once, found by measuring rather than guessed: a
 * gradient limiter (after Netflix's concurrency-limits). A fixed limit is either too low for a
 * quiet machine (a request spends most of its time waiting on PostgreSQL, so more in flight is
 * more throughput) or too high for a loaded one (the excess only queues for CPU, and everyone's
 * latency grows). Here the limit follows the service time of admitted requests (from admission to
 * the end of the response, waiting room excluded):
 *
 * - the baseline is the shortest mean service time of a window seen lately: what a request takes
 *   when nothing queues. It drifts up slowly, so a quiet spell long ago does not pin it when
 *   neighbours have since slowed the machine;
 * - each window (a quarter of a second with enough answers) in which the limit was what held
 *   requests back, the limit moves towards `limit + √limit` while the mean service time stays
 *   within TOLERANCE times the baseline, and towards `limit × TOLERANCE × baseline / mean` (at
 *   least half the limit) once it does not: admitting more then only queues;
 * - a window in which the limit held nothing back teaches nothing: it stays;
 * - in overload (a standing queue or the waiting room overflowing during the window: a request admitted now would
 *   otherwise be served late) the latency target rules as well: while the window's 90th percentile
 *   of service time is past the service budget (half the target; the other half is for waiting),
 *   the limit moves towards `limit × budget / p90` (at least half the limit), and it may then go
 *   below `min`, to half of it: on a machine whose CPU is the bottleneck, more in flight only
 *   lengthens every request's turn. (Measured at 1,000 connections on two cores: a limit of 20
 *   served admitted reads with a p99 of 82 ms, 10 with 54 ms, 5 served far fewer and no faster.)
 *   Once the overload is over, the limit comes back up to `min` at once;
 * - always within [min, max] otherwise: the pool size below (fewer would leave connections idle),
 *   a bound on memory above.
 */
export const TOLERANCE = 2;
/** Answers a window needs before its mean is trusted. */
export const MIN_SAMPLES = 20;
/** How fast the limit moves towards its target each window. */
const SMOOTHING = 0.2;
/** How fast the baseline forgets: ×1.02 a window, about ×1.1 a second. */
const BASELINE_DRIFT = 1.02;

export interface LimitWindow {
  /** Mean service time of the window's answers, in ms. */
  meanMs: number;
  /** Whether a request had to wait or was shed because the limit was reached. */
  saturated: boolean;
  /** Whether the process was overloaded (a standing queue or a full waiting room; not a burst). */
  overloaded?: boolean;
  /** The 90th percentile of the window's service times, in ms (needed when `overloaded`). */
  p90Ms?: number;
}

export interface LimitBounds {
  min: number;
  max: number;
  /** The service time (p90, ms) the limit keeps admitted requests within while overloaded; none when absent. */
  budgetMs?: number;
}

/** The lowest the latency budget may take the limit: half of `min` (at least 1). */
export const overloadFloor = (min: number) => Math.max(1, Math.ceil(min / 2));

export interface LimitState {
  limit: number;
  baselineMs: number;
}

/** Pure: the state after one window. */
export function nextLimit(state: LimitState, window: LimitWindow, bounds: LimitBounds): LimitState {
  const meanMs = Math.max(window.meanMs, 0.001);
  const baselineMs = Math.min(meanMs, state.baselineMs * BASELINE_DRIFT);
  const overloaded = window.overloaded === true && bounds.budgetMs !== undefined;
  const lowest = overloaded ? overloadFloor(bounds.min) : bounds.min;
  if (!window.saturated) return { limit: Math.min(bounds.max, Math.max(lowest, state.limit)), baselineMs };
  let gradient = Math.max(0.5, (TOLERANCE * baselineMs) / meanMs);
  if (overloaded) gradient = Math.min(gradient, Math.max(0.5, bounds.budgetMs! / Math.max(window.p90Ms ?? meanMs, 0.001)));
  const target = gradient >= 1 ? state.limit + Math.sqrt(state.limit) : state.limit * gradient;
  const limit = Math.min(bounds.max, Math.max(lowest, state.limit + SMOOTHING * (target - state.limit)));
  return { limit, baselineMs };
}

export class AdaptiveLimit {
  private state: LimitState;
  private windowStart: number;
  private readonly serviceMs: number[] = [];
  private totalMs = 0;
  private saturated = false;
  private overloaded = false;
  private lastP90Ms = 0;
  private lastP99Ms = 0;

  /** `budgetMs`: the service time (p90) to keep admitted requests within while overloaded. */
  constructor(readonly min: number, readonly max: number, initial: number, private readonly windowMs = 250, now = performance.now(), readonly budgetMs?: number) {
    this.state = { limit: Math.min(max, Math.max(min, initial)), baselineMs: Number.POSITIVE_INFINITY };
    this.windowStart = now;
  }

  /** Requests that may be in progress now. */
  get current(): number {
    return Math.floor(this.state.limit);
  }

  /** The 90th percentile of service time in the last window that had enough answers (0 before the first). */
  get serviceP90Ms(): number {
    return this.lastP90Ms;
  }

  /** The 99th percentile of service time in the same window. */
  get serviceP99Ms(): number {
    return this.lastP99Ms;
  }

  /** The limit, not the clients, bounded the work: a request waited or was shed. */
  noteSaturated() {
    this.saturated = true;
  }

  /** The process is overloaded (a standing queue, or the waiting room overflowed), not in a burst. */
  noteOverloaded() {
    this.saturated = true;
    this.overloaded = true;
  }

  /** An admitted request took `serviceMs` from admission to the end of its response. */
  record(serviceMs: number, now: number) {
    this.serviceMs.push(serviceMs);
    this.totalMs += serviceMs;
    const samples = this.serviceMs.length;
    if (samples < MIN_SAMPLES || now - this.windowStart < this.windowMs) return;
    this.serviceMs.sort((a, b) => a - b);
    this.lastP90Ms = this.serviceMs[Math.floor(samples * 0.9)]!;
    this.lastP99Ms = this.serviceMs[Math.floor(samples * 0.99)]!;
    if (this.min < this.max) {
      const window = { meanMs: this.totalMs / samples, saturated: this.saturated, overloaded: this.overloaded, p90Ms: this.lastP90Ms };
      this.state = nextLimit(this.state, window, this);
    }
    this.windowStart = now;
    this.serviceMs.length = 0;
    this.totalMs = 0;
    this.saturated = false;
    this.overloaded = false;
  }
}
