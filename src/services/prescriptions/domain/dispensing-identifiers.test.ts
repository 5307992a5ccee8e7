import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isUuid } from '../../../platform/uuids.js';
import { readClaim } from './claim-message.js';
import { readDispenseNotification, readRelease, readTask } from './dispensing-messages.js';

const example = (path: string) => JSON.parse(readFileSync(new URL(`../../../../spec/nhs/eps/examples/spec/dispensing/${path}`, import.meta.url), 'utf8'));
const CLAIM = example('claim/acute-primary-example-req.json');
const RETURN = example('return/acute-primary-example-req.json');
const NOTIFICATION = example('dispense-notification/acute-primary-example-01-req.json');

/** Any JSON value, UUIDs (either case) and near-misses among them. */
const value = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.uuid().map((u) => `${u} `), fc.string(), fc.jsonValue());

describe("a dispensing message's own identifier and quantities (dispensing-messages.ts)", () => {
  it('Claim.identifier and Task.identifier: read when a UUID, else INVALID_VALUE naming the field; never thrown', () => {
    fc.assert(fc.property(value, (v) => {
      for (const [body, read, field] of [[CLAIM, readClaim, 'Claim.identifier.value'], [RETURN, readTask, 'Task.identifier.value']] as const) {
        const message = structuredClone(body);
        message.identifier[0].value = v;
        const r = read(message);
        if (typeof v === 'string' && isUuid(v)) assert.ok(r.ok && (r.value as { identifier?: string }).identifier === v, JSON.stringify(r));
        else assert.ok(!r.ok && r.code === 'provided-value' && r.expression === field && r.diagnostics.length < 300, JSON.stringify(r));
      }
    }), { numRuns: 500 });
  });

  it('Claim.item.detail.quantity.value (the quantity prescribed): taken when a number of at least 0 with at most 2 decimals, else INVALID_VALUE naming it', () => {
    const quantity = fc.oneof(fc.integer({ min: 0, max: 100000 }).map((h) => h / 100), fc.double(), fc.jsonValue());
    fc.assert(fc.property(quantity, fc.integer({ min: 0, max: 3 }), (q, line) => {
      const claim = structuredClone(CLAIM);
      claim.item[0].detail[line].quantity.value = q;
      const r = readClaim(claim);
      const valid = typeof q === 'number' && q >= 0 && /^[0-9]+(\.[0-9]{1,2})?$/.test(String(q));
      if (valid) assert.ok(r.ok, JSON.stringify(r));
      else assert.ok(!r.ok && r.code === 'invalid-value' && r.expression === `Claim.item.detail[${line}].quantity.value`, JSON.stringify(r));
    }), { numRuns: 500 });
  });

  it("the dispenser's practitioner: refused naming the field when given by reference (any reference), else read past", () => {
    const RELEASE = example('release/acute-primary-example-req.json');
    const practitioner = fc.oneof(fc.jsonValue(), fc.record({ reference: fc.jsonValue() }, { requiredKeys: ['reference'] }), fc.record({ identifier: fc.jsonValue(), display: fc.string() }));
    fc.assert(fc.property(practitioner, (p) => {
      const release = structuredClone(RELEASE);
      release.parameter.find((x: { name: string }) => x.name === 'agent').resource.practitioner = p;
      const claim = structuredClone(CLAIM);
      const task = structuredClone(RETURN);
      for (const body of [claim, task]) for (const c of body.contained) if (c.resourceType === 'PractitionerRole') c.practitioner = p;
      const byReference = typeof p === 'object' && p !== null && !Array.isArray(p) && (p as { reference?: unknown }).reference !== undefined;
      for (const [r, field] of [[readRelease(release), 'Parameters.parameter("agent").resource.practitioner'], [readClaim(claim), 'Claim.contained("PractitionerRole").practitioner'],
        [readTask(task), 'Task.contained("PractitionerRole").practitioner']] as const) {
        if (byReference) assert.ok(!r.ok && r.code === 'invalid-issue' && r.expression === field && r.diagnostics === `${field} populated incorrectly. Please populate with Identifier and Display.`, JSON.stringify(r));
        else assert.ok(r.ok, JSON.stringify(r));
      }
    }), { numRuns: 300 });
  });

  it('a value quoted back in a refusal is at most 64 characters of it: the short-form id, a business status, an item status', () => {
    const RELEASE = example('release/acute-primary-example-req.json');
    fc.assert(fc.property(fc.string({ minLength: 65, maxLength: 3000 }), fc.constantFrom('id', 'status', 'type'), (text, where) => {
      let r;
      if (where === 'id') {
        const release = structuredClone(RELEASE);
        release.parameter.find((x: { name: string }) => x.name === 'group-identifier').valueIdentifier.value = text;
        r = readRelease(release);
      } else {
        const message = structuredClone(NOTIFICATION);
        for (const e of message.entry) {
          if (e.resource.resourceType !== 'MedicationDispense') continue;
          if (where === 'status') e.resource.extension[0].valueCoding.code = text;
          else e.resource.type.coding[0].code = text;
        }
        r = readDispenseNotification(message);
      }
      assert.ok(!r.ok, where);
      if (!r.diagnostics.includes('checksum')) assert.ok(r.diagnostics.includes(`'${text.slice(0, 64)}…'`) && r.diagnostics.length < 64 + 200, r.diagnostics.slice(0, 300));
    }), { numRuns: 200 });
  });

  it('MedicationDispense.quantity.value: read when a number of at least 0 with at most 2 decimals, else INVALID_VALUE naming it', () => {
    const quantity = fc.oneof(fc.integer({ min: 0, max: 100000 }).map((h) => h / 100), fc.double(), fc.jsonValue());
    fc.assert(fc.property(quantity, (q) => {
      const message = structuredClone(NOTIFICATION);
      message.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationDispense').resource.quantity.value = q;
      const r = readDispenseNotification(message);
      const valid = typeof q === 'number' && q >= 0 && /^[0-9]+(\.[0-9]{1,2})?$/.test(String(q));
      if (valid) assert.ok(r.ok && Object.values(r.value.quantities).flat().some((a) => a.value === q), JSON.stringify(r));
      else assert.ok(!r.ok && r.code === 'invalid-value' && r.expression === 'Bundle.entry.resource.ofType(MedicationDispense)[0].quantity.value', JSON.stringify(r));
    }), { numRuns: 500 });
  });
});
