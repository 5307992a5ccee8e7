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
 * not a FHIR resource, and if fewer pairs match than the last count recorded here.
 */
const ROOT = fileURLToPath(new URL('../../spec/nhs/eps/examples/', import.meta.url));
/** Pairs matching when this was last measured: a regression guard, raised as behaviour improves. */
const MATCHING_AT_LEAST = 57;

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
        const response = join(dir, `${n}-${op}-Response-${detail}.json`);
        if (endpoint) found = { request: path, response: existsSync(response) ? response : undefined, method: 'POST', ...endpoint, order: Number(n) };
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
  }
  return value;
}

describe('EPS examples harness (sandbox mode)', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  it('sends every example request in lifecycle order and compares each answer with its paired example response', async (t) => {
    let sent = 0;
    let paired = 0;
    let matching = 0;
    const mismatched: string[] = [];
    for (const [flow, list] of [...exchanges()].sort(([a], [b]) => Number(a.startsWith('spec')) - Number(b.startsWith('spec')) || a.localeCompare(b))) {
      for (const exchange of list) {
        const body = example(relative(ROOT, exchange.request));
        const answer = await call(spine, exchange.method, exchange.path, {}, body);
        sent += 1;
        const name = `${flow}/${exchange.request.split('/').pop()}`;
        assert.ok(answer.status < 500, `${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.equal(typeof answer.body?.resourceType, 'string', name);
        // Every example request passes the door (the spec's schemas, as types): refusals are the service's own.
        assert.doesNotMatch(String(answer.body.issue?.[0]?.diagnostics ?? ''), /^(Invalid|Missing) value - '/, name);
        if (!exchange.response) continue;
        paired += 1;
        const expected = example(relative(ROOT, exchange.response));
        const expectedStatus = /-(4\d\d)[_-]/.exec(exchange.response.split('/').pop()!)?.[1];
        const statusMatches = expectedStatus ? answer.status === Number(expectedStatus) : answer.status === 200;
        try {
          assert.deepEqual(normalised(answer.body), normalised(expected));
          if (!statusMatches) throw new Error('status');
          matching += 1;
        } catch {
          mismatched.push(`${name} (${answer.status})`);
        }
      }
    }
    t.diagnostic(`EPS examples: ${sent} requests sent, ${paired} paired with a response example, ${matching} answers match their pair`);
    t.diagnostic(`not matching: ${mismatched.join('; ')}`);
    console.log(`EPS examples harness: ${matching}/${paired} pairs match (${sent} requests sent)`);
    assert.ok(sent >= 150, `${sent} requests`);
    assert.ok(matching >= MATCHING_AT_LEAST, `${matching} pairs match, fewer than the ${MATCHING_AT_LEAST} recorded`);
  });
});
