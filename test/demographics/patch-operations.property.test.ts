import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkPatchOperations, type PatchOperation } from '../../src/services/demographics/patch/patch-operations.js';
import { checkRestrictedDataUntouched } from '../../src/services/demographics/patch/patient-rules.js';
import { checkItemsIdentified, checkItemsKeepTheirIds } from '../../src/services/demographics/patch/item-identity.js';
import type { Patient } from '../../src/services/demographics/fhir-types.js';
import { spineErrorCodeOf as codeOf } from '../support/spine-error-code.js';

// PDS spec (patient-patch.yaml, "Adding", "Replacing", "Removal") on the operations of a PATCH,
// checked before anything is applied.

const LISTS = ['name', 'address', 'telecom', 'contact', 'generalPractitioner', 'extension'] as const;
const SINGLES = ['gender', 'birthDate', 'deceasedDateTime', 'multipleBirthInteger', 'managingOrganization'] as const;
/** What identifies the record: never updated. */
const FIXED = ['resourceType', 'id', 'identifier', 'meta'] as const;

const list = fc.constantFrom(...LISTS);
const index = fc.nat({ max: 5 }).map(String);
const opName = fc.constantFrom('add', 'replace', 'remove', 'test') as fc.Arbitrary<PatchOperation['op']>;
const segment = fc.oneof(fc.constantFrom('0', '1', '-', 'id', 'url', 'given', 'line', 'use', 'period', 'start', ''), fc.string({ maxLength: 6 }));
const anyPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const knownPath = fc.oneof(
  fc.constantFrom(...SINGLES, ...FIXED).map((f) => `/${f}`),
  fc.tuple(list, index, fc.array(segment, { maxLength: 2 })).map(([f, i, rest]) => [`/${f}`, i, ...rest].join('/')),
);
const operation = (path: fc.Arbitrary<string>) => fc.record({ op: opName, path, value: fc.constantFrom('x', 'n1', 1, { id: 'n1' }) })
  .map((o): PatchOperation => (o.op === 'remove' ? { op: o.op, path: o.path } : o));
const anyOps = fc.array(operation(fc.oneof(anyPath, knownPath)), { minLength: 1, maxLength: 5 });

