import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its textual form (RFC 9562: 8-4-4-4-12 hex digits, either case, any version). */
export const isUuid = (value: string) => UUID.test(value);

// Random bytes drawn 4 kB at a time: one call to the kernel's generator costs about 5 µs on a
// virtual machine whatever its size, and `uuid`'s `v7()` makes one for every id (6% of an NRL
// create's server CPU).
const POOL = new Uint8Array(16 * 256);
let drawn = POOL.length;

function randomBytes16(): Uint8Array {
  if (drawn === POOL.length) {
    randomFillSync(POOL);
    drawn = 0;
  }
  const bytes = POOL.subarray(drawn, drawn + 16);
  drawn += 16;
  return bytes;
}

// The last id's millisecond and counter. A new millisecond starts the counter at a random 31-bit
// value (as `uuid` does: ids stay hard to guess); within one, it counts up, and should it ever
// wrap, the millisecond moves on, so the order holds.
let lastMsecs = Number.NEGATIVE_INFINITY;
let counter = 0;

/**
 * UUIDs of version 7 (RFC 9562: the millisecond, then a counter, then random bits), each after
 * the one before in this process, as `uuid`'s own `v7()` makes them, from the pooled random bytes.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const random = randomBytes16();
  if (now > lastMsecs) {
    lastMsecs = now;
    counter = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    counter = (counter + 1) | 0;
    if (counter === 0) lastMsecs += 1;
  }
  return v7({ msecs: lastMsecs, seq: counter, random });
}
