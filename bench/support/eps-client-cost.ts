/**
 * What one EPS prescription costs the load client's CPU
 * (`node --expose-gc --import tsx bench/support/eps-client-cost.ts [prescriptions]`): no server, one
 * core, a few seconds. Part by part, what `mixed-client.ts` does for an `eps_cycle` between its
 * requests: build the five bodies, read `$prepare`'s answer, sign its SignedInfo with the bench
 * prescriber's key, take in the other four answers; then the whole cycle through the client's HTTP
 * call (node:http) on stand-in connections that answer at once (canned-agent.ts: no kernel, so its
 * send and receive are not counted). Each as the client did it (objects cloned from the examples
 * and stringified, every answer kept) and as it does it now (JSON text templates, answers it does
 * not read drained).
 *
 * CPU, not wall time (the machine is shared with the benches): user + system of this process,
 * garbage collection included, as the EPS bench charges the load client from /proc. Each part runs
 * in rounds, the old way's and the new way's in turn; the figure is the median round's µs per
 * prescription. With `--expose-gc`, each comparison starts from a collected heap.
 */
import { createHash, createPrivateKey, createSign, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signedInfo } from '../../src/services/prescriptions/domain/digest.js';
import { SyntheticNhsNumbers } from '../../src/services/demographics/population/nhs-numbers.js';
import { EpsCycle } from '../../test/prescriptions/cycle.js';
import { httpCall } from './http-call.js';
import { CannedAgent, cannedAnswer } from './canned-agent.js';

const PRESCRIPTIONS = Number(process.argv[2] ?? 2000);
const ROUNDS = 9;
const ORGS = { prescriber: 'Y90210', pharmacy: 'FY902' };
const EXAMPLES = new URL('../../spec/nhs/eps/examples/', import.meta.url);