describe('PATCH operations: what may be touched, and how (properties)', () => {
  it('any operations are accepted or refused 400 INVALID_UPDATE / 403 FORBIDDEN_UPDATE, never anything else', () => {
    fc.assert(fc.property(anyOps, (ops) => {
      assert.ok(['ok', 'INVALID_UPDATE', 'FORBIDDEN_UPDATE'].includes(codeOf(() => checkPatchOperations(ops))));
    }), { numRuns: 1000 });
  });

  it('an operation on what identifies the record (resourceType, id, identifier, meta, or inside them) is 403 FORBIDDEN_UPDATE', () => {
    fc.assert(fc.property(opName, fc.constantFrom(...FIXED), fc.array(segment, { maxLength: 2 }), (op, field, rest) => {
      const path = [`/${field}`, ...rest].join('/');
      assert.equal(codeOf(() => checkPatchOperations([{ op, path, value: 'x' }])), 'FORBIDDEN_UPDATE', path);
    }), { numRuns: 300 });
  });

  it('an operation on a field PDS does not update is 400 INVALID_UPDATE, wherever it comes', () => {
    const known = new Set<string>([...LISTS, ...SINGLES, ...FIXED]);
    fc.assert(fc.property(fc.string({ maxLength: 12 }), opName, fc.array(operation(fc.constantFrom('/gender', '/name/-')), { maxLength: 2 }), (field, op, others) => {
      fc.pre(!known.has(field));
      const ops = [...others.filter((o) => o.op !== 'remove'), { op, path: `/${field}`, value: 'x' }];
      assert.equal(codeOf(() => checkPatchOperations(ops)), 'INVALID_UPDATE', field);
    }), { numRuns: 300 });
  });

  it('a new list item is added at /list/-, never at an index; a sub-element may be added at an index', () => {
    fc.assert(fc.property(list, index, fc.constantFrom('given', 'line', 'prefix'), (field, i, sub) => {
      const value = { use: 'home' };
      assert.equal(codeOf(() => checkPatchOperations([{ op: 'add', path: `/${field}/-`, value }])), 'ok');
      assert.equal(codeOf(() => checkPatchOperations([{ op: 'add', path: `/${field}/${i}`, value }])), 'INVALID_UPDATE');
      assert.equal(codeOf(() => checkPatchOperations([{ op: 'add', path: `/${field}/${i}/${sub}/0`, value: 'Rose' }])), 'ok');
    }), { numRuns: 200 });
  });

  it('a list item is removed only straight after a test of its id, its url or the whole item; anything else before it is 400 INVALID_UPDATE', () => {
    const before = (field: string, i: string) => fc.oneof(
      fc.constantFrom('id', 'url', '').map((key) => ({ op: 'test', path: `/${field}/${i}${key ? `/${key}` : ''}`, value: 'n1', names: true })),
      fc.record({ op: fc.constantFrom('add', 'replace'), path: fc.constantFrom(`/${field}/${i}/id`, `/${field}/${i}`), value: fc.constant('n1') }).map((o) => ({ ...o, names: false })),
      fc.constantFrom('use', 'period', 'given').map((key) => ({ op: 'test', path: `/${field}/${i}/${key}`, value: 'x', names: false })),
      fc.constantFrom('id', '').map((key) => ({ op: 'test', path: `/${field}/${Number(i) + 1}${key ? `/${key}` : ''}`, value: 'n1', names: false })),
    );
    const scenario = fc.tuple(list, index).chain(([field, i]) => fc.record({ field: fc.constant(field), i: fc.constant(i), first: fc.option(before(field, i)), between: fc.boolean() }));
    fc.assert(fc.property(scenario, ({ field, i, first, between }) => {
      const ops = [
        ...(first ? [{ op: first.op, path: first.path, value: first.value } as PatchOperation] : []),
        ...(between ? [{ op: 'replace', path: '/gender', value: 'male' } as PatchOperation] : []),
        { op: 'remove', path: `/${field}/${i}` } as PatchOperation,
      ];
      const expected = first?.names && !between ? 'ok' : 'INVALID_UPDATE';
      assert.equal(codeOf(() => checkPatchOperations(ops)), expected, JSON.stringify(ops));
    }), { numRuns: 500 });
  });

  it('a single field is removed by a bare remove (the spec\'s delete-gender example), and the spec\'s two removals at one index are accepted', () => {
    fc.assert(fc.property(fc.constantFrom(...SINGLES), (field) => {
      assert.equal(codeOf(() => checkPatchOperations([{ op: 'remove', path: `/${field}` }])), 'ok');
    }));
    const example1: PatchOperation[] = [
      { op: 'test', path: '/name/1/id', value: '3' }, { op: 'remove', path: '/name/1' },
      { op: 'test', path: '/name/1/id', value: '4' }, { op: 'remove', path: '/name/1' },
    ];
    assert.equal(codeOf(() => checkPatchOperations(example1)), 'ok');
  });
});

const SECURITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const recordOf = (restricted: boolean): Patient => ({
  resourceType: 'Patient', id: '9000000009', gender: 'female', birthDate: '1980-02-03',
  meta: { versionId: '1', ...(restricted ? { security: [{ system: SECURITY, code: 'R', display: 'restricted' }] } : {}) },
  name: [{ id: 'n1', use: 'usual', family: 'Smith', given: ['Jane'] }],
});

describe('PATCH of a restricted record (properties)', () => {
  it('PDS spec: a restricted record\'s withheld data (addresses, contact points, contacts, GP, extensions) is 403 FORBIDDEN_UPDATE, test included; other fields are left to the other rules', () => {
    const withheld = new Set(['address', 'telecom', 'contact', 'generalPractitioner', 'extension']);
    fc.assert(fc.property(anyOps, fc.boolean(), (ops, restricted) => {
      const touchesWithheld = ops.some((o) => withheld.has(o.path.split('/')[1] ?? ''));
      const expected = restricted && touchesWithheld ? 'FORBIDDEN_UPDATE' : 'ok';
      assert.equal(codeOf(() => checkRestrictedDataUntouched(recordOf(restricted), ops)), expected, JSON.stringify(ops));
    }), { numRuns: 1000 });
  });
});

const telecomRecord: Patient = {
  ...recordOf(false),
  telecom: [{ id: 't1', system: 'phone', value: '01632960001', use: 'home' }, { system: 'phone', value: '01632960002', use: 'home' }, { id: 't3', system: 'email', value: 'a@b.uk', use: 'home' }],
};
const changeTo = (item: string) => fc.oneof(
  fc.constantFrom('use', 'value', 'system', 'period').map((key): PatchOperation => ({ op: 'replace', path: `${item}/${key}`, value: 'work' })),
  fc.constant<PatchOperation>({ op: 'add', path: `${item}/period`, value: { start: '2020-01-01' } }),
  fc.constant<PatchOperation>({ op: 'remove', path: `${item}/period` }),
);

