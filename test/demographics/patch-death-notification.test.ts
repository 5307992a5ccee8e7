import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPds, call, outcomeOf, type PdsHarness } from './support/pds.js';
import { testPopulation } from './support/population.js';
import { userToken } from '../support/identity.js';
import { bulkInsertPatients } from '../../src/services/demographics/store/bulk.js';
import { DEATH_NOTIFICATION_URL } from '../../src/services/demographics/patch/patient-rules.js';

// PDS spec ("Death notification"): it cannot be removed, cannot be replaced once formal (2), only
// certain systems may set formal (2), and U (removed) is never set by an update.
const STATUSES: Record<'1' | '2' | 'U', string> = { '1': 'Informal - death notice received via an update from a local NHS Organisation such as GP or Trust', '2': 'Formal - death notice received from Registrar of Deaths', U: 'Removed' };
const notification = (code: keyof typeof STATUSES) => ({
  url: DEATH_NOTIFICATION_URL,
  extension: [{ url: 'deathNotificationStatus', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus', version: '1.0.0', code, display: STATUSES[code] }] } }],
});
const death = (code: keyof typeof STATUSES) => [
  { op: 'add', path: '/deceasedDateTime', value: '2020-01-01T00:00:00+00:00' },
  { op: 'add', path: '/extension/-', value: notification(code) },
];

describe('PATCH /Patient/{id}: the death notification', () => {
  let h: PdsHarness;
  /** A clinician working through a system PDS lets record a formal death (the ONS's, a maternity site's). */
  let registrarSystem: string;
  const people = testPopulation(4, 930_000_000);
  const record = async (id: string) => (await h.db.query('SELECT version_id, resource FROM demographics.patients WHERE nhs_number = $1', [id])).rows[0];
  const patch = async (id: string, patches: unknown[], bearer?: string) => call(h, `Patient/${id}`, {
    method: 'PATCH', body: { patches }, bearer, headers: { 'content-type': 'application/json-patch+json', 'if-match': `W/"${(await record(id)).version_id}"` },
  });
  const notificationAt = async (id: string) => ((await record(id)).resource.extension as Array<{ url: string }>).findIndex((e) => e.url === DEATH_NOTIFICATION_URL);
  const refused = (res: Awaited<ReturnType<typeof patch>>, status: number, code: string, diagnostics: string) => {
    assert.equal(res.status, status, JSON.stringify(res.json));
    assert.deepEqual([outcomeOf(res.json).code, outcomeOf(res.json).diagnostics], [code, diagnostics]);
  };

  before(async () => {
    h = await startPds();
    await bulkInsertPatients(h.spine.ctx.db, { patients: people });
    const clinician = await userToken(h.spine, { roleCode: 'R8000' });
    registrarSystem = (await h.spine.ctx.tokens.issue({ ...clinician.principal, activities: [...clinician.principal.activities, 'patient:formal-death'] })).token;
  });
  after(() => h.close());

  it('a formal (2) one only from a system granted it: 403 FORBIDDEN_UPDATE from a GP system, nothing stored; an informal one from any', async () => {
    const [a, b] = [people[0]!.id, people[1]!.id];
    refused(await patch(a, death('2')), 403, 'FORBIDDEN_UPDATE', 'Forbidden update with error - adding a formal death notification is only permitted from certain systems');
    assert.equal((await record(a)).version_id, 1);
    assert.equal((await patch(a, death('1'))).status, 200);
    const formal = await patch(b, death('2'), registrarSystem);
    assert.equal(formal.status, 200, JSON.stringify(formal.json));
  });

  it('an informal one becomes formal from such a system only; a formal one is never replaced, not even by it', async () => {
    const [a, b] = [people[0]!.id, people[1]!.id];
    const toFormal = async (id: string, bearer?: string) => patch(id, [{ op: 'replace', path: `/extension/${await notificationAt(id)}`, value: notification('2') }], bearer);
    refused(await toFormal(a), 403, 'FORBIDDEN_UPDATE', 'Forbidden update with error - adding a formal death notification is only permitted from certain systems');
    assert.equal((await toFormal(a, registrarSystem)).status, 200);
    const toInformal = await patch(b, [{ op: 'replace', path: `/extension/${await notificationAt(b)}`, value: notification('1') }], registrarSystem);
    refused(toInformal, 403, 'FORBIDDEN_UPDATE', 'Forbidden update with error - a formal death notification cannot be replaced');
    assert.equal((await record(b)).resource.extension[await notificationAt(b)].extension[0].valueCodeableConcept.coding[0].code, '2');
  });

  it("it cannot be removed (403), and 'U' is never set by an update (400 INVALID_UPDATE)", async () => {
    const [c, d] = [people[2]!.id, people[3]!.id];
    assert.equal((await patch(c, death('1'))).status, 200);
    const at = await notificationAt(c);
    const removal = await patch(c, [{ op: 'test', path: `/extension/${at}/url`, value: DEATH_NOTIFICATION_URL }, { op: 'remove', path: `/extension/${at}` }], registrarSystem);
    refused(removal, 403, 'FORBIDDEN_UPDATE', 'Forbidden update with error - source not permitted to remove the death notification');
    refused(await patch(d, death('U'), registrarSystem), 400, 'INVALID_UPDATE', "Invalid update with error - a death notification status of 'U' (removed) cannot be set by an update");
    assert.equal((await record(d)).version_id, 1);
  });
});
