import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { call, example, type Json } from './support.js';

/**
 * The examples harness: every example request of NHS England's EPS examples (spec/nhs/eps/examples)
 * is sent to a sandbox-mode Spine, flow by flow (one folder is one flow) in lifecycle order, and
 * its answer compared with its paired example response, ids, timestamps, digests and other
 * generated values aside. It prints how many pairs match; it fails on any 5xx, any answer that is
 * not a FHIR resource, and any pair that differs from its example other than as EXPLAINED says.
 */
const ROOT = fileURLToPath(new URL('../../spec/nhs/eps/examples/', import.meta.url));
/**
 * The pairs whose answer differs from the example, each with every place it differs (`where`: the
 * paths of the differences, a path ending in `.` or `]` standing for everything under it, or
 * `status` when the status differs and the bodies are not compared) and why the service answers as
 * it does. Every difference is checked, not only the first: one outside `where` fails the harness,
 * and so does a pair here that has come to match (take it out), or a `where` that no longer differs.
 */
/** A released order in a release answer's passed bundle (the first), and its entries. */
const RELEASED = 'parameter[0].resource.entry[0].resource.entry';
const EXPLAINED: Record<string, { where: string[]; why: string }> = {
  'primary-care/acute/nominated-pharmacy/medical-prescriber/Prepare-Request-Multiple-Dosages-200_OK.json': {
    where: ['parameter[2].valueString'],
    why: 'two older examples give the algorithm RS1 (SHA-1); the other 42 answers RS256, the one algorithm this service signs for',
  },
  'spec/prepare/eRD-primary-example-req.json': {
    where: ['parameter[2].valueString'],
    why: 'as above: RS1 in an older example',
  },
  'primary-care/acute/nominated-pharmacy/medical-prescriber/cancellations/2-Process-Request-Cancel-200_OK.json': {
    where: ['status'],
    why: 'the cancellation names 24F5DA-A83008-7EFE6Z, a prescription this flow never ordered (its order is 5018BB-A83008-4E5885): a stateless sandbox answers anything; a Spine that keeps prescriptions cannot cancel one it does not hold as asked',
  },
  'spec/dispensing/dispense-notification/acute-primary-example-05-req.json': {
    where: ['status'],
    why: 'its two MedicationDispenses give the prescription two non-dispensing reasons (0008 and 0004), which examples/errors/3-Process-Request-Dispense-400_Invalid_Value sends too and is answered this 400: the spec\'s examples disagree, and the error example states the rule',
  },
  'spec/dispensing/release/acute-primary-example-req.json': {
    where: [
      `${RELEASED}[1].resource`, `${RELEASED}[2].resource`, `${RELEASED}[3].resource`, `${RELEASED}[4].resource`, `${RELEASED}[7].resource.identifier[1].value`, `${RELEASED}[8].resource`,
      `${RELEASED}[9].resource.target[1]`, `${RELEASED}[9].resource.target[2]`, `${RELEASED}[9].resource.target[3]`,
      'parameter[1].resource.total', 'parameter[1].resource.entry', 'parameter[1].resource.link',
    ],
    why: 'the answer releases another prescription of the same id than the spec\'s order of it (spec/prescribing/prescription-order, which the harness orders first): ours gives back that order as signed (its MedicationRequests, practitioner and organisation); its Provenance\'s target names the first of the four MedicationRequests as ours does, then the MessageHeader, where ours names each MedicationRequest, as the spec\'s Provenance schema asks; and its failed bundle lists 819851-A83008-2EFE34 (Signature is invalid), which no example orders, where ours fails none (so it is empty, and links to itself as the spec\'s empty ones do)',
  },
  'spec/dispensing/release/repeat-primary-example-req.json': {
    where: [
      `${RELEASED}[1].resource`, `${RELEASED}[2].resource`, `${RELEASED}[3].resource`, `${RELEASED}[4].resource`, `${RELEASED}[7].resource.identifier[1].value`,
      `${RELEASED}[9].resource.target[1]`, `${RELEASED}[9].resource.target[2]`, `${RELEASED}[9].resource.target[3]`,
      'parameter[1].resource.identifier.value',
    ],
    why: 'as above: the released prescription is not the one the spec orders, and its Provenance\'s target names only the first of its four MedicationRequests; and the example\'s failed bundle has an identifier of 33 hex digits, not a UUID (so not masked as one), where ours is a UUID',
  },
  'spec/dispensing/release/eRD-primary-example-req.json': {
    where: ['status'],
    why: 'the release names 060CC0-A83008-5A2E6T, which no example orders, while its answer releases 24F5DA-A83008-7EFE6Z; the answer is the spec\'s own not-found (examples/spec/errors/release/not-found-error.json)',
  },
  'spec/prescribing/prescription-order-update/eRD-primary-example-req.json': {
    where: ['entry[0].resource.focus[1]', 'entry[1].resource.extension[', 'entry[1].resource.statusReason', 'entry[1].resource.dispenseRequest.validityPeriod.end'],
    why: 'the cancel answer focuses the Patient and the MedicationRequest, and gives the cancelled MedicationRequest as the Spine holds it (the order\'s, with its validity end) with its status history first, as the spec\'s ten Spine answers do (examples/spec/errors/prescription-order-update); these two example answers focus the MedicationRequest alone and give back the cancellation request\'s MedicationRequest (its statusReason, no validity end) with the history last',
  },
  'spec/prescribing/prescription-order-update/repeat-primary-example-req.json': {
    where: ['entry[0].resource.focus[1]', 'entry[1].resource.extension[', 'entry[1].resource.statusReason'],
    why: 'as above: the Spine answers\' focus and MedicationRequest',
  },
};

