import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalisePostcode, parseMeshMailboxLine, parseMeshWorkflowLine, type MeshMailbox, type MeshWorkflow } from '../../src/services/directory/api.js';
import { InvalidFieldError } from '../../src/services/directory/fields.js';
import { SpineError } from '../../src/platform/http/errors.js';
import { parseDeviceQuery, parseEndpointQuery } from '../../src/services/directory/sds/query.js';
import { accreditedSystemFromBody, mailboxFromBody, mhsEndpointFromBody, organisationFromBody, workflowFromBody } from '../../src/services/directory/admin/records.js';
import { AccreditedSystemBody, MailboxBody, MailboxPutBody, MhsEndpointBody, OrganisationBody, OrganisationPutBody, WorkflowBody } from '../../src/services/directory/admin/schemas.js';
import { conformanceTo } from '../../src/platform/http/validation.js';
import { deviceResource, endpointResource } from '../../src/services/directory/sds/resources.js';
import { accreditedSystemFromDevice, mhsEndpointFromEndpoint } from '../../src/services/directory/sds/from-fhir.js';
import { RELIABILITY_KEYS } from '../../src/services/directory/sds/model.js';
import { INTERACTION, ODS, PARTY_KEY } from './sds-support.js';

const INTERACTION_URN = 'urn:nhs:names:services:psis:REPC_IN150016UK05';

const RUNS = { numRuns: 300 };
const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const odsCode = chars(UPPER_DIGITS, 3, 10);
const mailboxId = chars(UPPER_DIGITS, 3, 20);
const text = fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s !== '');

/** Arbitrary input: random text, random JSON, and JSON objects that look nearly right. */
const junkLines = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('mailbox_id', 'mailbox_name', 'ods_code', 'org_code', 'password', 'billing_entity', 'active',
    'workflow_id', 'senders', 'receivers', '__proto__', 'constructor'), fc.jsonValue()).map((o) => JSON.stringify(o)),
);

function throwsOnlyClearErrors(parse: (line: string) => unknown, kind: string) {
  fc.assert(fc.property(junkLines, (line) => {
    try {
      parse(line);
    } catch (err) {
      assert.ok(err instanceof Error && err.constructor === Error, `not a plain Error: ${String(err)}`);
      assert.ok(err.message.startsWith(`Invalid MESH ${kind} line`), err.message);
    }
  }), RUNS);
}

describe('MESH JSONL parsers', () => {
  it('parse the MESH sandbox lines exactly', () => {
    assert.deepEqual(parseMeshMailboxLine('{"mailbox_id":  "X26ABC2", "mailbox_name": "TESTMB2", "billing_entity": "Wales", "ods_code": "X26", "org_code": "X26", "password": "password"}'),
      { mailboxId: 'X26ABC2', mailboxName: 'TESTMB2', odsCode: 'X26', orgCode: 'X26', billingEntity: 'Wales', password: 'password', active: true });
    assert.deepEqual(parseMeshWorkflowLine('{"workflow_id": "TEST_WORKFLOW_ACK", "senders":  ["X26ABC2"], "receivers":  ["X26ABC1", "X26ABC3"]}'),
      { workflowId: 'TEST_WORKFLOW_ACK', senders: ['X26ABC2'], receivers: ['X26ABC1', 'X26ABC3'] });
  });

  it('name the line and the problem', () => {
    assert.throws(() => parseMeshMailboxLine('{"mailbox_id": "X26ABC1"}'), { message: 'Invalid MESH mailbox line "{\\"mailbox_id\\": \\"X26ABC1\\"}": \'mailbox_name\' is required' });
    assert.throws(() => parseMeshMailboxLine('not json'), { message: 'Invalid MESH mailbox line "not json": not valid JSON' });
    assert.throws(() => parseMeshWorkflowLine('[]'), /Invalid MESH workflow line "\[\]": a MESH workflow line must be a JSON object/);
    assert.throws(() => parseMeshWorkflowLine('{"workflow_id": "W", "senders": [1], "receivers": []}'), /'senders\[0\]' must be a string, not 1/);
  });

  it('never fail on arbitrary lines with anything but a clear Error', () => {
    throwsOnlyClearErrors(parseMeshMailboxLine, 'mailbox');
    throwsOnlyClearErrors(parseMeshWorkflowLine, 'workflow');
  });

  it('round-trip valid mailboxes and workflows', () => {
    const mailbox = fc.record({
      mailboxId: mailboxId, mailboxName: text, odsCode, orgCode: odsCode,
      billingEntity: fc.option(text, { nil: undefined }), password: text, active: fc.boolean(),
    });
    fc.assert(fc.property(mailbox, (m) => {
      const line = JSON.stringify({ mailbox_id: m.mailboxId.toLowerCase(), mailbox_name: m.mailboxName, billing_entity: m.billingEntity,
        ods_code: m.odsCode, org_code: m.orgCode, password: m.password, active: m.active });
      const expected: MeshMailbox = { ...m };  // fast-check records have a null prototype; compare plain copies
      if (expected.billingEntity === undefined) delete expected.billingEntity;
      assert.deepEqual(parseMeshMailboxLine(line), expected);
    }), RUNS);
    const workflow = fc.record({
      workflowId: chars('ABCXYZ019_-.', 1, 40),
      senders: fc.uniqueArray(mailboxId, { maxLength: 5 }),
      receivers: fc.uniqueArray(mailboxId, { maxLength: 5 }),
    });
    fc.assert(fc.property(workflow, (w: MeshWorkflow) => {
      const line = JSON.stringify({ workflow_id: w.workflowId, senders: w.senders, receivers: w.receivers });
      assert.deepEqual(parseMeshWorkflowLine(line), { ...w });
    }), RUNS);
  });
});

