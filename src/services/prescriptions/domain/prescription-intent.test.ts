import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intentProblem } from './prescription-message.js';

const item = (course: string, intent: unknown) => ({ intent, courseOfTherapyType: { coding: [{ code: course }] } });
const repeatIntent = fc.constantFrom('original-order', 'instance-order');

describe("an order's intents (MedicationRequest.yaml: acute 'order', eRD 'original-order', repeat 'original-order' or 'instance-order')", () => {
  it('an order of one issue, each item of its course\'s intent, is taken, acute items mixed in with a repeat issue too', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), repeatIntent, fc.boolean(), (acute, repeats, intent, eRD) => {
      const course = eRD ? 'continuous-repeat-dispensing' : 'continuous';
      const items = [...Array.from({ length: acute }, () => item('acute', 'order')),
        ...Array.from({ length: repeats }, () => item(course, eRD ? 'original-order' : intent))];
      assert.equal(intentProblem(items), undefined);
    }));
  });

  it('any one item of another intent than its course takes is refused, naming its course and what it got', () => {
    const allowed: Record<string, string[]> = { acute: ['order'], 'continuous-repeat-dispensing': ['original-order'], continuous: ['original-order', 'instance-order'] };
    fc.assert(fc.property(fc.constantFrom(...Object.keys(allowed)), fc.oneof(fc.constantFrom('order', 'original-order', 'instance-order', 'reflex-order', 'plan'), fc.string()), fc.integer({ min: 0, max: 3 }),
      (course, intent, position) => {
        fc.pre(!allowed[course]!.includes(intent));
        const items = Array.from({ length: 4 }, (_, i) => (i === position ? item(course, intent) : item('acute', 'order')));
        assert.equal(intentProblem(items), `MedicationRequest.intent must be ${allowed[course]!.join(' or ')} for courseOfTherapyType '${course}'. Received '${intent}'.`);
      }));
  });

  it('repeat items of two issues (original-order and instance-order) are refused, whatever acute items are with them', () => {
    fc.assert(fc.property(fc.shuffledSubarray(['a', 'o', 'i', 'a'], { minLength: 2 }), (kinds) => {
      fc.pre(kinds.includes('o') && kinds.includes('i'));
      const items = kinds.map((k) => (k === 'a' ? item('acute', 'order') : item('continuous', k === 'o' ? 'original-order' : 'instance-order')));
      assert.match(intentProblem(items) ?? '', /^Expected all MedicationRequests to have the same value for intent \(but an acute item's order\)\. Received \["(original|instance)-order","(original|instance)-order"\]\.$/);
    }));
  });
});
