import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readClaim } from './claim-message.js';
import { readDispenseNotification } from './dispensing-messages.js';
import { ITEM_STATUSES, ITEM_STATUS_NAMES, type ItemStatus } from './items.js';

const CLAIM = JSON.parse(readFileSync(new URL('../../../../spec/nhs/eps/examples/spec/dispensing/claim/acute-primary-example-req.json', import.meta.url), 'utf8'));
const NOTIFICATION = JSON.parse(readFileSync(new URL('../../../../spec/nhs/eps/examples/spec/dispensing/dispense-notification/acute-primary-example-05-req.json', import.meta.url), 'utf8'));
const REFERENCE = 'https://fhir.nhs.uk/StructureDefinition/Extension-ClaimMedicationRequestReference';
const ITEM_TYPES = 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type';
const ITEM_IDS = ['item-a', 'item-b', 'constructor'];

/** The spec's claim with these lines: each naming an item and giving these statuses (modifier codings). */
function claimWith(lines: Array<{ item: string; types: ItemStatus[] }>) {
  const claim = structuredClone(CLAIM);
  const template = claim.item[0].detail[0];
  claim.item[0].detail = lines.map(({ item, types }) => ({
    ...structuredClone(template),
    extension: template.extension.map((e: { url: string }) => (e.url === REFERENCE
      ? { url: REFERENCE, valueReference: { identifier: { system: 'https://fhir.nhs.uk/Id/prescription-order-item-number', value: item } } } : e)),
    modifier: [{ coding: types.map((t) => ({ system: ITEM_TYPES, ...ITEM_STATUSES[t] })) }],
  }));
  return claim;
}

describe('readClaim', () => {
  it('gives every status each item is claimed with, from every line naming it, in any order of lines', () => {
    const line = fc.record({ item: fc.constantFrom(...ITEM_IDS), types: fc.array(fc.constantFrom(...ITEM_STATUS_NAMES), { minLength: 1, maxLength: 3 }) });
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
      const read = readClaim(claimWith(lines));
      assert.ok(read.ok, JSON.stringify(read));
      assert.deepEqual(read.value.items, lines.map((l) => l.item));
      for (const id of ITEM_IDS) {
        const expected = lines.filter((l) => l.item === id).flatMap((l) => l.types);
        const named = lines.some((l) => l.item === id);
        assert.deepEqual(Object.hasOwn(read.value.itemTypes, id) ? read.value.itemTypes[id] : undefined, named ? expected : undefined, id);
      }
    }));
  });

  it('refuses a line that does not name exactly one item by its prescription-order-item-number: another system, none, or two', () => {
    const system = fc.string({ maxLength: 60 }).filter((x) => x !== 'https://fhir.nhs.uk/Id/prescription-order-item-number');
    const broken = fc.oneof(
      system.map((other) => ({ kind: 'system', change: (refs: any[]) => refs.map((r) => ({ ...r, valueReference: { identifier: { ...r.valueReference.identifier, system: other } } })) })),
      fc.constant({ kind: 'none', change: () => [] }),
      fc.constant({ kind: 'two', change: (refs: any[]) => [...refs, ...refs] }),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), broken, (line, { kind, change }) => {
      const claim = claimWith(ITEM_IDS.concat('item-c').map((item) => ({ item, types: ['fully-dispensed'] })));
      const detail = claim.item[0].detail[line];
      const references = detail.extension.filter((e: { url: string }) => e.url === REFERENCE);
      detail.extension = [...detail.extension.filter((e: { url: string }) => e.url !== REFERENCE), ...change(references)];
      const read = readClaim(claim);
      assert.ok(!read.ok, kind);
      assert.equal(read.code, kind === 'two' ? 'invalid-value' : 'missing');
      assert.equal(read.expression, 'Claim.item.detail.extension("Extension-ClaimMedicationRequestReference")');
      assert.match(read.diagnostics, new RegExp(`^Claim line ${line + 1} \\(Claim.item.detail\\) `));
    }));
  });
});

describe('readClaim: each line gives its item a status', () => {
  it('refuses a line without a status of medicationdispense-type (none, another system) as missing, and one with an unknown code as invalid, naming the line', () => {
    const code = fc.string({ maxLength: 8 }).filter((c) => !ITEM_STATUS_NAMES.some((s) => ITEM_STATUSES[s].code === c));
    const broken = fc.oneof(
      fc.constant({ kind: 'missing', change: (d: any) => { delete d.modifier; } }),
      fc.constant({ kind: 'missing', change: (d: any) => { d.modifier = [{ coding: [] }]; } }),
      fc.string({ maxLength: 60 }).filter((x) => x !== ITEM_TYPES).map((system) => ({ kind: 'missing', change: (d: any) => { d.modifier[0].coding[0].system = system; } })),
      code.map((c) => ({ kind: 'invalid-value', change: (d: any) => { d.modifier[0].coding.push({ system: ITEM_TYPES, code: c }); } })),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), broken, (line, { kind, change }) => {
      const claim = claimWith(ITEM_IDS.concat('item-c').map((item) => ({ item, types: ['fully-dispensed'] })));
      change(claim.item[0].detail[line]);
      const read = readClaim(claim);
      assert.ok(!read.ok, kind);
      assert.equal(read.code, kind);
      assert.equal(read.expression, 'Claim.item.detail.modifier');
      assert.match(read.diagnostics, new RegExp(`^Claim line ${line + 1} \\(Claim.item.detail\\) `));
    }));
  });
});

