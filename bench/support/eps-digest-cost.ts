/**
 * What the prescription's digest costs the EPS server's CPU
 * (`node --expose-gc --import tsx bench/support/eps-digest-cost.ts [digests]`): no server, one core.
 * The server makes it twice a prescription (at `$prepare`, and again at the order from the bundle it
 * receives: domain/digest.ts); this makes it for the EPS bench's own orders (test/prescriptions/cycle.ts),
 * in rounds, and prints the median round's CPU (user + system, garbage collection included) per digest.
 */
import { EpsCycle } from '../../test/prescriptions/cycle.js';
import { entriesOf, type Json } from '../../src/services/prescriptions/domain/fhir.js';
import { prescriptionDigest } from '../../src/services/prescriptions/domain/digest.js';

const DIGESTS = Number(process.argv[2] ?? 4000);
const ROUNDS = 9;
const cycle = new EpsCycle({ prescriber: 'Y90210', pharmacy: 'FY902' });
const orders = Array.from({ length: 200 }, (_, n) => entriesOf(JSON.parse(cycle.newOrderJson(String(9_000_000_000 + n)).json) as Json));
const signedAt = new Date().toISOString();
const gc = (globalThis as { gc?: () => void }).gc;

const rounds: number[] = [];
let digest = '';
for (let round = 0; round < ROUNDS; round++) {
  gc?.();
  const before = process.cpuUsage();
  for (let n = 0; n < DIGESTS; n++) digest = prescriptionDigest(orders[n % orders.length]!, signedAt);
  const used = process.cpuUsage(before);
  rounds.push((used.user + used.system) / DIGESTS);
}
rounds.sort((a, b) => a - b);
console.log(`prescription digest: ${rounds[Math.floor(ROUNDS / 2)]!.toFixed(1)} µs of CPU (median of ${ROUNDS} rounds of ${DIGESTS}; fastest ${rounds[0]!.toFixed(1)}, slowest ${rounds[ROUNDS - 1]!.toFixed(1)}); last ${digest}`);