describe('SDS search parameter parsing', () => {
  const queryValue = fc.oneof(fc.string(), fc.constantFrom(`${ODS}|`, `${ODS}|YES`, `${INTERACTION}|urn:x`, `${PARTY_KEY}|YES-1`, `${INTERACTION}| `));
  const rawQuery = fc.dictionary(
    fc.oneof(fc.constantFrom('organization', 'identifier', 'manufacturing-organization'), fc.string()),
    fc.oneof(queryValue, fc.array(queryValue, { maxLength: 3 })),
  );

  it('answer a query or a 400 BAD_REQUEST, never anything else', () => {
    fc.assert(fc.property(rawQuery, (query) => {
      for (const parse of [parseDeviceQuery, parseEndpointQuery]) {
        try {
          parse(query);
        } catch (err) {
          assert.ok(err instanceof SpineError, String(err));
          assert.equal(err.spec.code, 'BAD_REQUEST');
        }
      }
    }), RUNS);
  });

  it('read a value without the spaces around it: padded and bare find the same (LDAP ignores them)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,20}$/);
    const pad = fc.stringMatching(/^[ \t]{0,3}$/);
    fc.assert(fc.property(token, token, token, pad, pad, (ods, interaction, key, before, after) => {
      const padded = (v: string) => `${before}${v}${after}`;
      const bare = { organization: `${ODS}|${ods}`, identifier: [`${INTERACTION}|${interaction}`, `${PARTY_KEY}|${key}`] };
      const spaced = { organization: `${ODS}|${padded(ods)}`, identifier: [`${INTERACTION}|${padded(interaction)}`, `${PARTY_KEY}|${padded(key)}`] };
      assert.deepEqual(parseDeviceQuery(spaced), parseDeviceQuery(bare));
      assert.deepEqual(parseEndpointQuery(spaced), parseEndpointQuery(bare));
    }), RUNS);
  });

  it('take the last usable value of a repeated parameter', () => {
    assert.deepEqual(parseDeviceQuery({
      organization: [`${ODS}|AAA`, `${ODS}|BBB`, `${ODS}| `],
      identifier: [`${INTERACTION}|urn:one`, `${PARTY_KEY}|BBB-1`, `${INTERACTION}|urn:two`],
    }), { organization: 'BBB', interactionId: 'urn:two', partyKey: 'BBB-1' });
  });
});

describe('admin bodies: the route schema at the door, then the record reader', () => {
  const ID = '00000000-0000-4000-8000-000000000000';
  const routes: Array<{ schema: object; read: (b: never) => unknown }> = [
    { schema: OrganisationBody, read: (b) => organisationFromBody(b) },
    { schema: OrganisationPutBody, read: (b) => organisationFromBody(b, 'ZZZ01') },
    { schema: MailboxBody, read: (b) => mailboxFromBody(b) },
    { schema: MailboxPutBody, read: (b) => mailboxFromBody(b, 'X26ABC9') },
    { schema: WorkflowBody, read: (b) => workflowFromBody(b) },
    { schema: AccreditedSystemBody, read: (b) => accreditedSystemFromBody(b, ID) },
    { schema: MhsEndpointBody, read: (b) => mhsEndpointFromBody(b, ID) },
  ];
  const fields = ['odsCode', 'name', 'role', 'parentOdsCode', 'active', 'postcode', 'mailboxId', 'mailboxName', 'password', 'workflowId',
    'senders', 'receivers', 'asid', 'partyKey', 'ownerOdsCode', 'interactions', 'managingOdsCode', 'address', 'fqdn', 'cpaId', 'reliability'];
  const nearlyRight = fc.dictionary(fc.constantFrom(...fields), fc.oneof(fc.jsonValue(), odsCode, fc.constant('gp-practice'), fc.constant([INTERACTION_URN])));

  it('for any JSON: refused at the door naming a field of the body, or read into a record, or refused by the reader naming the field', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), nearlyRight), (body) => {
      for (const { schema, read } of routes) {
        const failure = conformanceTo(schema).failure(body);
        if (failure) {
          assert.equal(failure.part, 'body');
          const top = failure.path.split('/')[0]!;
          assert.ok(top === '' || fields.includes(top) || Object.hasOwn(body as object, top), `names ${failure.path}`);
          continue;
        }
        try {
          read(body as never);
        } catch (err) {
          assert.ok(err instanceof InvalidFieldError, String(err));
          assert.ok(fields.includes(err.field) || err.field === 'id', err.field);
        }
      }
    }), RUNS);
  });

  it('round-trip valid organisations, in any case', () => {
    const org = fc.record({
      odsCode, name: text.map((s) => s.trim()).filter((s) => s !== ''), role: fc.constantFrom('gp-practice', 'nhs-trust', 'pharmacy', 'other') as fc.Arbitrary<'other'>,
      active: fc.boolean(), postcode: fc.constantFrom('SE1 7EH', 'DL14 6AA', 'M1 1AE'),
    });
    fc.assert(fc.property(org, fc.boolean(), (o, lower) => {
      const sent = lower ? { ...o, odsCode: o.odsCode.toLowerCase(), postcode: o.postcode.toLowerCase() } : { ...o };
      assert.equal(conformanceTo(OrganisationBody).failure(sent), undefined);
      assert.deepEqual(organisationFromBody(sent), { ...o });
    }), RUNS);
  });
});

