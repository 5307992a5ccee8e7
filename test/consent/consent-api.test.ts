import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { createAppAndToken, userToken } from '../support/identity.js';
import { call, consentFor, expectedIssue, ndopIssue, PATIENT_BASE, specExample } from './support.js';
import { assertionParts, CLIENT_ASSERTION_TYPE, postToken, registerApp, signRaw } from '../identity/fixtures.js';
import { DEMO_ISSUER, signDemoIdToken } from '../../src/services/identity/demo-issuer.js';
import { findSigningKey } from '../../src/services/identity/store/issuers.js';
import { optedOutAmong } from '../../src/services/consent/store.js';

/** NDOP's Consent API under /consent/STU3 over HTTP, on PostgreSQL, with the NHS sandbox patients. */
describe('National Data Opt-out Consent API', () => {
  let spine: TestSpine;
  let writer: string;
  let privacyOfficer: string;
  let clinician: string;
  let writerAppId: string;

  before(async () => {
    spine = await startTestSpine();
    const app = await createAppAndToken(spine, { activities: ['consent:write', 'consent:read'], name: 'NHS.UK opt-out service' });
    writer = app.token;
    writerAppId = app.principal.appId;
    privacyOfficer = (await userToken(spine, { roleCode: 'R9901', odsCode: 'X26' })).token;
    clinician = (await userToken(spine, { roleCode: 'R8000' })).token;
  });
  after(async () => { await spine?.close(); });

  const search = (nhsNumber: string, token = writer) => call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}${nhsNumber}`, token);

  it('search first: a patient without a Consent gets an empty searchset, as Example-1', async () => {
    const response = await search('9000000017');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^application\/json\+fhir/);
    const example = specExample('Examples/NDOP-Bundle-Searchset-Example-1.json');
    assert.deepEqual(Object.keys(response.body).sort(), Object.keys(example).filter((k) => k !== 'meta' || true).sort());
    assert.equal(response.body.type, 'searchset');
    assert.equal(response.body.total, 0);
    assert.equal(response.body.entry, undefined);
    assert.equal(response.body.link[0].relation, 'self');
  });

  let id = '';
  let firstVersion = '';
  it('create: 201 with Location of the server-assigned id; the resource is the one sent plus id and meta', async () => {
    const body = consentFor('9000000009');
    const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    id = response.body.id;
    firstVersion = response.body.meta.versionId;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.get('location'), `${spine.ctx.config.publicBaseUrl}/consent/STU3/Consent/${id}`);
    const { id: _id, meta, ...rest } = response.body;
    assert.deepEqual(rest, Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'meta')));
    assert.deepEqual(meta.profile, ['https://fhir.nhs.uk/STU3/StructureDefinition/NDOP-Consent-1']);
    const audited = await spine.ctx.db.query(`SELECT app_id, detail FROM audit.events WHERE action = 'consent.create' AND '9000000009' = ANY(nhs_numbers)`);
    assert.equal(audited.rows.length, 1);
    assert.equal(audited.rows[0].app_id, writerAppId);
    assert.deepEqual(audited.rows[0].detail, { versionId: firstVersion, status: 'active', effectiveFrom: '2017-12-14T11:15:33.000Z', source: 'OP' });
    const stored = await spine.ctx.db.query('SELECT source, set_by FROM consent.versions WHERE id = $1', [id]);
    assert.equal(stored.rows[0].source, 'OP');
    assert.equal(stored.rows[0].set_by.appId, writerAppId);
  });

  it('search then finds it: a searchset of one entry in the shape of Example-2', async () => {
    const response = await search('9000000009');
    assert.equal(response.status, 200);
    const example = specExample('Examples/NDOP-Bundle-Searchset-Example-2.json');
    assert.equal(response.body.total, 1);
    assert.deepEqual(Object.keys(response.body.entry[0]).sort(), Object.keys(example.entry[0]).sort());
    assert.equal(response.body.entry[0].resource.id, id);
    assert.deepEqual(response.body.entry[0].search, { mode: 'match' });
    assert.equal(response.body.entry[0].fullUrl, `${spine.ctx.config.publicBaseUrl}/consent/STU3/Consent/${id}`);
  });

  it('a create with a client-assigned id is 405 MSG_RESOURCE_ID_FAIL, exactly as the spec\'s OperationOutcome example', async () => {
    const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, { ...consentFor('9000000025'), id: '0353e505-f7be-4c20-8f4e-337e79a32c51' });
    assert.equal(response.status, 405);
    const example = specExample('Examples/Spine-OperationOutcome-1-Example-1.json');
    const { id: _a, ...answer } = response.body;
    const { id: _b, ...expected } = example;
    assert.deepEqual(answer, expected);
  });

  it('a create with an id of any form (not a valid id, not a string, huge) is 405 MSG_RESOURCE_ID_FAIL too, not a 400 for the id', async () => {
    for (const id of ['not a valid id!', 5, null, 'i'.repeat(100_000)]) {
      const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, { ...consentFor('9000000025'), id });
      assert.equal(response.status, 405, JSON.stringify(id).slice(0, 20));
      assert.equal(ndopIssue(response.body).details.coding[0].code, 'MSG_RESOURCE_ID_FAIL');
    }
  });

  it('a second create for the same patient, policy and purpose is 422 DUPLICATE_REJECTED', async () => {
    const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9000000009', { status: 'inactive' }));
    assert.equal(response.status, 422);
    assert.deepEqual(ndopIssue(response.body), expectedIssue('DUPLICATE_REJECTED', 'Consent already exists for this patient/policy/purpose', 'duplicate',
      'A Consent already exists for patient 9000000009 with this policy and purpose: search for it and update it by its id'));
  });

  it('update replaces the whole resource: a new version, the previous one kept in history', async () => {
    const body = { ...consentFor('9000000009'), id, status: 'inactive', dateTime: '2017-12-19T11:15:33+00:00' };
    const response = await call(spine, 'PUT', `/consent/STU3/Consent/${id}`, writer, body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.status, 'inactive');
    assert.notEqual(response.body.meta.versionId, firstVersion);
    assert.equal(response.headers.get('location'), `${spine.ctx.config.publicBaseUrl}/consent/STU3/Consent/${id}`);

    const history = await call(spine, 'GET', `/consent/STU3/Consent/_history?patient=${PATIENT_BASE}9000000009`, writer);
    assert.equal(history.status, 200);
    assert.equal(history.body.type, 'history');
    assert.deepEqual(history.body.entry.map((e: any) => e.resource.status), ['inactive', 'active']);
    const one = await call(spine, 'GET', `/consent/STU3/Consent/_history?patient=${PATIENT_BASE}9000000009&versionId=${firstVersion}`, writer);
    assert.deepEqual(one.body.entry.map((e: any) => e.resource.meta.versionId), [firstVersion]);
    const vread = await call(spine, 'GET', `/consent/STU3/Consent/${id}/_history/${firstVersion}`, writer);
    assert.equal(vread.status, 200);
    assert.equal(vread.body.status, 'active');
    assert.equal(vread.headers.get('etag'), `W/"${firstVersion}"`);
  });

  it('a create whose first version cannot be written (a lock not granted in time) stores nothing: 503, and a retry creates it', async () => {
    // Found by reading the store: the Consent and its first version were two statements outside a
    // transaction, so this left a Consent without a version. Opt-out checks read versions: the
    // opt-out was never in force, and the client's retry was 422 DUPLICATE_REJECTED.
    const nhsNumber = '9732110317';
    const db = spine.ctx.db;
    await db.query(`CREATE FUNCTION consent.refuse_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'lock not available' USING ERRCODE = '55P03'; END $$`);
    await db.query('CREATE TRIGGER refuse_version BEFORE INSERT ON consent.versions FOR EACH ROW EXECUTE FUNCTION consent.refuse_version()');
    try {
      const refused = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor(nhsNumber));
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal((await db.query('SELECT 1 FROM consent.consents WHERE nhs_number = $1', [nhsNumber])).rowCount, 0, 'no Consent without its version');
    } finally {
      await db.query('DROP TRIGGER refuse_version ON consent.versions');
      await db.query('DROP FUNCTION consent.refuse_version()');
    }
    let retried = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor(nhsNumber));
    // A 503 asks the client to retry after Retry-After, as this one does.
    for (let attempt = 0; retried.status === 503 && attempt < 10; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      retried = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor(nhsNumber));
    }
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.deepEqual([...await optedOutAmong(db, [nhsNumber], new Date())], [nhsNumber]);
  });

  it('ids are case-sensitive (FHIR): the id or version id in another case names no Consent (404, or none found) and changes nothing', async () => {
    const created = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9733162043'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const assigned: string = created.body.id;
    const version: string = created.body.meta.versionId;
    const [upper, upperVersion] = [assigned.toUpperCase(), version.toUpperCase()];
    const read = await call(spine, 'GET', `/consent/STU3/Consent/${upper}`, writer);
    assert.equal(read.status, 404, JSON.stringify(read.body));
    assert.deepEqual(ndopIssue(read.body), expectedIssue('NO_RECORD_FOUND', 'No record found', 'not-found', `No Consent with id ${upper}`));
    for (const path of [`${upper}/_history/${version}`, `${assigned}/_history/${upperVersion}`]) {
      assert.equal((await call(spine, 'GET', `/consent/STU3/Consent/${path}`, writer)).status, 404, path);
    }
    // An update addressed in upper case neither finds it nor changes its logical id (the spec: once assigned, immutable).
    const updated = await call(spine, 'PUT', `/consent/STU3/Consent/${upper}`, writer, { ...created.body, id: upper, status: 'inactive' });
    assert.equal(updated.status, 404, JSON.stringify(updated.body));
    assert.deepEqual(ndopIssue(updated.body), expectedIssue('NO_RECORD_FOUND', 'No record found', 'not-found', `No Consent with id ${upper}`));
    for (const query of [`_id=${upper}`, `patient=${PATIENT_BASE}9733162043&_id=${upper}`]) {
      const found = await call(spine, 'GET', `/consent/STU3/Consent?${query}`, writer);
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.deepEqual(found.body.entry ?? [], [], query);
    }
    const history = await call(spine, 'GET', `/consent/STU3/Consent/_history?patient=${PATIENT_BASE}9733162043&versionId=${upperVersion}`, writer);
    assert.deepEqual(history.body.entry ?? [], []);
    const found = await search('9733162043');
    assert.deepEqual(found.body.entry.map((e: any) => [e.fullUrl, e.resource.id, e.resource.status]),
      [[`${spine.ctx.config.publicBaseUrl}/consent/STU3/Consent/${assigned}`, assigned, 'active']]);
  });

  it('update of an unknown id is 404 NO_RECORD_FOUND; an id that differs from the URL is 400', async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';
    const missing = await call(spine, 'PUT', `/consent/STU3/Consent/${unknown}`, writer, { ...consentFor('9000000009'), id: unknown });
    assert.equal(missing.status, 404);
    assert.deepEqual(ndopIssue(missing.body), expectedIssue('NO_RECORD_FOUND', 'No record found', 'not-found', `No Consent with id ${unknown}`));
    const other = await call(spine, 'PUT', `/consent/STU3/Consent/${id}`, writer, { ...consentFor('9000000009'), id: unknown });
    assert.equal(other.status, 400);
    assert.equal(ndopIssue(other.body).details.coding[0].code, 'BAD_REQUEST');
  });

  it('the profile and business rules are 422 INVALID_RESOURCE naming what is wrong', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ status: 'proposed' }, /status must be 'active'/],
      [{ dateTime: '1973-04-01' }, /dateTime must be a date with a time and a timezone/],
      [{ dateTime: '1987-01-23T24:00:00+00:00' }, /dateTime/],
      [{ dateTime: '2017-12-14T11:15:33' }, /timezone/],
      [{ patient: { reference: '4505577104' } }, /patient.reference must be/],
      [{ patient: { reference: `${PATIENT_BASE}4505577105` } }, /valid 10-digit NHS number/],
      [{ extension: [] }, /exactly one extension .*OptOutSource/],
      [{ consentingParty: undefined }, /Exactly one of Consent.consentingParty and the consentingProxyRole/],
      [{ purpose: [{ system: 'http://snomed.info/sct', code: '123' }] }, /purpose must be one SNOMED CT coding 370856009/],
      [{ actor: [] }, /Consent.actor is not allowed/],
      [{ patient: { reference: `${PATIENT_BASE}9000000068` } }, /not a current PDS record/],
      // consent_consenting_party.md and consent_organization.md: their examples of incorrect usage.
      [{ consentingParty: [{ reference: `${PATIENT_BASE}900-000-0025` }] }, /consentingParty.reference must be .*valid 10-digit NHS number/],
      [{ consentingParty: [{ reference: 'https://directory.spineservices.nhs.uk/STU3/Organization/X26' }] }, /consentingParty.reference must be/],
      [{ organization: [{ reference: 'https://directory.spineservices.nhs.uk/STU3/Organization/E123123' }] }, /organization must be https:\/\/directory.spineservices.nhs.uk\/STU3\/Organization\/X26/],
      [{ organization: [{ reference: 'NHS Choices' }] }, /organization must be/],
    ];
    for (const [change, diagnostics] of cases) {
      const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, consentFor('9000000025', change));
      assert.equal(response.status, 422, `${JSON.stringify(change)}: ${JSON.stringify(response.body)}`);
      const issue = ndopIssue(response.body);
      assert.equal(issue.details.coding[0].code, 'INVALID_RESOURCE');
      assert.match(issue.diagnostics, diagnostics);
    }
  });

  it('a proxy opt-out (Example-2: call centre, Power of Attorney, NIC reference) is accepted without consentingParty', async () => {
    const example = specExample('fhir/Examples/Consent-Example-2.json');
    const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, { ...example, patient: { reference: `${PATIENT_BASE}9000000025` } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const both = await call(spine, 'POST', '/consent/STU3/Consent', writer, {
      ...example, patient: { reference: `${PATIENT_BASE}9000000033` }, consentingParty: [{ reference: `${PATIENT_BASE}9000000033` }],
    });
    assert.equal(both.status, 422);
  });

  it('bodies that are not a Consent are 400, never stored: wrong types at any depth, unknown elements, bad JSON', async () => {
    const bodies: unknown[] = [
      { ...consentFor('9000000033'), resourceType: 'Patient' },
      { ...consentFor('9000000033'), status: 7 },
      { ...consentFor('9000000033'), patient: { reference: ['x'] } },
      { ...consentFor('9000000033'), unknownElement: true },
      { ...consentFor('9000000033'), policy: [{ uri: 'x'.repeat(5000) }] },
      '{"resourceType": "Consent",',
      '{"resourceType": "Consent", "status": "\\ud800"}',
    ];
    for (const body of bodies) {
      const response = await call(spine, 'POST', '/consent/STU3/Consent', writer, body);
      assert.equal(response.status, 400, `${JSON.stringify(body).slice(0, 100)}: ${JSON.stringify(response.body)}`);
      ndopIssue(response.body);
    }
    const stored = await spine.ctx.db.query(`SELECT 1 FROM consent.consents WHERE nhs_number = '9000000033'`);
    assert.equal(stored.rowCount, 0);
  });

  it('search parameters are checked: a patient not given as the PDS reference, an invalid NHS number, an unknown parameter', async () => {
    const bare = await call(spine, 'GET', '/consent/STU3/Consent?patient=9000000009', writer);
    assert.equal(bare.status, 400);
    assert.equal(ndopIssue(bare.body).details.coding[0].code, 'INVALID_PARAMETER');
    const invalid = await call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}9000000008`, writer);
    assert.equal(invalid.status, 400);
    assert.equal(ndopIssue(invalid.body).details.coding[0].code, 'INVALID_NHS_NUMBER');
    const unknown = await call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}9000000009&colour=blue`, writer);
    assert.equal(unknown.status, 400);
    const none = await call(spine, 'GET', '/consent/STU3/Consent', writer);
    assert.equal(none.status, 400);
  });

  it('purpose and category limit a search (build_consent_restful.md: "a purpose code MAY be used"), as FHIR token parameters', async () => {
    // Found by probing: both were accepted and ignored, so `purpose=PLAN` answered a Consent whose purpose is 370856009.
    const categorised = '9693632109';
    const created = await call(spine, 'POST', '/consent/STU3/Consent', writer,
      consentFor(categorised, { category: [{ coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutCategory-1', code: 'NDOP' }] }] }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const found = async (nhsNumber: string, query: string) => {
      const response = await call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}${nhsNumber}&${query}`, writer);
      assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.entry?.length ?? 0, response.body.total);
      return response.body.total;
    };
    // The example's purpose is https://snomed.info/sct|370856009; either SNOMED URL names it.
    for (const purpose of ['370856009', 'http://snomed.info/sct|370856009', 'https://snomed.info/sct|370856009', 'http://snomed.info/sct|', 'PLAN,370856009']) {
      assert.equal(await found('9000000009', `purpose=${encodeURIComponent(purpose)}`), 1, purpose);
    }
    for (const purpose of ['PLAN', 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-PreferenceCodes-1|370856009', '|370856009', 'http://loinc.org|']) {
      assert.equal(await found('9000000009', `purpose=${encodeURIComponent(purpose)}`), 0, purpose);
    }
    assert.equal(await found('9000000009', 'category=NDOP'), 0, 'no category');
    assert.equal(await found(categorised, 'category=NDOP'), 1);
    assert.equal(await found(categorised, `category=${encodeURIComponent('https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutCategory-1|NDOP')}&purpose=370856009`), 1);
    assert.equal(await found(categorised, 'category=NDOP&purpose=PLAN'), 0);
    assert.equal(await found(categorised, `_id=${created.body.id}&category=RESCH`), 0);
    for (const bad of ['|', 'a|b|c', 'NDOP,']) {
      const response = await call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}9000000009&purpose=${encodeURIComponent(bad)}`, writer);
      assert.equal(response.status, 400, bad);
      assert.deepEqual(ndopIssue(response.body), expectedIssue('INVALID_PARAMETER', 'Invalid parameter', 'invalid',
        `Invalid value - '${bad}' in parameter 'purpose': expected a token (code, system|code, |code or system|)`));
    }
  });

  it('the privacy officer reads opt-outs (audited under their user); a clinician may not (403, audited as denied)', async () => {
    const read = await search('9000000009', privacyOfficer);
    assert.equal(read.status, 200);
    assert.equal(read.body.total, 1);
    const audited = await spine.ctx.db.query(`SELECT role_code FROM audit.events WHERE action = 'consent.search' AND role_code = 'R9901'`);
    assert.equal(audited.rowCount, 1);
    const refused = await search('9000000009', clinician);
    assert.equal(refused.status, 403);
    assert.deepEqual(ndopIssue(refused.body).details.coding[0], {
      system: 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1', code: 'ACCESS DENIED', display: 'Access has been denied to process this request',
    });
    const write = await call(spine, 'POST', '/consent/STU3/Consent', privacyOfficer, consentFor('9000000033'));
    assert.equal(write.status, 403);
    const anonymous = await fetch(`${spine.url}/consent/STU3/Consent?patient=${PATIENT_BASE}9000000009`);
    assert.equal(anonymous.status, 401);
  });

  it('metadata is a CapabilityStatement of the NDOP interactions, open to anyone', async () => {
    const response = await fetch(`${spine.url}/consent/STU3/metadata`);
    assert.equal(response.status, 200);
    const body = await response.json() as any;
    assert.equal(body.resourceType, 'CapabilityStatement');
    const consent = body.rest[0].resource[0];
    assert.equal(consent.type, 'Consent');
    for (const code of ['create', 'vread', 'update', 'search-type']) assert.ok(consent.interaction.some((i: any) => i.code === code), code);
    assert.equal(consent.conditionalCreate, false);
    assert.deepEqual(consent.searchParam.map((p: any) => p.name), ['patient', '_id', 'purpose', 'category']);
  });

  it('XML is not served: _format=xml is 415 in NDOP\'s shape', async () => {
    const response = await call(spine, 'GET', `/consent/STU3/Consent?patient=${PATIENT_BASE}9000000009&_format=xml`, writer);
    assert.equal(response.status, 415);
    assert.equal(ndopIssue(response.body).details.coding[0].code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body of a media type that is not JSON (text/plain, a form) is 415 naming it, as XML is; nothing stored, nothing quoted back', async () => {
    // Found by probing: text/plain was read as one string, refused 400 quoting the whole body back
    // (a 4 MB body, a 4 MB answer), and a form as fields, refused for a missing resourceType.
    const body = JSON.stringify(consentFor('9000000033'));
    for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/fhir+xml']) {
      for (const method of ['POST', 'PUT']) {
        const path = method === 'POST' ? '/consent/STU3/Consent' : `/consent/STU3/Consent/${id}`;
        const response = await call(spine, method, path, writer, body, contentType);
        assert.equal(response.status, 415, `${method} ${contentType}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(ndopIssue(response.body), expectedIssue('UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'not-supported',
          `Unsupported Content-Type '${contentType}'`));
      }
    }
    const stored = await spine.ctx.db.query(`SELECT 1 FROM consent.consents WHERE nhs_number = '9000000033'`);
    assert.equal(stored.rowCount, 0);
  });

  it('a patient signed in with NHS login (P9) reads their own opt-out only: anyone else\'s is 403 in NDOP\'s shape; both audited', async () => {
    const app = await registerApp(spine, { activities: ['consent:read'] });
    const privateJwk = (await findSigningKey(spine.ctx.db, DEMO_ISSUER))!;
    const patientToken = async (nhsNumber: string, level = 'P9') => {
      const idToken = await signDemoIdToken(privateJwk, {
        subject: `nhs-login-${nhsNumber}`, audience: app.apiKey, now: Math.floor(Date.now() / 1000),
        claims: { nhs_number: nhsNumber, identity_proofing_level: level },
      });
      const { header, claims } = assertionParts(app);
      return postToken(spine, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', subject_token: idToken,
        client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: signRaw(header, claims, app.key.privateKeyPem),
      });
    };
    const granted = await patientToken('9000000009');
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    const jane = granted.body.access_token!;

    const own = await search('9000000009', jane);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.total, 1);
    assert.equal(own.body.entry[0].resource.id, id);
    assert.equal((await call(spine, 'GET', `/consent/STU3/Consent/${id}`, jane)).status, 200);
    assert.equal((await call(spine, 'GET', `/consent/STU3/Consent/_history?patient=${PATIENT_BASE}9000000009`, jane)).status, 200);

    const other = await search('9000000017', jane);
    assert.equal(other.status, 403);
    assert.deepEqual(ndopIssue(other.body), expectedIssue('ACCESS DENIED', 'Access has been denied to process this request', 'forbidden', 'A patient may read their own opt-out only'));
    const othersHistory = await call(spine, 'GET', `/consent/STU3/Consent/_history?patient=${PATIENT_BASE}9000000017`, jane);
    assert.equal(othersHistory.status, 403);
    // Someone else's Consent by id: refused too.
    const kim = await patientToken('9000000017');
    const byId = await call(spine, 'GET', `/consent/STU3/Consent/${id}`, kim.body.access_token!);
    assert.equal(byId.status, 403);
    assert.equal(ndopIssue(byId.body).details.coding[0].code, 'ACCESS DENIED');
    const byIdSearch = await call(spine, 'GET', `/consent/STU3/Consent?_id=${id}`, kim.body.access_token!);
    assert.equal(byIdSearch.status, 403);
    // A patient may not write, even their own.
    assert.equal((await call(spine, 'POST', '/consent/STU3/Consent', jane, consentFor('9000000009'))).status, 403);

    const audited = await spine.ctx.db.query(
      `SELECT action, outcome, nhs_numbers, user_id FROM audit.events WHERE app_id = $1 AND action LIKE 'consent.%' ORDER BY seq`, [app.appId]);
    assert.deepEqual(audited.rows.map((r) => [r.action, r.outcome, r.nhs_numbers, r.user_id]), [
      ['consent.search', 'success', ['9000000009'], 'nhs-login-9000000009'],
      ['consent.read', 'success', ['9000000009'], 'nhs-login-9000000009'],
      ['consent.history', 'success', ['9000000009'], 'nhs-login-9000000009'],
      ['consent.read', 'denied', ['9000000017'], 'nhs-login-9000000009'],
      ['consent.read', 'denied', ['9000000017'], 'nhs-login-9000000009'],
      ['consent.read', 'denied', ['9000000009'], 'nhs-login-9000000017'],
      ['consent.read', 'denied', ['9000000009'], 'nhs-login-9000000017'],
    ]);

    const lowProofing = await patientToken('9000000009', 'P5');
    assert.equal(lowProofing.status, 400, 'NHS login below P9 is not trusted with an NHS number');
  });
});
