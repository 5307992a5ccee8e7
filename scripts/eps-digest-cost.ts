// Micro-benchmark of the prescription digest (`$prepare` and every order compute it): the mean cost
// per bundle over NHS England's $prepare examples, after a warm-up, on one core.
//   node --import tsx scripts/eps-digest-cost.ts [rounds]
import { prescriptionDigest } from '../src/services/prescriptions/domain/digest.js';
import { entriesOf } from '../src/services/prescriptions/domain/fhir.js';
import { digestExamples } from '../test/prescriptions/digest-examples.js';

const bundles = digestExamples().map((e) => ({ entries: entriesOf(e.request), timestamp: e.timestamp }));
const rounds = Number(process.argv[2] ?? 500);
const run = (n: number) => { for (let r = 0; r < n; r++) for (const b of bundles) prescriptionDigest(b.entries, b.timestamp); };
run(50);
const start = process.hrtime.bigint();
run(rounds);
const perDigestUs = Number(process.hrtime.bigint() - start) / 1000 / (rounds * bundles.length);
const items = bundles.reduce((n, b) => n + b.entries.filter((e) => e.resource.resourceType === 'MedicationRequest').length, 0) / bundles.length;
console.log(`${perDigestUs.toFixed(1)} µs per digest (mean of ${rounds} × ${bundles.length} example bundles, ${items.toFixed(1)} items each on average)`);