describe('PATCH naming the list item it changes (properties)', () => {
  it('a change inside an existing item with an id is accepted exactly when the request names the item by its id (add, replace or test of /id, or the whole item)', () => {
    const naming = (item: string, id: string) => fc.oneof(
      fc.constantFrom('add', 'replace', 'test').map((op): PatchOperation => ({ op: op as PatchOperation['op'], path: `${item}/id`, value: id })),
      fc.constant<PatchOperation>({ op: 'test', path: item, value: { ...telecomRecord.telecom![Number(item.split('/')[2])], id } }),
    );
    const scenario = fc.constantFrom(0, 2).chain((k) => {
      const item = `/telecom/${k}`;
      const held = telecomRecord.telecom![k]!.id!;
      return fc.record({ change: changeTo(item), named: fc.option(fc.constantFrom(held, 'XXXX').chain((id) => naming(item, id).map((o) => ({ o, id, held })))) });
    });
    fc.assert(fc.property(scenario, ({ change, named }) => {
      const ops = named ? [named.o, change] : [change];
      const byRightId = named !== null && (named.id === named.held || named.o.op === 'test');
      assert.equal(codeOf(() => checkItemsIdentified(telecomRecord, ops)), byRightId ? 'ok' : 'INVALID_UPDATE', JSON.stringify(ops));
    }), { numRuns: 500 });
  });

  it('an item stored without an id needs no naming; an index past the list is 400 INVALID_UPDATE once named', () => {
    fc.assert(fc.property(changeTo('/telecom/1'), fc.integer({ min: 3, max: 20 }), (change, past) => {
      assert.equal(codeOf(() => checkItemsIdentified(telecomRecord, [change])), 'ok');
      const beyond = { ...change, path: change.path.replace('/telecom/1', `/telecom/${past}`) };
      assert.equal(codeOf(() => checkItemsIdentified(telecomRecord, [{ op: 'add', path: `/telecom/${past}/id`, value: 'ZZ' }, beyond])), 'INVALID_UPDATE');
    }), { numRuns: 200 });
  });

  it('whatever the operations do inside an item, it keeps its id: a changed, removed or swapped id is 400 INVALID_UPDATE', () => {
    const idChange = fc.constantFrom(0, 2).chain((k) => fc.oneof(
      fc.constantFrom('t3', 't1', 'NEW').filter((id) => id !== telecomRecord.telecom![k]!.id).map((id): PatchOperation[] => [{ op: 'replace', path: `/telecom/${k}/id`, value: id }]),
      fc.constant<PatchOperation[]>([{ op: 'remove', path: `/telecom/${k}/id` }]),
      fc.constant<PatchOperation[]>([{ op: 'replace', path: `/telecom/${k}`, value: { system: 'phone', value: '01632960999', use: 'mobile' } }]),
    ));
    const keeping = fc.constantFrom(0, 1, 2).chain((k) => changeTo(`/telecom/${k}`).map((o) => [o]));
    fc.assert(fc.property(fc.array(fc.oneof(keeping, keeping, idChange), { minLength: 1, maxLength: 4 }), (steps) => {
      const ops = steps.flat();
      const changesAnId = ops.some((o) => o.path.endsWith('/id') || /^\/telecom\/[0-9]+$/.test(o.path));
      assert.equal(codeOf(() => checkItemsKeepTheirIds(telecomRecord, ops)), changesAnId ? 'INVALID_UPDATE' : 'ok', JSON.stringify(ops));
    }), { numRuns: 500 });
  });

  it('an id named again unchanged, or a whole item replaced with its own id, keeps it: accepted', () => {
    fc.assert(fc.property(fc.constantFrom(0, 2), fc.constantFrom('mobile', 'work', 'temp'), (k, use) => {
      const held = telecomRecord.telecom![k]!;
      assert.equal(codeOf(() => checkItemsKeepTheirIds(telecomRecord, [{ op: 'replace', path: `/telecom/${k}/id`, value: held.id }])), 'ok');
      assert.equal(codeOf(() => checkItemsKeepTheirIds(telecomRecord, [{ op: 'replace', path: `/telecom/${k}`, value: { ...held, use } }])), 'ok');
    }), { numRuns: 50 });
  });
});
