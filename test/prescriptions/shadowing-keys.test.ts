import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { example, type Json } from './support.js';

/**
 * Objects with an own `toString` key, which shadows what `String()`, template literals and `+ ''`
 * call: CI's fast-check once found one reaching a `String()` in EPS's domain code as a 500. Here
 * every value of NHS England's example requests is replaced by such an object in turn, and every
 * object of them is given such a key, and each request is sent to its operation in sandbox mode (so
 * it gets past authentication and signatures to the parsing): never a 5xx, always an
 * OperationOutcome when refused. (The fuzz suite sends `valueOf`, `hasOwnProperty` and `toJSON`
 * keys too, at random.)
 */
const P = '/fhir-prescribing/FHIR/R4';
const D = '/fhir-dispensing/FHIR/R4';
const REQUESTS: Array<[path: string, example: string]> = [
  [`${P}/$validate`, 'spec/prescribing/prescription-order/repeat-primary-example-req.json'],
  [`${P}/$process-message`, 'spec/prescribing/prescription-order/eRD-primary-example-req.json'],
  [`${D}/Task/$release`, 'spec/dispensing/release/acute-primary-example-req.json'],
  [`${D}/$process-message`, 'spec/dispensing/dispense-notification/acute-primary-example-01-req.json'],
  [`${D}/Claim`, 'spec/dispensing/claim/acute-primary-example-req.json'],
  [`${D}/Task`, 'spec/dispensing/return/acute-primary-example-req.json'],
  [`${D}/Task`, 'spec/dispensing/withdraw/acute-primary-example-req.json'],
];
// String(), `${}` and Number() all throw on it: its toString is not callable, and valueOf (inherited) gives no primitive.
const SHADOWING: unknown = JSON.parse('{"toString":"x"}');
const CONCURRENCY = 8;

type Path = Array<string | number>;

function pathsOf(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((inner, i) => pathsOf(inner, [...at, i]))];
  if (value !== null && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([key, inner]) => pathsOf(inner, [...at, key]))];
  return [at];
}

const valueAt = (root: unknown, path: Path): unknown => path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], root);

function withValueAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((inner, i) => (i === head ? withValueAt(inner, rest, value) : inner));
  return { ...(root as Json), [head!]: withValueAt((root as Json)[head!], rest, value) };
}

/** Every variant of `body`: each value replaced by the shadowing object, and each object given a shadowing key. */
function* variantsOf(body: Json): Generator<{ where: string; body: unknown }> {
  for (const path of pathsOf(body)) {
    yield { where: `${JSON.stringify(path)} = ${JSON.stringify(SHADOWING)}`, body: withValueAt(body, path, SHADOWING) };
    const at = valueAt(body, path);
    if (at !== null && typeof at === 'object' && !Array.isArray(at)) {
      yield { where: `${JSON.stringify([...path, 'toString'])} = "x"`, body: withValueAt(body, [...path, 'toString'], 'x') };
    }
  }
}

describe('EPS: objects with their own toString at any depth of a request', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  it('are refused with an OperationOutcome or handled, never a 5xx', { timeout: 300_000 }, async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    for (const [path, name] of REQUESTS) {
      const variants = [...variantsOf(example(name))];
      let next = 0;
      const worker = async () => {
        while (next < variants.length) {
          const variant = variants[next++]!;
          const response = await fetch(`${spine.url}${path}`, {
            method: 'POST', headers: { 'content-type': 'application/fhir+json', 'x-request-id': crypto.randomUUID() }, body: JSON.stringify(variant.body),
          });
          const answer = await response.json() as Json;
          sent += 1;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          // 503 would be the machine shedding load, not the input: it is a failure here too, as this is not a load test.
          if (response.status >= 500) failures.push(`${path} ${name} ${variant.where}: ${response.status} ${JSON.stringify(answer).slice(0, 200)}`);
          else if (response.status >= 400 && answer.resourceType !== 'OperationOutcome') failures.push(`${path} ${name} ${variant.where}: ${response.status} without an OperationOutcome`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    }
    console.log(`shadowing keys: ${sent} requests; statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ')}`);
    assert.ok(sent > 2_500, `${sent} requests`);
    assert.ok((statuses.get(400) ?? 0) > 0, 'some variants are refused');
    assert.deepEqual(failures.slice(0, 10), []);
  });
});