describe('SDS FHIR renderings', () => {
  const interaction = chars('abcdefghijklmnopqrstuvwxyz0123456789:_.', 1, 40).map((s) => `urn:nhs:names:services:${s}`);
  const uuid = fc.uuid().map((u) => u.toUpperCase());
  const partyKey = fc.tuple(odsCode, chars('0123456789', 1, 10)).map(([o, n]) => `${o}-${n}`);

  it('read back what they render (Device)', () => {
    const system = fc.record({
      id: uuid, asid: chars('0123456789', 1, 12), partyKey, ownerOdsCode: odsCode,
      manufacturingOdsCode: fc.option(odsCode, { nil: undefined }), interactions: fc.uniqueArray(interaction, { maxLength: 5 }),
    });
    fc.assert(fc.property(system, (generated) => {
      const s = { ...generated };
      if (s.manufacturingOdsCode === undefined) delete s.manufacturingOdsCode;
      assert.deepEqual(accreditedSystemFromDevice(deviceResource(s)), s);
    }), RUNS);
  });

  it('read back what they render (Endpoint)', () => {
    const reliability = fc.record(Object.fromEntries(RELIABILITY_KEYS.map((k) =>
      [k, k === 'nhsMHSRetries' ? fc.nat(100) : text])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] });
    const endpoint = fc.record({
      id: uuid, partyKey, managingOdsCode: odsCode, address: fc.webUrl(), fqdn: fc.domain(), cpaId: chars(UPPER_DIGITS, 1, 20),
      mhsId: chars(UPPER_DIGITS, 1, 20), status: fc.constant('active' as const), interactions: fc.uniqueArray(interaction, { maxLength: 3 }),
      reliability: fc.option(reliability.filter((r) => Object.keys(r).length > 0), { nil: undefined }),
    });
    fc.assert(fc.property(endpoint, (generated) => {
      const e = { ...generated, ...(generated.reliability ? { reliability: { ...generated.reliability } } : {}) };
      if (e.reliability === undefined) delete e.reliability;
      assert.deepEqual(mhsEndpointFromEndpoint(endpointResource(e as any)), e);
    }), RUNS);
  });
});

describe('postcodes in the standard form', () => {
  const area = fc.stringMatching(/^[A-Z]{1,2}$/);
  const district = fc.stringMatching(/^[0-9][0-9A-Z]?$/);
  const inward = fc.stringMatching(/^[0-9][A-Z]{2}$/);
  const spaces = fc.stringMatching(/^ {0,3}$/);
  const anyCase = (s: string, lower: boolean[]) => [...s].map((c, i) => (lower[i % lower.length] ? c.toLowerCase() : c)).join('');

  it('any spelling of a postcode (case, no space or several, spaces around) is the outward code, one space, the inward code', () => {
    fc.assert(fc.property(area, district, inward, spaces, spaces, spaces, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      (a, d, i, before, between, after, lower) => {
        const standard = `${a}${d} ${i}`;
        assert.equal(normalisePostcode(anyCase(`${before}${a}${d}${between}${i}${after}`, lower)), standard);
        assert.equal(normalisePostcode(standard), standard, 'idempotent');
      }), RUNS);
  });

  it('what is not a postcode is undefined, never a guess', () => {
    for (const value of ['', ' ', 'NOWHERE', 'LS1', 'LS1 6', '1LS 6AE', 'LS1 6A', 'LS1 6AEX', 'LS1-6AE']) assert.equal(normalisePostcode(value), undefined, value);
    fc.assert(fc.property(fc.string(), (value) => {
      const normalised = normalisePostcode(value);
      if (normalised !== undefined) assert.match(normalised, /^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$/);
    }), RUNS);
  });
});