describe('readDispenseNotification', () => {
  /** The spec's notification (two MedicationDispenses of one item, as several packs are) with one MedicationDispense per line. */
  function notificationWith(lines: Array<{ item: string; type: ItemStatus }>) {
    const bundle = structuredClone(NOTIFICATION);
    const template = bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationDispense');
    const others = bundle.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType !== 'MedicationDispense');
    bundle.entry = [...others, ...lines.map(({ item, type }) => {
      const entry = structuredClone(template);
      const request = entry.resource.contained.find((c: { resourceType: string }) => c.resourceType === 'MedicationRequest');
      request.identifier = request.identifier.map((i: { system: string }) => (i.system === 'https://fhir.nhs.uk/Id/prescription-order-item-number' ? { ...i, value: item } : i));
      entry.resource.type.coding[0] = { ...entry.resource.type.coding[0], ...ITEM_STATUSES[type] };
      return entry;
    })];
    return bundle;
  }

  it('an item in several MedicationDispenses is taken in one status, refused in two (naming the line that differs)', () => {
    const line = fc.record({ item: fc.constantFrom(...ITEM_IDS), type: fc.constantFrom(...ITEM_STATUS_NAMES) });
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
      const read = readDispenseNotification(notificationWith(lines));
      const conflict = lines.findIndex((l, i) => lines.slice(0, i).some((earlier) => earlier.item === l.item && earlier.type !== l.type));
      if (conflict >= 0) {
        assert.ok(!read.ok);
        assert.equal(read.code, 'invalid-value');
        assert.equal(read.expression, `Bundle.entry.resource.ofType(MedicationDispense)[${conflict}].type.coding.code`);
        assert.match(read.diagnostics, new RegExp(`^Line item ${lines[conflict]!.item} is given two statuses`));
      } else {
        assert.ok(read.ok, JSON.stringify(read));
        assert.deepEqual(read.value.items, Object.fromEntries(lines.map((l) => [l.item, l.type])));
      }
    }));
  });

  it('refuses a MedicationDispense that does not name its item (prescription-order-item-number) or its status (a type code of medicationdispense-type), naming that one', () => {
    const other = fc.string({ maxLength: 60 });
    const broken = fc.oneof(
      other.filter((x) => x !== 'https://fhir.nhs.uk/Id/prescription-order-item-number').map((system) => ({ kind: 'item', change: (d: any) => {
        for (const c of d.contained) if (c.resourceType === 'MedicationRequest') c.identifier = c.identifier.map((i: any) => ({ ...i, system }));
      } })),
      fc.constant({ kind: 'item', change: (d: any) => { d.contained = d.contained.filter((c: any) => c.resourceType !== 'MedicationRequest'); } }),
      other.filter((x) => x !== ITEM_TYPES).map((system) => ({ kind: 'type', change: (d: any) => { d.type.coding = d.type.coding.map((c: any) => ({ ...c, system })); } })),
      fc.constant({ kind: 'type', change: (d: any) => { delete d.type; } }),
      fc.constant({ kind: 'type', change: (d: any) => { delete d.type.coding[0].code; } }),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), broken, (line, { kind, change }) => {
      const bundle = notificationWith(ITEM_IDS.concat('item-c').map((item) => ({ item, type: 'fully-dispensed' as const })));
      change(bundle.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationDispense')[line].resource);
      const read = readDispenseNotification(bundle);
      assert.ok(!read.ok, kind);
      assert.equal(read.code, 'missing');
      assert.equal(read.expression, `Bundle.entry.resource.ofType(MedicationDispense)[${line}]${kind === 'item' ? '.contained.ofType(MedicationRequest).identifier' : '.type'}`);
      assert.match(read.diagnostics, new RegExp(`^MedicationDispense ${line + 1} does not ${kind === 'item' ? 'name its item' : "give its item's status"}`));
    }));
  });
});

describe('readDispenseNotification: the reimbursement authority', () => {
  const RELATIONSHIPS = 'https://fhir.nhs.uk/StructureDefinition/Extension-ODS-OrganisationRelationships';
  const withOrganisationExtension = (extension: unknown) => {
    const bundle = structuredClone(NOTIFICATION);
    bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Organization').resource.extension = extension;
    return bundle;
  };
  const EXPRESSION = /^Bundle\.entry\.resource\.ofType\(Organization\)\.extension\("Extension-ODS-OrganisationRelationships"\)(\.extension\("reimbursementAuthority"\))?$/;

  it('any ODS code given is read past; anything else in its place is refused naming it, never thrown', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''), (ods) => {
      const read = readDispenseNotification(withOrganisationExtension([{ url: RELATIONSHIPS,
        extension: [{ url: 'reimbursementAuthority', valueIdentifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: ods } }] }]));
      assert.ok(read.ok || !EXPRESSION.test(read.expression ?? ''), JSON.stringify(read));
    }));
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (extension, authority) => {
      for (const bundle of [withOrganisationExtension(extension), withOrganisationExtension([{ url: RELATIONSHIPS, extension: [{ url: 'reimbursementAuthority', valueIdentifier: authority }] }])]) {
        const read = readDispenseNotification(bundle);
        if (!read.ok && EXPRESSION.test(read.expression ?? '')) assert.equal(read.code, 'invalid-issue');
        const given = read.ok || !EXPRESSION.test(read.expression ?? '');
        const authorityOf = (ext: unknown) => (Array.isArray(ext) ? ext : []).find((e) => e && typeof e === 'object' && (e as { url?: unknown }).url === RELATIONSHIPS);
        const relationships = authorityOf(bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Organization').resource.extension);
        const code = (Array.isArray(relationships?.extension) ? relationships.extension : []).find((e: unknown) => e && typeof e === 'object' && (e as { url?: unknown }).url === 'reimbursementAuthority')?.valueIdentifier?.value;
        assert.equal(given, typeof code === 'string' && code.trim() !== '');
      }
    }));
  });
});