/**
 * The example requests without a paired response that this service refuses (any other unpaired
 * request must be answered 2xx), each with the refusal it gets: its status, its issue's code (the
 * EPS-IssueCode, or none for a verification error) and its diagnostics where they say why. NHS
 * England's sandbox, being stateless, answers each `-200_OK` one 200 whatever it says; a Spine that
 * keeps prescriptions holds them to the flow they are in, as the live service does, and no sandbox
 * relaxation is made for them, since each contradicts its own flow:
 * - the community repeat flow's claim names patient 9449304130, its prescription's patient is
 *   9449305552 (the spec's FAILURE_TO_PROCESS_MESSAGE);
 * - the two dosage-instruction flows' prescription ids (561479-395879-521272, 887228-510420-124913) fail the ISO 7064
 *   check (the spec's FAILURE_TO_PROCESS_MESSAGE for a bad checksum), so nothing is ordered, released
 *   or dispensed;
 * - and the two examples named 400, as their names say.
 * The homecare and community flows' notifications, returns and withdrawals name another organisation
 * than VNE51, the pharmacy holding the prescription, as their MessageHeader.sender or Task.owner (VNCEL,
 * VN6XW, FL584, RBA, X2601 the Spine itself, VNFKT); their performer's and requester's organisation, which
 * the spec makes the dispenser (domain/dispenser.ts), is VNE51, so they are answered 200, as are the claims after them.
 */
const BAD_CHECKSUM = { status: 400, code: 'FAILURE_TO_PROCESS_MESSAGE' };
const HOMECARE = 'secondary-care/homecare/acute/nominated-pharmacy';
const COMMUNITY_REPEAT = 'secondary-care/community/repeat-dispensing/nominated-pharmacy/clinical-practitioner';
const REFUSED: Record<string, { status: number; code?: string; diagnostics?: string }> = {
  'primary-care/acute/nominated-pharmacy/medical-prescriber/2-Claim-Request-400_Missing_Endorsement_Code.json': { status: 400, diagnostics: 'The claim is missing the required endorsement code.' },
  'secondary-care/community/acute/nominated-pharmacy/clinical-practitioner/multiple-drugs/bulk-translation/1-Process-Request-Send-400_Bad_Request.json':
    { status: 400, diagnostics: 'Bundle contains too many resources of type MedicationRequest. Expected at most 4.' },
  [`${COMMUNITY_REPEAT}/single-medication-request/1-Claim-Request-200_OK.json`]: { status: 400, code: 'FAILURE_TO_PROCESS_MESSAGE' },
  ...Object.fromEntries(['concurrent-dosage-instructions', 'consecutive-and-concurrent-dosage-instructions'].flatMap((flow) =>
    ['1-Process-Request-Send', '1-Task-Request-Release', '1-Process-Request-Dispense'].map((name) => [`${HOMECARE}/${flow}/${name}-200_OK.json`, BAD_CHECKSUM]))),
};

