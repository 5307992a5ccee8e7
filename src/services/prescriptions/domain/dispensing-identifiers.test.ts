import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isUuid } from '../../../platform/uuids.js';
import { readClaim } from './claim-message.js';
import { readDispenseNotification, readTask } from './dispensing-messages.js';

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
