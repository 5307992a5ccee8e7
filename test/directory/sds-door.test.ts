import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { INTERACTION, ODS, PARTY_KEY, sdsQuery, REPC, sdsReader } from './sds-support.js';

type Outcome = { resourceType: string; issue: Array<{ code: string; details: { coding: Array<{ code: string }> }; diagnostics: string }> };

describe('SDS search parameters checked at the door, refused in the SDS\'s words', () => {
  const sds = sdsReader();
  const { get } = sds;

  async function refusal(path: string): Promise<string> {
    const response = await get(path);
    assert.equal(response.status, 400, path);
    const body = await response.json() as Outcome;
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0]!.details.coding[0]!.code, 'BAD_REQUEST');
    return body.issue[0]!.diagnostics;
  }

  it('an unknown parameter, a value without its system, or a missing mandatory one is 400 BAD_REQUEST naming the parameter', async () => {
    assert.equal(await refusal(`Device?${sdsQuery([['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`], ['colour', 'red']])}`),
      "HTTP 400: Bad Request (Illegal query parameter 'colour')");
    assert.equal(await refusal(`Device?${sdsQuery([['organization', 'YES'], ['identifier', `${INTERACTION}|${REPC}`]])}`),
      `HTTP 400: Bad Request (Missing or invalid 'organization' query parameter. Should be 'organization=${ODS}|value')`);
    assert.equal(await refusal(`Device?${sdsQuery([['organization', `${ODS}|YES`]])}`),
      `HTTP 400: Bad Request (Missing or invalid 'identifier' query parameter. Should be 'identifier=${INTERACTION}|value')`);
    assert.match(await refusal(`Endpoint?${sdsQuery([['organization', `${ODS}|YES`], ['identifier', 'nope|1']])}`), /Missing or invalid 'identifier' query parameter. Should be one or both of/);
    assert.match(await refusal(`Endpoint?${sdsQuery([['organization', `${ODS}|${'Y'.repeat(1001)}`], ['identifier', `${PARTY_KEY}|K`]])}`), /'organization'/);
  });

  it('the SDS\'s order holds: Accept is refused (406) before the parameters, after the credentials (401)', async () => {
    const bad = `Device?${sdsQuery([['colour', 'red']])}`;
    assert.equal((await get(bad, { accept: 'text/html' })).status, 406);
    assert.equal((await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/${bad}`, { headers: { accept: 'text/html' } })).status, 401);
  });

  it('any value of the wrong shape at any declared parameter is a 400 naming that parameter (property)', async () => {
    const declared = ['organization', 'identifier', 'manufacturing-organization'];
    const wrong = fc.string({ maxLength: 30 }).filter((v) => !v.startsWith('https://'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...declared), wrong, async (name, value) => {
      const params: Array<[string, string]> = [['organization', `${ODS}|YES`], ['identifier', `${INTERACTION}|${REPC}`]].filter(([n]) => n !== name) as Array<[string, string]>;
      const diagnostics = await refusal(`Device?${sdsQuery([...params, [name, value]])}`);
      assert.ok(diagnostics.includes(`'${name}'`), diagnostics);
    }), { numRuns: 40 });
  });

  it('serves the SDS OpenAPI document, without credentials, from the same schemas', async () => {
    const response = await fetch(`${sds.spine.url}/spine-directory/FHIR/R4/openapi.json`);
    assert.equal(response.status, 200);
    const document = await response.json() as { paths: Record<string, Record<string, { parameters: Array<{ in: string; name: string; required?: boolean; schema: { type: string; items?: { pattern: string } } }> }>> };
    const device = document.paths['/spine-directory/FHIR/R4/Device']!.get!.parameters;
    const organization = device.find((p) => p.in === 'query' && p.name === 'organization')!;
    assert.equal(organization.required, true);
    assert.equal(organization.schema.type, 'array');
    assert.ok(new RegExp(organization.schema.items!.pattern).test(`${ODS}|YES`));
    assert.deepEqual(document.paths['/spine-directory/FHIR/R4/Endpoint']!.get!.parameters.map((p) => p.name).sort(), ['identifier', 'organization']);
  });
});