interface Exchange { request: string; response?: string; method: 'POST'; path: string; phase: number; order: number }

const PRESCRIBING = '/fhir-prescribing/FHIR/R4';
const DISPENSING = '/fhir-dispensing/FHIR/R4';

function endpointOf(op: string, detail: string, dir: string): { path: string; phase: number } | undefined {
  const d = detail.toLowerCase();
  if (op === 'Prepare' || dir.endsWith('spec/prepare')) return { path: `${PRESCRIBING}/$prepare`, phase: 0 };
  if (op === 'Process' && d.startsWith('send')) return { path: `${PRESCRIBING}/$process-message`, phase: 1 };
  if (op === 'Process' && d.startsWith('cancel')) return { path: `${PRESCRIBING}/$process-message`, phase: 7 };
  if (op === 'Process' && d.startsWith('dispense')) return { path: `${DISPENSING}/$process-message`, phase: 3 };
  if (op === 'Task' && d.startsWith('release')) return { path: `${DISPENSING}/Task/$release`, phase: 2 };
  if (op === 'Task' && d.startsWith('withdraw')) return { path: `${DISPENSING}/Task`, phase: 4 };
  if (op === 'Task' && d.startsWith('return')) return { path: `${DISPENSING}/Task`, phase: 5 };
  if (op === 'Claim') return { path: `${DISPENSING}/Claim`, phase: 6 };
  return undefined;
}

const SPEC_DIRS: Record<string, { path: string; phase: number }> = {
  'spec/prescribing/prescription-order': { path: `${PRESCRIBING}/$process-message`, phase: 1 },
  'spec/prescribing/prescription-order-update': { path: `${PRESCRIBING}/$process-message`, phase: 7 },
  'spec/prepare': { path: `${PRESCRIBING}/$prepare`, phase: 0 },
  'spec/dispensing/release': { path: `${DISPENSING}/Task/$release`, phase: 2 },
  'spec/dispensing/dispense-notification': { path: `${DISPENSING}/$process-message`, phase: 3 },
  'spec/dispensing/withdraw': { path: `${DISPENSING}/Task`, phase: 4 },
  'spec/dispensing/return': { path: `${DISPENSING}/Task`, phase: 5 },
  'spec/dispensing/claim': { path: `${DISPENSING}/Claim`, phase: 6 },
  'spec/dispense': { path: `${DISPENSING}/Task/$release`, phase: 2 },
};

/**
 * The spec's own examples (spec/dispensing/*, spec/prescribing/prescription-order-update) are each
 * written for one prescription (24F5DA-A83008-7EFE6Z, at pharmacy VNE51) in the state its operation
 * needs; NHS England's sandbox, being stateless, answers each alone. So before each kind (acute,
 * eRD, repeat) of them the harness puts that prescription in that state with the spec's own
 * requests: the order again (sandbox mode: a known id replaces the prescription), then its release
 * and a complete dispense notification where the operation needs them (a claim, the three by which the
 * spec's notifications dispense what its claims claim). Those set-up answers are
 * not pairs. The order is the spec's repeat one, whose issues the other flows' examples count; a
 * cancellation, whose answer gives its prescription back, is preceded by the order of its own kind
 * where the spec has one (eRD, repeat).
 */
