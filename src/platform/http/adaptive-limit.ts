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
 * - always within [min, max]: the pool size below (fewer would leave connections idle), a bound on
 *   memory above.
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
}

export interface LimitState {
  limit: number;
  baselineMs: number;
}

/** Pure: the state after one window. */
export function nextLimit(state: LimitState, window: LimitWindow, bounds: { min: number; max: number }): LimitState {
  const meanMs = Math.max(window.meanMs, 0.001);
  const baselineMs = Math.min(meanMs, state.baselineMs * BASELINE_DRIFT);
  if (!window.saturated) return { limit: state.limit, baselineMs };
  const gradient = Math.max(0.5, (TOLERANCE * baselineMs) / meanMs);
  const target = gradient >= 1 ? state.limit + Math.sqrt(state.limit) : state.limit * gradient;
  const limit = Math.min(bounds.max, Math.max(bounds.min, state.limit + SMOOTHING * (target - state.limit)));
  return { limit, baselineMs };
}

export class AdaptiveLimit {
  private state: LimitState;
  private windowStart: number;
  private samples = 0;
  private totalMs = 0;
  private saturated = false;

  constructor(readonly min: number, readonly max: number, initial: number, private readonly windowMs = 250, now = performance.now()) {
    this.state = { limit: Math.min(max, Math.max(min, initial)), baselineMs: Number.POSITIVE_INFINITY };
    this.windowStart = now;
  }

  /** Requests that may be in progress now. */
  get current(): number {
    return Math.floor(this.state.limit);
  }

  /** The limit, not the clients, bounded the work: a request waited or was shed. */
  noteSaturated() {
    this.saturated = true;
  }

  /** An admitted request took `serviceMs` from admission to the end of its response. */
  record(serviceMs: number, now: number) {
    this.samples += 1;
    this.totalMs += serviceMs;
    if (this.samples < MIN_SAMPLES || now - this.windowStart < this.windowMs) return;
    if (this.min < this.max) {
      this.state = nextLimit(this.state, { meanMs: this.totalMs / this.samples, saturated: this.saturated }, this);
    }
    this.windowStart = now;
    this.samples = 0;
    this.totalMs = 0;
    this.saturated = false;
  }
}
