import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { JsonTemplate } from './json-template.js';
import { EpsCycle, type IdSource } from './cycle.js';
import { nextNhsNumber } from '../../src/platform/nhs-number.js';
import { generateShortFormId } from '../../src/services/prescriptions/domain/prescription-id.js';
import { prepareParameters } from '../../src/services/prescriptions/domain/digest.js';

const ORGS = { prescriber: 'A83008', pharmacy: 'FA565' };
/** What a slot may hold: printable ASCII without `"` or `\`. */
const asIs = fc.stringMatching(/^[ !#-[\]-~]*$/);

/** Ids from a seed, the same sequence every time: two cycles on one seed draw the same ids in the same order. */
function seededIds(seed: string): IdSource {
  let n = 0;
  const bytes = (count: number) => createHash('sha256').update(`${seed}:${n++}`).digest().subarray(0, count);
  return {
    uuid: () => {
      const hex = bytes(16).toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
    shortFormId: (prescriber) => generateShortFormId(prescriber, bytes),
  };
}

/** Ids handed out in order from a list (fast-check's), the same list for each cycle compared. */
function listedIds(uuids: string[], shortFormIds: string[]): IdSource {
  let u = 0;
  let s = 0;
  return { uuid: () => uuids[u++ % uuids.length]!, shortFormId: () => shortFormIds[s++ % shortFormIds.length]! };
}

/**
 * One prescription's five bodies, built as objects by one cycle and as JSON text by another on the
 * same ids: each text must be exactly what JSON.stringify wrote for the object (so the server gets
 * the same documents as before the text templates).
 */
function assertSameBodies(objects: EpsCycle, texts: EpsCycle, nhsNumber: string, timestamp: string) {
  const { order, shortFormId } = objects.newOrder(nhsNumber);
  const fromText = texts.newOrderJson(nhsNumber);
  assert.equal(fromText.order.shortFormId, shortFormId);
  assert.equal(fromText.json, JSON.stringify(order));
  assert.deepEqual(JSON.parse(fromText.json), order);
  const prepared = prepareParameters(order.entry, timestamp);
  const signed = objects.signedOrder(order, prepared);
  assert.equal(texts.signedOrderJson(fromText.order, prepared), JSON.stringify(signed));
  assert.equal(texts.releaseJson(shortFormId), JSON.stringify(objects.releaseBody(shortFormId)));
  assert.equal(texts.dispenseJson(shortFormId, nhsNumber), JSON.stringify(objects.dispenseBody(shortFormId, nhsNumber)));
  assert.equal(texts.claimJson(shortFormId, nhsNumber), JSON.stringify(objects.claimBody(shortFormId, nhsNumber)));
}

describe('JSON templates', () => {
  it('a filled template is the text JSON.stringify writes for the document built with the values', () => {
    fc.assert(fc.property(fc.jsonValue(), asIs, asIs, (around, x, y) => {
      const build = (v: { x: string; y: string }) => ({ around, x: v.x, list: [v.y, { again: v.x, key: 'fixed' }], [`k`]: `${v.y}` });
      const template = JsonTemplate.of(['x', 'y'], build);
      const text = template.fill({ x, y });
      assert.equal(text, JSON.stringify(build({ x, y })));
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(build({ x, y }))));
    }));
  });

  it('a value JSON would escape is refused, not written as it is', () => {
    const template = JsonTemplate.of(['x'], ({ x }) => ({ x }));
    for (const bad of ['a"b', 'a\\b', 'line\nbreak', 'tab\t', '\u0000', 'é', '\u2028', '\ud800']) {
      assert.throws(() => template.fill({ x: bad }), /JSON template: x must be printable ASCII/, JSON.stringify(bad));
    }
    assert.throws(() => template.fill({} as { x: string }), /JSON template: x must be/);
  });

  it('a slot the document does not hold is refused when the template is made', () => {
    assert.throws(() => JsonTemplate.of(['x', 'y'], ({ x }) => ({ x })), /slot y is nowhere/);
  });
});

describe('EPS cycle bodies as JSON text', () => {
  it('for a fixed seed, each body is the JSON of the object the cycle builds', () => {
    assertSameBodies(new EpsCycle(ORGS, seededIds('fixed')), new EpsCycle(ORGS, seededIds('fixed')), '9449304130', '2026-12-03T17:00:00+00:00');
  });

  it('for any ids and NHS numbers, each body is the JSON of the object the cycle builds', () => {
    const nhsNumber = fc.integer({ min: 100_000_000, max: 999_999_900 }).map((stem) => nextNhsNumber(stem).nhsNumber);
    const shortFormId = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => generateShortFormId(ORGS.prescriber, () => Buffer.from(b)));
    const objects = (uuids: string[], ids: string[]) => new EpsCycle(ORGS, listedIds(uuids, ids));
    fc.assert(fc.property(fc.array(fc.uuid(), { minLength: 3, maxLength: 3 }), shortFormId, nhsNumber, fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), (uuids, id, nhs, when) => {
      assertSameBodies(objects(uuids, [id]), objects(uuids, [id]), nhs, when.toISOString());
    }), { numRuns: 20 });
  });

  it('the default cycle draws new ids for each prescription and dispense notification', () => {
    const cycle = new EpsCycle(ORGS);
    const first = cycle.newOrderJson('9449304130');
    const second = cycle.newOrderJson('9449304130');
    assert.notEqual(first.order.shortFormId, second.order.shortFormId);
    assert.notEqual(first.order.longFormId, second.order.longFormId);
    assert.notEqual(first.order.bundleId, second.order.bundleId);
    assert.notEqual(JSON.parse(cycle.dispenseJson('X', '9449304130')).identifier.value, JSON.parse(cycle.dispenseJson('X', '9449304130')).identifier.value);
  });
});