/** A spec example's answer as the server writes it (compact JSON). */
const exampleAnswer = (path: string) => JSON.stringify(JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8')));

/** An answer delivered in socket-sized reads. */
function answerChunks(answer: string): Buffer[] {
  const text = Buffer.from(answer);
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
/** The answers to the order, the release, the dispense notification and the claim. */
const answerTexts = [
  exampleAnswer('primary-care/acute/nominated-pharmacy/medical-prescriber/1-Process-Response-Send-200_OK.json'),
  exampleAnswer('spec/dispensing/release/acute-primary-example-res.json'),
  exampleAnswer('spec/dispensing/dispense-notification/acute-primary-example-res.json'),
  exampleAnswer('spec/dispensing/claim/acute-primary-example-res.json'),
];
const answers = answerTexts.map(answerChunks);

const eps = new EpsCycle(ORGS);
const orders = patients.slice(0, 64).map((nhsNumber) => eps.newOrder(nhsNumber).order);
let sink = 0;
// A body is written to the socket as UTF-8 bytes: encoding it is part of sending it, whatever built it.
const keep = (text: string | Buffer) => { sink += typeof text === 'string' ? Buffer.from(text).length : text.length; };

const anyone = (i: number) => patients[i % patients.length]!;
const preparedAt = (i: number) => JSON.parse(prepared[i % prepared.length]!) as Record<string, unknown>;
const SHORT_FORM_ID = 'A1B2C3-Y90210-00000F';
const ids = Array.from({ length: 64 }, (_, i) => eps.newOrderJson(anyone(i)).order);

/**
 * One prescription's work, part by part: as the load client did it (objects cloned from the
 * examples, then JSON.stringify; every answer kept whole) and as it does it now (the bodies'
 * JSON text from templates; only `$prepare`'s answer and a failure's kept, the others drained).
 */
const parts: Record<string, { objects: (i: number) => void; text: (i: number) => void }> = {
  'order ($prepare body)': {
    objects: (i) => keep(JSON.stringify(eps.newOrder(anyone(i)).order)),
    text: (i) => keep(eps.newOrderJson(anyone(i)).json),
  },
  'read $prepare answer': {
    objects: (i) => { sink += (preparedAt(i).parameter as unknown[]).length; },
    text: (i) => { sink += (preparedAt(i).parameter as unknown[]).length; },
  },
  'signed order (incl. RSA)': {
    objects: (i) => keep(JSON.stringify(eps.signedOrder(orders[i % orders.length]!, preparedAt(i)))),
    text: (i) => keep(eps.signedOrderJson(ids[i % ids.length]!, preparedAt(i))),
  },
  'release body': {
    objects: () => keep(JSON.stringify(eps.releaseBody(SHORT_FORM_ID))),
    text: () => keep(eps.releaseJson(SHORT_FORM_ID)),
  },
  'dispense body': {
    objects: (i) => keep(JSON.stringify(eps.dispenseBody(SHORT_FORM_ID, anyone(i)))),
    text: (i) => keep(eps.dispenseJson(SHORT_FORM_ID, anyone(i))),
  },
  'claim body': {
    objects: (i) => keep(JSON.stringify(eps.claimBody(SHORT_FORM_ID, anyone(i)))),
    text: (i) => keep(eps.claimJson(SHORT_FORM_ID, anyone(i))),
  },
  // The socket's reads are made either way; what differs is joining them into one buffer to keep.
  'take in 4 answers': {
    objects: () => { for (const chunks of answers) keep(Buffer.concat(chunks)); },
    text: () => { for (const chunks of answers) for (const chunk of chunks) sink += chunk.length; },
  },
  '5 request ids': {
    objects: () => { for (let r = 0; r < 5; r++) keep(randomUUID()); },
    text: () => { for (let r = 0; r < 5; r++) keep(randomUUID()); },
  },
};
/**
 * The whole cycle as the load client runs it, through its HTTP call (node:http) on connections that
 * answer at once with the server's answers (canned-agent.ts): the parts above and the HTTP work,
 * less the kernel's. As it was (each body stringified from objects, every answer kept) and as it is.
 */
const agent = new CannedAgent();
const TOKEN = 'e'.repeat(1000); // about an access token's length
const preparedAnswers = prepared.map((text) => cannedAnswer(200, text));
const [orderAnswer, releaseAnswer, dispenseAnswer, claimAnswer] = answerTexts.map((text) => cannedAnswer(200, text)) as [Buffer, Buffer, Buffer, Buffer];
async function post(path: string, body: string, answer: Buffer, drain?: number, prescriber = false) {
  agent.answer = answer;
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'x-request-id': randomUUID(), 'content-type': 'application/fhir+json' };
  if (prescriber) headers['nhsd-session-urid'] = '555900000101';
  const reply = await httpCall(agent, `http://127.0.0.1:3000${path}`, 'POST', headers, body, drain);
  if (reply.status !== 200) throw new Error(`${path}: ${reply.status}`);
  return reply;
}
const cycle = {
  objects: async (i: number) => {
    const nhsNumber = anyone(i);
    const { order, shortFormId } = eps.newOrder(nhsNumber);
    const answer = await post('/$prepare', JSON.stringify(order), preparedAnswers[i % preparedAnswers.length]!, undefined, true);
    await post('/$process-message', JSON.stringify(eps.signedOrder(order, JSON.parse(answer.body.toString()) as Record<string, unknown>)), orderAnswer, undefined, true);
    await post('/Task/$release', JSON.stringify(eps.releaseBody(shortFormId)), releaseAnswer);
    await post('/$process-message', JSON.stringify(eps.dispenseBody(shortFormId, nhsNumber)), dispenseAnswer);
    await post('/Claim', JSON.stringify(eps.claimBody(shortFormId, nhsNumber)), claimAnswer);
  },
  text: async (i: number) => {
    const nhsNumber = anyone(i);
    const { json, order } = eps.newOrderJson(nhsNumber);
    const answer = await post('/$prepare', json, preparedAnswers[i % preparedAnswers.length]!, undefined, true);
    await post('/$process-message', eps.signedOrderJson(order, JSON.parse(answer.body.toString()) as Record<string, unknown>), orderAnswer, 200, true);
    await post('/Task/$release', eps.releaseJson(order.shortFormId), releaseAnswer, 200);
    await post('/$process-message', eps.dispenseJson(order.shortFormId, nhsNumber), dispenseAnswer, 200);
    await post('/Claim', eps.claimJson(order.shortFormId, nhsNumber), claimAnswer, 200);
  },
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

type Work = (i: number) => void | Promise<void>;
const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/**
 * Median µs per prescription of each way of doing the same work, their rounds taken in turn so
 * that the machine's other load weighs on each alike.
 */
async function measure(...ways: Work[]): Promise<number[]> {
  const rounds: number[][] = ways.map(() => []);
  const n = Math.ceil(PRESCRIPTIONS / ROUNDS);
  // What earlier measurements left to collect is not charged to these (with --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  for (const work of ways) for (let i = 0; i < Math.min(200, n); i++) await work(i);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [w, work] of ways.entries()) {
      const started = cpuMicros();
      for (let i = 0; i < n; i++) await work(i);
      rounds[w]!.push((cpuMicros() - started) / n);
    }
  }
  return rounds.map(median);
}

const column = (us: number) => `${us.toFixed(1).padStart(9)} µs`;
const line = (name: string, ...figures: number[]) => process.stdout.write(`${name.padEnd(30)}${figures.map(column).join('')}\n`);
process.stdout.write(`${'CPU per prescription'.padEnd(30)}${'objects'.padStart(12)}${'text'.padStart(12)}\n`);
let before = 0;
let after = 0;
for (const [name, { objects, text }] of Object.entries(parts)) {
  const [was, now] = await measure(objects, text) as [number, number];
  before += was;
  after += now;
  line(name, was, now);
}
line('per prescription (sum of parts)', before, after);
// All the parts in one loop: the garbage one part leaves is collected while another runs, so this is the figure to compare.
const whole = (variant: 'objects' | 'text') => (i: number) => { for (const part of Object.values(parts)) part[variant](i); };
line('per prescription (one loop)', ...await measure(whole('objects'), whole('text')));
line('the cycle through node:http', ...await measure(cycle.objects, cycle.text));
for (const [name, work] of Object.entries(floor)) line(name, ...await measure(work));
if (sink === 0) process.stdout.write('(nothing built)\n');