const SPEC_ORDER = 'spec/prescribing/prescription-order/repeat-primary-example-req.json';
const specOrderOf = (kind: string) => {
  const ofKind = `spec/prescribing/prescription-order/${kind}-primary-example-req.json`;
  return existsSync(join(ROOT, ofKind)) ? ofKind : SPEC_ORDER;
};
const SPEC_RELEASE = 'spec/dispensing/release/acute-primary-example-req.json';
const SPEC_DISPENSED = 'spec/dispensing/dispense-notification/acute-primary-example-03-req.json';
const SPEC_DISPENSED_IN_TURN = ['01', '02', '03'].map((n) => `spec/dispensing/dispense-notification/acute-primary-example-${n}-req.json`);
/** In SPEC_SETUP: the spec's order of the example's own kind (a cancel answer gives back its prescription). */
const ORDER_OF_KIND = 'the order of the kind';
const SPEC_SETUP: Record<string, Array<[string, string]>> = {
  'spec/prescribing/prescription-order-update': [[`${PRESCRIBING}/$process-message`, ORDER_OF_KIND]],
  // The spec's releases of A0548B-A99968-451485 (spec/dispense) find it as ordered: the homecare flow, run before, claims it.
  'spec/dispense': [[`${PRESCRIBING}/$process-message`, `${HOMECARE}/clinical-practitioner/1-Process-Request-Send-200_OK.json`]],
  'spec/dispensing/release': [[`${PRESCRIBING}/$process-message`, SPEC_ORDER]],
  'spec/dispensing/dispense-notification': [[`${PRESCRIBING}/$process-message`, SPEC_ORDER], [`${DISPENSING}/Task/$release`, SPEC_RELEASE]],
  'spec/dispensing/return': [[`${PRESCRIBING}/$process-message`, SPEC_ORDER], [`${DISPENSING}/Task/$release`, SPEC_RELEASE]],
  'spec/dispensing/withdraw': [[`${PRESCRIBING}/$process-message`, SPEC_ORDER], [`${DISPENSING}/Task/$release`, SPEC_RELEASE], [`${DISPENSING}/$process-message`, SPEC_DISPENSED]],
  // A claim claims what was dispensed (no more): the spec's claims claim what its three notifications
  // dispense in turn (20 and 20 by -01, 15 by -02, the other 15 by -03), so all three are sent first.
  'spec/dispensing/claim': [[`${PRESCRIBING}/$process-message`, SPEC_ORDER], [`${DISPENSING}/Task/$release`, SPEC_RELEASE],
    ...SPEC_DISPENSED_IN_TURN.map((request): [string, string] => [`${DISPENSING}/$process-message`, request])],
};
const kindOf = (request: string) => request.split('/').pop()!.replace(/-primary-.*$/, '');

/** Every request example, paired with its response example where there is one, grouped by flow (folder). */
function exchanges(): Map<string, Exchange[]> {
  const flows = new Map<string, Exchange[]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) { walk(path); continue; }
      const rel = relative(ROOT, dir);
      const numbered = /^(\d+)-([A-Za-z]+)-Request-(.+)\.json$/.exec(name);
      let found: Exchange | undefined;
      if (numbered) {
        const [, n, op, detail] = numbered;
        const endpoint = endpointOf(op!, detail!, rel);
        // One example's request is a `Send-` whose response is named without it (bulk-translation's too-many-items 400).
        const response = [`${n}-${op}-Response-${detail}.json`, `${n}-${op}-Response-${detail!.replace(/^Send-/, '')}.json`].map((c) => join(dir, c)).find(existsSync);
        if (endpoint) found = { request: path, response, method: 'POST', ...endpoint, order: Number(n) };
      } else if (/-req\.json$/.test(name) || /-Request-/.test(name)) {
        const endpoint = SPEC_DIRS[rel] ?? (/^Prepare-Request/.test(name) ? { path: `${PRESCRIBING}/$prepare`, phase: 0 } : undefined);
        const candidates = [name.replace(/-req\.json$/, '-res.json'), name.replace(/-\d\d-req\.json$/, '-res.json'), name.replace('-Request-', '-Response-')];
        const response = candidates.map((c) => join(dir, c)).find((c) => c !== path && existsSync(c));
        if (endpoint) found = { request: path, response, method: 'POST', ...endpoint, order: 0 };
      }
      if (found) flows.set(rel, [...(flows.get(rel) ?? []), found]);
    }
  };
  walk(ROOT);
  for (const list of flows.values()) list.sort((a, b) => a.order - b.order || a.phase - b.phase || a.request.localeCompare(b.request));
  return flows;
}

