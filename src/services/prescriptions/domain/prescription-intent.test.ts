import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intentProblem, issueNumberProblem, UKCORE_REPEAT_INFORMATION } from './prescription-intent.js';

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

/** A repeat item of `intent` saying it is issue `issued` (UK Core repeat information), with its review date. */
const issueItem = (intent: string, issued: unknown) => ({
  intent, courseOfTherapyType: { coding: [{ code: 'continuous' }] },
  extension: [{ url: UKCORE_REPEAT_INFORMATION, extension: [{ url: 'numberOfPrescriptionsIssued', valueUnsignedInt: issued }, { url: 'authorisationExpiryDate', valueDateTime: '2027-04-07' }] }],
});

describe("a repeat order's intent and the issue it says it is (MedicationRequest.yaml: 'original-order' the first issue, 'instance-order' subsequent ones)", () => {
  it("an 'original-order' of issue 1 and an 'instance-order' of issue 2 or later are taken, whatever acute items are with them", () => {
    fc.assert(fc.property(repeatIntent, fc.integer({ min: 2, max: 1_000 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (intent, later, acute, repeats) => {
      const issued = intent === 'original-order' ? 1 : later;
      const items = [...Array.from({ length: acute }, () => item('acute', 'order')), ...Array.from({ length: repeats }, () => issueItem(intent, issued))];
      assert.equal(issueNumberProblem(items), undefined);
    }));
  });

  it('an item of the other issue than its intent is refused, naming what it got, wherever it stands', () => {
    fc.assert(fc.property(repeatIntent, fc.nat({ max: 1_000 }), fc.integer({ min: 0, max: 3 }), (intent, issued, position) => {
      fc.pre(intent === 'original-order' ? issued !== 1 : issued < 2);
      const items = Array.from({ length: 4 }, (_, i) => (i === position ? issueItem(intent, issued) : item('acute', 'order')));
      assert.deepEqual(issueNumberProblem(items), {
        diagnostics: intent === 'original-order'
          ? `MedicationRequest.intent 'original-order' is a prescription's first issue: numberOfPrescriptionsIssued must be 1. Received ${issued}.`
          : `MedicationRequest.intent 'instance-order' is a later issue: numberOfPrescriptionsIssued must be 2 or more. Received ${issued}.`,
        expression: 'Bundle.entry.resource.ofType(MedicationRequest).extension("Extension-UKCore-MedicationRepeatInformation").numberOfPrescriptionsIssued',
      });
    }));
  });

  it('an issue number that is no whole number is refused; never a throw', () => {
    fc.assert(fc.property(repeatIntent, fc.oneof(fc.double(), fc.string(), fc.constant(null), fc.object(), fc.integer({ max: -1 })), (intent, issued) => {
      fc.pre(!(typeof issued === 'number' && Number.isSafeInteger(issued) && issued >= 0));
      assert.match(issueNumberProblem([issueItem(intent, issued)])?.diagnostics ?? '', /^numberOfPrescriptionsIssued must be a whole number \(valueUnsignedInt\)\. Received .*\.$/s);
    }));
  });

  it('an item that gives no issue, or is an acute order, is not checked', () => {
    fc.assert(fc.property(fc.constantFrom('order', 'original-order', 'instance-order'), fc.anything(), (intent, issued) => {
      const silent = { ...issueItem(intent, issued), extension: [{ url: UKCORE_REPEAT_INFORMATION, extension: [{ url: 'authorisationExpiryDate', valueDateTime: '2027-04-07' }] }] };
      assert.equal(issueNumberProblem([silent]), undefined);
      assert.equal(issueNumberProblem([{ ...silent, extension: undefined }]), undefined);
      if (intent === 'order') assert.equal(issueNumberProblem([issueItem(intent, issued)]), undefined);
    }));
  });
});
