/**
 * When to try a failed delivery again: exponential (base × 2^(attempts−1)), capped, with up to 20%
 * jitter so that subscribers recovering together are not all retried in the same instant.
 * `random` is in [0, 1).
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(baseMs * 2 ** exponent, maxMs);
  return Math.round(delay * (1 + 0.2 * random));
}
