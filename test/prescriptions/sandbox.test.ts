import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSpine, type TestSpine } from '../support/spine.js';
import { directoryApi } from '../../src/services/directory/api.js';
import { loadEpsDataset } from '../../src/services/prescriptions/seed.js';
import { ACUTE, EXAMPLE_PRESCRIBER, example, withoutMeta, type Json } from './support.js';

/** Sandbox mode behaves as NHS England's EPS sandbox, so suppliers can replay its examples. */
describe('EPS in sandbox mode', () => {
  let spine: TestSpine;
  before(async () => { spine = await startTestSpine({ flags: { sandbox: true } }); });
  after(async () => { await spine?.close(); });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${spine.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() as Json };
  };

  it('accepts the example order with its test signature, a dummy token and no X-Request-ID; the same id again replaces it', async () => {
    const order = example(`${ACUTE}1-Process-Request-Send-200_OK.json`);
    for (const headers of [{ authorization: 'Bearer g1112R_ccQ1Ebbb4gtHBP1aaaNM' }, {}] as Array<Record<string, string>>) {
      const answer = await post('/fhir-prescribing/FHIR/R4/$process-message', order, headers);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(withoutMeta(answer.body), withoutMeta(example(`${ACUTE}1-Process-Response-Send-200_OK.json`)));
    }
    const { rows } = await spine.ctx.db.query(`SELECT count(*)::int AS n FROM prescriptions.prescriptions WHERE short_form_id = '24F5DA-A83008-7EFE6Z'`);
    assert.equal(rows[0].n, 1);
  });

  it('orders of one id sent at once (test suites replaying one example in parallel) each replace the prescription: all 200, one remains', async () => {
    const order = example('spec/prescribing/prescription-order/eRD-primary-example-req.json');
    const answers = await Promise.all(Array.from({ length: 16 }, () => post('/fhir-prescribing/FHIR/R4/$process-message', order, { 'x-request-id': crypto.randomUUID() })));
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), JSON.stringify(answers.find((a) => a.status !== 200)?.body));
    const { rows } = await spine.ctx.db.query(`
      SELECT (SELECT count(*)::int FROM prescriptions.prescriptions WHERE short_form_id = '24F5DA-A83008-7EFE6Z') AS prescriptions,
             (SELECT count(*)::int FROM prescriptions.history WHERE short_form_id = '24F5DA-A83008-7EFE6Z') AS history`);
    assert.deepEqual(rows[0], { prescriptions: 1, history: 1 });
  });

  it('a release for a pharmacy with nothing nominated answers 200 with empty passed and failed bundles', async () => {
    const body = structuredClone(example('spec/dispensing/release/acute-primary-example-req.json'));
    body.parameter = body.parameter.filter((p: Json) => p.name !== 'group-identifier');
    body.parameter.find((p: Json) => p.name === 'owner').resource.identifier[0].value = 'ZZ000';
    const answer = await post('/fhir-dispensing/FHIR/R4/Task/$release', body);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    // Empty searchsets as the spec's (examples/spec/dispensing/release/repeat-primary-example-res.json): no `entry`, a self link.
    assert.deepEqual(answer.body.parameter.map((p: Json) => [p.name, p.resource.total, 'entry' in p.resource, p.resource.link?.[0]?.relation]),
      [['passedPrescriptions', 0, false, 'self'], ['failedPrescriptions', 0, false, 'self']]);
  });

  it('dataset eps loads the examples\' organisations and, in demo mode, the demo signing certificate for their practitioners (idempotent)', async () => {
    const summary = await loadEpsDataset(spine.ctx);
    assert.match(summary, /^eps: \d+ organisations \(0 new\), the demo signing certificate for \d+ practitioners$/);
    const directory = directoryApi(spine.ctx.db);
    assert.equal((await directory.getOrganisation('A83008'))?.role, 'gp-practice');
    assert.equal((await directory.getOrganisation('VNE51'))?.role, 'pharmacy');
    assert.equal((await directory.signingCertificates([EXAMPLE_PRESCRIBER])).length, 1);
  });
});