const UUID = /^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INSTANT = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?$/;
const GENERATED_KEYS = new Set(['id', 'meta', 'fullUrl', 'timestamp', 'lastUpdated', 'reference', 'endpoint']);

/** What a comparison ignores: ids, references, timestamps, digests and signatures (generated per call). */
function normalised(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalised(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).filter(([k]) => !GENERATED_KEYS.has(k)).map(([k, v]) => [k, normalised(v, k)]));
  }
  if (typeof value === 'string') {
    if (UUID.test(value)) return '<uuid>';
    if (INSTANT.test(value) && value.length >= 10) return '<instant>';
    if (key === 'valueString' && value.length > 80) return '<digest>';
    // A search Bundle's self link is where this server answers (the examples name NHS England's sandbox host).
    if (key === 'url' && /\/Task\/\$release$/.test(value)) return '<self>';
  }
  return value;
}

const shown = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 100));

/** Every place two normalised answers differ, as `{ path, text: 'path: ours …, example …' }`; none when they are equal. */
function differences(ours: unknown, theirs: unknown, path = ''): Array<{ path: string; text: string }> {
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    return Array.from({ length: Math.max(ours.length, theirs.length) }, (_, i) => differences(ours[i], theirs[i], `${path}[${i}]`)).flat();
  }
  if (ours && theirs && typeof ours === 'object' && typeof theirs === 'object' && !Array.isArray(ours) && !Array.isArray(theirs)) {
    return [...new Set([...Object.keys(theirs), ...Object.keys(ours)])]
      .flatMap((key) => differences((ours as Json)[key], (theirs as Json)[key], path ? `${path}.${key}` : key));
  }
  const at = path || '(body)';
  return ours === theirs ? [] : [{ path: at, text: `${at}: ours ${shown(ours)}, example ${shown(theirs)}` }];
}

