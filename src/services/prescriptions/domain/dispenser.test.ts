import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readClaim } from './claim-message.js';
import { readDispenseNotification, readTask } from './dispensing-messages.js';
import type { Json } from './fhir.js';

const example = (path: string) => JSON.parse(readFileSync(new URL(`../../../../spec/nhs/eps/examples/spec/dispensing/${path}`, import.meta.url), 'utf8'));
const NOTIFICATION = example('dispense-notification/acute-primary-example-01-req.json');
const CLAIM = example('claim/acute-primary-example-req.json');
const WITHDRAW = example('withdraw/acute-primary-example-req.json');
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';

const dispenserOf = (read: { ok: boolean; value?: { dispenser?: string } }) => (read.ok ? read.value!.dispenser : undefined);
const ods = fc.stringMatching(/^[A-Z0-9]{3,8}$/);

describe('the dispenser of a dispensing message (dispenser.ts)', () => {
  it("is the performer's, provider's or requester's organisation whatever the sender and owner say", () => {
    fc.assert(fc.property(ods, ods, (pharmacy, other) => {
      const notification = structuredClone(NOTIFICATION);
      for (const { resource } of notification.entry as Array<{ resource: Json }>) {
        if (resource.resourceType === 'Organization') (resource.identifier as Json[])[0]!.value = pharmacy;
        if (resource.resourceType === 'MessageHeader') (resource.sender as { identifier: Json }).identifier.value = other;
      }
      assert.equal(dispenserOf(readDispenseNotification(notification)), pharmacy);
      const claim = structuredClone(CLAIM);
      claim.contained.unshift({ resourceType: 'Organization', id: 'payer', identifier: [{ system: ODS, value: other }] });
      for (const c of claim.contained) if (c.id === 'organisation') c.identifier[0].value = pharmacy;
      assert.equal(dispenserOf(readClaim(claim)), pharmacy);
      const withdrawal = structuredClone(WITHDRAW);
      withdrawal.owner.identifier.value = other;
      for (const c of withdrawal.contained) if (c.resourceType === 'Organization') c.identifier[0].value = pharmacy;
      assert.equal(dispenserOf(readTask(withdrawal)), pharmacy);
    }));
  });

  it('any value in place of the performer, provider or requester is read or refused naming its field, never thrown', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (reference, organisation) => {
      const notification = structuredClone(NOTIFICATION);
      const dispense = notification.entry.find((e: { resource: Json }) => e.resource.resourceType === 'MedicationDispense').resource;
      dispense.performer = [{ actor: reference }];
      dispense.contained[0].organization = organisation;
      const read = readDispenseNotification(notification);
      if (!read.ok) assert.ok(read.expression, read.diagnostics);
      const claim = structuredClone(CLAIM);
      claim.provider = reference;
      const claimed = readClaim(claim);
      if (!claimed.ok) assert.ok(claimed.expression, claimed.diagnostics);
      const withdrawal = structuredClone(WITHDRAW);
      withdrawal.requester = reference;
      withdrawal.contained[0].organization = organisation;
      const task = readTask(withdrawal);
      if (!task.ok) assert.ok(task.expression, task.diagnostics);
    }));
  });
});
