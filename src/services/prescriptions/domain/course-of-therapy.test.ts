import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readPrescriptionMessage } from './prescription-message.js';

// The spec's examples, read as loosely as the tests over HTTP read them.
type Json = any;

const EXAMPLES = new URL('../../../../spec/nhs/eps/examples/primary-care/', import.meta.url);
const example = (path: string): Json => JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8'));
const ACUTE_ORDER = example('acute/nominated-pharmacy/medical-prescriber/1-Prepare-Request-200_OK.json');
const MIXED_ORDER = example('acute-and-repeat-prescribing/1-Prepare-Request-200_OK.json');
const requestsOf = (bundle: Json): Json[] => bundle.entry.map((e: Json) => e.resource).filter((r: Json) => r.resourceType === 'MedicationRequest');
/** Each course's item as the spec's orders give it: its course, intent and extensions. */
const ITEM_OF_COURSE: Record<string, Json> = {
  acute: requestsOf(MIXED_ORDER).find((r) => r.courseOfTherapyType.coding[0].code === 'acute')!,
  continuous: requestsOf(MIXED_ORDER).find((r) => r.courseOfTherapyType.coding[0].code === 'continuous')!,
  'continuous-repeat-dispensing': { ...requestsOf(MIXED_ORDER)[1], courseOfTherapyType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy', code: 'continuous-repeat-dispensing' }] } },
};

/** The spec's acute order with its items given `courses`, in order (one per item, up to its four). */
function orderOf(courses: string[]): Json {
  const order = structuredClone(ACUTE_ORDER);
  const items = requestsOf(order);
  order.entry = order.entry.filter((e: Json) => e.resource.resourceType !== 'MedicationRequest' || items.indexOf(e.resource) < courses.length);
  courses.forEach((course, i) => {
    for (const field of ['courseOfTherapyType', 'intent', 'extension']) items[i]![field] = structuredClone(ITEM_OF_COURSE[course]![field]);
  });
  return order;
}

describe('an order\'s course of therapy', () => {
  it('acute and continuous items in any order and number are an acute prescription; items of one course are of that course', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('acute', 'continuous'), { minLength: 1, maxLength: 4 }), (courses) => {
      const read = readPrescriptionMessage(orderOf(courses), { checksum: false });
      assert.ok(read.ok, JSON.stringify(read));
      assert.equal(read.message.courseOfTherapy, new Set(courses).size === 1 ? courses[0] : 'acute', courses.join());
    }));
  });

  it('repeat dispensing mixed with any other course is refused as the spec\'s mixed course of therapy', () => {
    const courses = fc.array(fc.constantFrom('acute', 'continuous', 'continuous-repeat-dispensing'), { minLength: 2, maxLength: 4 })
      .filter((c) => c.includes('continuous-repeat-dispensing') && new Set(c).size > 1);
    fc.assert(fc.property(courses, (mixed) => {
      const read = readPrescriptionMessage(orderOf(mixed), { checksum: false });
      assert.deepEqual(read, { ok: false, problem: { kind: 'course-of-therapy' } }, mixed.join());
    }));
  });
});