/** Whether an EXPLAINED `where` covers a difference's path (itself, or everything under a prefix ending in `.` or `[`). */
const covers = (where: string, path: string) => path === where || (/[.[]$/.test(where) ? path.startsWith(where) : path.startsWith(`${where}.`) || path.startsWith(`${where}[`));

/** A 503 (shed on a loaded machine; nothing done) is tried again, as its Retry-After invites. */
async function callSettled(spine: TestSpine, path: string, body: unknown) {
  for (let attempt = 0; ; attempt++) {
    const answer = await call(spine, 'POST', path, {}, body);
    if (answer.status !== 503 || attempt >= 40) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('EPS examples harness (sandbox mode)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  it('sends every example request in lifecycle order and compares each answer with its paired example response', async (t) => {
    let sent = 0;
    let paired = 0;
    let matching = 0;
    let differing = 0;
    const report: string[] = [];
    const unexpected: string[] = [];
    const refused = new Set<string>();
    for (const [flow, list] of [...exchanges()].sort(([a], [b]) => Number(a.startsWith('spec')) - Number(b.startsWith('spec')) || a.localeCompare(b))) {
      let kind: string | undefined;
      for (const exchange of list) {
        if (SPEC_SETUP[flow] && kindOf(exchange.request) !== kind) {
          kind = kindOf(exchange.request);
          for (const [path, request] of SPEC_SETUP[flow]!) await callSettled(spine, path, example(request === ORDER_OF_KIND ? specOrderOf(kind) : request));
        }
        const body = example(relative(ROOT, exchange.request));
        const answer = await callSettled(spine, exchange.path, body);
        sent += 1;
        const name = `${flow}/${exchange.request.split('/').pop()}`;
        assert.ok(answer.status < 500, `${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.equal(typeof answer.body?.resourceType, 'string', name);
        // Every example request passes the door (the spec's schemas, as types): refusals are the service's own.
        assert.doesNotMatch(String(answer.body.issue?.[0]?.diagnostics ?? ''), /^(Invalid|Missing) value - '/, name);
        if (!exchange.response) {
          const refusal = { status: answer.status, code: answer.body.issue?.[0]?.details?.coding?.[0]?.code, diagnostics: answer.body.issue?.[0]?.diagnostics };
          const expected = REFUSED[name];
          if (expected) {
            refused.add(name);
            const { status, code, diagnostics } = refusal;
            if (JSON.stringify({ status, code, ...(expected.diagnostics ? { diagnostics } : {}) }) !== JSON.stringify({ status: expected.status, code: expected.code, ...(expected.diagnostics ? { diagnostics: expected.diagnostics } : {}) })) {
              unexpected.push(`${name}: refused ${JSON.stringify(refusal)}, expected ${JSON.stringify(expected)}`);
            }
          } else if (answer.status >= 300) unexpected.push(`${name}: unpaired, answered ${JSON.stringify(refusal)}, where it is not listed in REFUSED`);
          continue;
        }
        paired += 1;
        const expected = example(relative(ROOT, exchange.response));
        const expectedStatus = /-(4\d\d)[_-]/.exec(exchange.response.split('/').pop()!)?.[1];
        const statusMatches = expectedStatus ? answer.status === Number(expectedStatus) : answer.status === 200;
        const found = statusMatches
          ? differences(normalised(answer.body), normalised(expected))
          : [{ path: 'status', text: `status ${answer.status}, example ${expectedStatus ?? 200}${answer.body.issue?.[0]?.diagnostics ? ` (${String(answer.body.issue[0].diagnostics).slice(0, 120)})` : ''}` }];
        if (found.length === 0) matching += 1;
        differing += found.length;
        const explained = EXPLAINED[name];
        if (found.length === 0 && explained) unexpected.push(`${name} now matches: take it out of EXPLAINED`);
        for (const d of found) if (!explained?.where.some((where) => covers(where, d.path))) unexpected.push(`${name}: ${d.text}`);
        for (const where of explained?.where ?? []) if (found.length > 0 && !found.some((d) => covers(where, d.path))) unexpected.push(`${name}: no longer differs at ${where}`);
        report.push(found.length === 0 ? `match   ${name}`
          : `differs ${name}: ${found.length} difference(s), first ${found[0]!.text}${explained ? ` [${explained.why}]` : ''}`);
      }
    }
    t.diagnostic(`EPS examples: ${sent} requests sent, ${paired} paired with a response example, ${matching} answers match their pair`);
    // Every pair, and for each that does not match, why (its first difference from the example).
    console.log(`EPS examples harness: ${matching}/${paired} pairs match (${sent} requests sent; ${differing} differences in the others, each explained)\n${report.map((line) => `  ${line}`).join('\n')}`);
    assert.ok(sent >= 150, `${sent} requests`);
    for (const name of Object.keys(REFUSED)) if (!refused.has(name)) unexpected.push(`${name}: listed in REFUSED, not sent or not refused`);
    assert.deepEqual(unexpected, [], 'every pair matches its example or differs as EXPLAINED says, and every unpaired request is answered 2xx or refused as REFUSED says');
    assert.equal(refused.size, 9, 'the unpaired requests refused: 7 named -200_OK and 2 named 400');
    assert.equal(matching, paired - Object.keys(EXPLAINED).length);
  });
});
