/**
 * What one EPS prescription costs the load client's CPU outside the HTTP stack
 * (`node --import tsx bench/support/eps-client-cost.ts [prescriptions]`): no server, one core,
 * a few seconds. It does, part by part, what `mixed-client.ts` does for an `eps_cycle` between its
 * requests: build the five bodies, read `$prepare`'s answer, sign its SignedInfo with the bench
 * prescriber's key, and take in the other four answers (kept whole, not parsed, as the client does).
 *
 * CPU, not wall time (the machine is shared with the benches): user + system of this process,
 * garbage collection included, as the EPS bench charges the load client from /proc. Each part runs
 * in rounds; the figure is the median round's µs per prescription.
 */
import { createHash, createPrivateKey, createSign, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signedInfo } from '../../src/services/prescriptions/domain/digest.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/population/nhs-numbers.js';
import { EpsCycle } from '../../test/prescriptions/cycle.js';

const PRESCRIPTIONS = Number(process.argv[2] ?? 2000);
const ROUNDS = 7;
const ORGS = { prescriber: 'Y90210', pharmacy: 'FY902' };
const EXAMPLES = new URL('../../spec/nhs/eps/examples/', import.meta.url);

/** A spec example's answer as the server writes it (compact JSON), delivered in socket-sized reads. */
function answerChunks(path: string): Buffer[] {
  const text = Buffer.from(JSON.stringify(JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8'))));
  const chunks: Buffer[] = [];
  for (let at = 0; at < text.length; at += 16_384) chunks.push(text.subarray(at, at + 16_384));
  return chunks;
}

/** `$prepare`'s answer for one prescription: a SignedInfo over a fresh digest, and its timestamp. */
function preparedAnswer(): string {
  const digest = createHash('sha256').update(randomBytes(32)).digest('base64');
  return JSON.stringify({
    resourceType: 'Parameters',
    parameter: [
      { name: 'digest', valueString: Buffer.from(signedInfo(digest)).toString('base64') },
      { name: 'timestamp', valueString: new Date().toISOString() },
      { name: 'algorithm', valueString: 'RS256' },
    ],
  });
}

const numbers = new SyntheticNhsNumbers();
const patients = Array.from({ length: 1000 }, () => numbers.next());
const prepared = Array.from({ length: 64 }, preparedAnswer);
const answers = [
  answerChunks('primary-care/acute/nominated-pharmacy/medical-prescriber/1-Process-Response-Send-200_OK.json'),
  answerChunks('spec/dispensing/release/acute-primary-example-res.json'),
  answerChunks('spec/dispensing/dispense-notification/acute-primary-example-res.json'),
  answerChunks('spec/dispensing/claim/acute-primary-example-res.json'),
];

const eps = new EpsCycle(ORGS);
const orders = patients.slice(0, 64).map((nhsNumber) => eps.newOrder(nhsNumber).order);
let sink = 0;
const keep = (text: string | Buffer) => { sink += text.length; };

/** One prescription's work, part by part, as the load client does it. */
const parts: Record<string, (i: number) => void> = {
  'order ($prepare body)': (i) => keep(JSON.stringify(eps.newOrder(patients[i % patients.length]!).order)),
  'read $prepare answer': (i) => { sink += (JSON.parse(prepared[i % prepared.length]!) as { parameter: unknown[] }).parameter.length; },
  'signed order (incl. RSA)': (i) => keep(JSON.stringify(eps.signedOrder(orders[i % orders.length]!, JSON.parse(prepared[i % prepared.length]!) as Record<string, unknown>))),
  'release body': () => keep(JSON.stringify(eps.releaseBody('A1B2C3-Y90210-00000F'))),
  'dispense body': (i) => keep(JSON.stringify(eps.dispenseBody('A1B2C3-Y90210-00000F', patients[i % patients.length]!))),
  'claim body': (i) => keep(JSON.stringify(eps.claimBody('A1B2C3-Y90210-00000F', patients[i % patients.length]!))),
  'take in 4 answers': () => { for (const chunks of answers) keep(Buffer.concat(chunks)); },
  '5 request ids': () => { for (let r = 0; r < 5; r++) keep(randomUUID()); },
};
/** The floor within 'signed order': the prescriber's signature itself. */
const key = createPrivateKey(readFileSync(new URL('../../test/prescriptions/fixtures/prescriber-key.pem', import.meta.url), 'utf8'));
const signedInfos = prepared.map((text) => Buffer.from((JSON.parse(text) as { parameter: Array<{ valueString: string }> }).parameter[0]!.valueString, 'base64').toString('utf8'));
const floor: Record<string, (i: number) => void> = {
  'RSA-SHA256 signature alone': (i) => keep(createSign('RSA-SHA256').update(signedInfos[i % signedInfos.length]!).sign(key, 'base64')),
};

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function measure(work: (i: number) => void): number {
  for (let i = 0; i < Math.min(200, PRESCRIPTIONS); i++) work(i);
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const n = Math.ceil(PRESCRIPTIONS / ROUNDS);
    const started = cpuMicros();
    for (let i = 0; i < n; i++) work(i);
    rounds.push((cpuMicros() - started) / n);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const line = (name: string, us: number) => process.stdout.write(`${name.padEnd(34)} ${us.toFixed(1).padStart(8)} µs\n`);
let total = 0;
for (const [name, work] of Object.entries(parts)) {
  const us = measure(work);
  total += us;
  line(name, us);
}
line('per prescription (sum)', total);
for (const [name, work] of Object.entries(floor)) line(name, measure(work));
if (sink === 0) process.stdout.write('(nothing built)\n');
