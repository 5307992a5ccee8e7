/**
 * The fuzz client's request bodies (fuzz-client.ts): a valid-looking body per route, then broken at
 * some depth (a wrong type, an odd value, an extra field), or not JSON at all.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { anyValue, string, wrongType } from './fuzz-values.js';

/** A real 2048-bit public key, as the admin API requires of an application's key (a key rotation the fuzzer sends as valid). */
const ROTATED_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });

const REGISTERING_AUTHORITY = {
  url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-RegisteringAuthority',
  extension: [
    { url: 'registeringAuthorityType', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/UKCore-RegisteringAuthorityType', code: 'x' }] } },
    { url: 'organisationIdentifier', valueString: 'RGS' },
  ],
};

export type BodyKind = { text: string; invalid: boolean };

/** Bodies for the patients (`nhsNumbers`, which exist) and organisation (`odsCode`) of the fuzz plan. */
export function bodyArbitraries(plan: { nhsNumbers: string[]; odsCode: string }) {
  const nhs = plan.nhsNumbers;
  const pointer = (id?: string) => ({
    resourceType: 'DocumentReference', ...(id ? { id } : {}), status: 'current', docStatus: 'final',
    type: { coding: [{ system: 'http://snomed.info/sct', code: '736253002', display: 'Mental health crisis plan' }] },
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '734163000', display: 'Care plan' }] }],
    subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs[0] } },
    author: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: plan.odsCode } }],
    custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: plan.odsCode } },
    content: [{
      attachment: { contentType: 'application/pdf', url: 'https://example.org/a.pdf', creation: '2022-12-21T10:45:41+11:00' },
      format: { system: 'https://fhir.nhs.uk/England/CodeSystem/England-NRLFormatCode', code: 'urn:nhs-ic:unstructured', display: 'Unstructured document' },
    }],
  });
  /** A valid-looking body per route (by URL pattern), which mutations then break at some depth. */
  function exemplar(method: string, url: string): unknown {
    if (url.endsWith('/Patient') && method === 'POST') {
      return { resourceType: 'Patient', extension: [REGISTERING_AUTHORITY], name: [{ use: 'usual', given: ['Jane'], family: 'Fuzz', prefix: ['Mrs'], period: { start: '1986-07-01' } }],
        gender: 'female', birthDate: '1982-07-10', address: [{ use: 'home', line: ['1 Trevelyan Square', 'Leeds'], postalCode: 'LS1 6AE', period: { start: '2020-01-01' } }] };
    }
    if (url.includes('/Patient/') && method === 'PATCH') return { patches: [{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/name/-', value: { use: 'usual', family: 'X', period: { start: '2020-01-01' } } }] };
    if (url.endsWith('/Coverage')) return { resourceType: 'Coverage', status: 'active', beneficiary: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs[0] } }, payor: [{ display: 'x' }] };
    if (url.includes('DocumentReference/_search')) return { resourceType: 'Parameters', parameter: [{ name: 'subject:identifier', valueString: `https://fhir.nhs.uk/Id/nhs-number|${nhs[0]}` }] };
    if (url.includes('DocumentReference')) return pointer(method === 'PUT' && url.endsWith(':id') ? `${plan.odsCode}-${randomUUID()}` : undefined);
    if (url.includes('/permissions/')) return ['http://snomed.info/sct|736253002'];
    if (url.startsWith('/consent/STU3/Consent')) {
      return {
        resourceType: 'Consent', ...(method === 'PUT' ? { id: randomUUID() } : {}), status: 'active', dateTime: '2017-12-14T11:15:33+00:00',
        extension: [{ url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-NDOP-OptOutSource-1', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/NDOP-OptOutSource-1', code: 'OP' }] } }],
        patient: { reference: `https://demographics.spineservices.nhs.uk/STU3/Patient/${nhs[0]}` }, consentingParty: [{ reference: `https://demographics.spineservices.nhs.uk/STU3/Patient/${nhs[0]}` }],
        organization: [{ reference: 'https://directory.spineservices.nhs.uk/STU3/Organization/X26' }], policy: [{ uri: 'https://www.gov.uk/' }],
        purpose: [{ system: 'http://snomed.info/sct', code: '370856009' }],
      };
    }
    if (url.includes('/applications/') && url.endsWith('/jwks')) return { keys: [{ ...ROTATED_KEY, kid: 'k', alg: 'RS512', use: 'sig' }] };
    if (url.endsWith('/applications')) return { name: 'Fuzz app', odsCode: plan.odsCode, activities: ['patient:read'], accessModes: ['application'] };
    if (url.endsWith('/users')) return { userId: '555000000999', name: 'Fuzz User' };
    if (url.endsWith('/role-profiles')) return { roleProfileId: '555000000998', odsCode: plan.odsCode, roleCode: 'R8000' };
    if (url.endsWith('/trusted-issuers')) return [{ issuer: 'https://issuer.example', jwksUrl: 'https://issuer.example/jwks' }];
    if (url.endsWith('/demo-id-tokens')) return { userId: '555000000001' };
    if (url.includes('/admin/directory/organisations')) return { odsCode: 'FUZZ1', name: 'Fuzz org' };
    if (url.includes('/admin/directory/mailboxes')) return { mailboxId: 'FUZZMB1', odsCode: plan.odsCode, password: 'p' };
    if (url.includes('/admin/directory/workflows')) return { workflowId: 'FUZZ_WF', senders: ['X26ABC1'], receivers: ['X26ABC2'] };
    if (url.includes('/admin/directory/postcode-areas/')) return { prefixes: ['LS1', 'LS2 6'] };
    if (url.includes('/admin/directory/devices') || url.includes('/admin/directory/endpoints')) return { id: 'fuzz', odsCode: plan.odsCode, interactionIds: ['x'] };
    return { resourceType: 'Parameters', value: 1 };
  }

  /** Every path to a value inside `value` (at every depth), the root included. */
  function pathsOf(value: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
    out.push(prefix);
    if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
    return out;
  }
  function setAt(root: unknown, path: Array<string | number>, replacement: unknown): unknown {
    if (path.length === 0) return replacement;
    const copy = structuredClone(root) as Record<string | number, unknown>;
    let at = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path.at(-1)!] = replacement;
    return copy;
  }
  function getAt(root: unknown, path: Array<string | number>): unknown {
    return path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], root);
  }

  const jsonBody = (method: string, url: string): fc.Arbitrary<BodyKind> => {
    const valid = exemplar(method, url);
    const paths = pathsOf(valid);
    return fc.oneof(
      // A wrong type at some depth: invalid by construction.
      { weight: 5, arbitrary: fc.tuple(fc.nat(), fc.nat(), anyValue).map(([p, k, v]) => {
        const path = paths[p % paths.length]!;
        return { text: JSON.stringify(setAt(valid, path, wrongType(getAt(valid, path), k, v))), invalid: true };
      }) },
      // A same-typed odd value (huge, unicode, injection, bad NHS number) at some depth.
      { weight: 3, arbitrary: fc.tuple(fc.nat(), string).map(([p, s]) => {
        const leaves = paths.filter((path) => typeof getAt(valid, path) === 'string');
        const path = leaves[p % Math.max(1, leaves.length)] ?? [];
        return { text: JSON.stringify(setAt(valid, path, s)), invalid: false };
      }) },
      // An extra field at some depth.
      { weight: 1, arbitrary: fc.tuple(fc.nat(), string, anyValue).map(([p, key, v]) => {
        const objects = paths.filter((path) => { const at = getAt(valid, path); return at !== null && typeof at === 'object' && !Array.isArray(at); });
        const path = objects[p % Math.max(1, objects.length)] ?? [];
        const at = getAt(valid, path);
        const extended = at && typeof at === 'object' && !Array.isArray(at) ? { ...at, [key || 'x']: v } : at;
        return { text: JSON.stringify(setAt(valid, path, extended)), invalid: false };
      }) },
      // Not JSON: truncated, a lone surrogate escape, raw garbage, duplicated keys.
      { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('trunc', 'garbage', 'nul', 'dupkey', 'empty', 'bom')).map(([n, how]) => {
        const text = JSON.stringify(valid);
        switch (how) {
          case 'trunc': return { text: text.slice(0, 1 + (n % Math.max(1, text.length - 1))), invalid: true };
          case 'garbage': return { text: `${text}}${'x'.repeat(n % 5)}`, invalid: true };
          case 'nul': return { text: text.replace(':', ':\u0000'), invalid: true };
          case 'dupkey': return { text: text.replace('{', '{"resourceType":1,'), invalid: false };
          case 'bom': return { text: `\uFEFF${text}`, invalid: false };
          default: return { text: '', invalid: true };
        }
      }) },
      // Any JSON at all (which may happen to be valid: `[]` is an empty list of NRL pointer types).
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ text: JSON.stringify(v) ?? 'null', invalid: false })) },
      // The exemplar itself (so concurrent duplicates of a valid write happen).
      { weight: 1, arbitrary: fc.constant({ text: JSON.stringify(valid), invalid: false }) },
    );
  };
  return { jsonBody };
}
