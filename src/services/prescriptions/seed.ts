import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlatformContext } from '../../platform/service.js';
import { directoryApi, type OrganisationRole } from '../directory/api.js';
import { SYSTEMS, asArray, identifierValue, isObject, type Json } from './domain/fhir.js';

/**
 * Dataset `eps`: the organisations NHS England's EPS examples name (prescribing practices and
 * trusts, dispensing pharmacies), into the directory; and, in demo mode only, the demo prescriber
 * signing certificate registered for every practitioner the examples name (its private key is
 * the test fixture test/prescriptions/fixtures/prescriber-key.pem, so never on a deployment).
 * Idempotent.
 */
const EXAMPLES = fileURLToPath(new URL('../../../spec/nhs/eps/examples/', import.meta.url));

/** Issued by the OpenSpine test prescriber CA (test/prescriptions/fixtures/ca-cert.pem). */
export const DEMO_PRESCRIBER_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIDGzCCAgMCFCh+dAKFbS9WBdZIz6h9WyzLtQ5WMA0GCSqGSIb3DQEBCwUAME0x
CzAJBgNVBAYTAkdCMRcwFQYDVQQKDA5PcGVuU3BpbmUgdGVzdDElMCMGA1UEAwwc
T3BlblNwaW5lIHRlc3QgcHJlc2NyaWJlciBDQTAeFw0yNjEyMDExODQ5NTRaFw0z
NjExMjgxODQ5NTRaMEcxCzAJBgNVBAYTAkdCMRcwFQYDVQQKDA5PcGVuU3BpbmUg
dGVzdDEfMB0GA1UEAwwWRFIgQyBCT0lOIDU1NTA4NjY4OTEwNjCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBAOYAbrU17xzwpAjaroFU2K/th41U3eYZLP3p
7j3AmPUZBVHmeyVi7HUZI12OC7eNK5cePaD7+jpvsn2rn4WaUvl8mix8nI8vP1Le
xIWq2EdEf0IuWchISlOD5yazNJoraLFQYsLFybmTct9e3iXATlJAG9jjH0/UfkWi
w5VvTE8Ury8mvhBbLtNsxzMGoOG485gRhSSzYvZifcNVPT0X/Djc35JeIB7tXzz0
fp/ptiCqIH5+IFE7+X4PaoS+WstgC5b+PKLA6nz+GTseu3hdugIqFtyrHJt6fWV4
mKaGF3iULtik2Va8iFiDWud93pXM3ty6mSUBv5WzR8ABLQr2yvUCAwEAATANBgkq
hkiG9w0BAQsFAAOCAQEAnMdxr+Glt1O9uwS4soMaPHpObtqXzbOBhwJBKNnr5JJb
5kZ+Q6VsPujtldn/8tWBQ0y8DJsYAMYjupf+vDh58ffM5QHqTMi9F4t11LWz20yY
hbTmxZnE07x1G8nhZgWKvwF6kIFjQWdYnktuuB0gCPwlfIoF7Lyp/eEmZkEdxbQC
1SzdKKORKrVzQhJzoDJPEKJ7dzfaafyKUOhoVEUBsIr8P4RCB5uRTzoVciORu861
DxXSU4vvDyUIxHFpJjEtAtMkq009GTcLY5yiDAR3IrTkQNHqx5O0unjjyYN6oIDN
GQ7qINH/vbUeAdCqU8GVBTy7z57cnEHLQBc+kdZEaw==
-----END CERTIFICATE-----
`;

function* resourcesIn(node: unknown): Generator<Json> {
  if (Array.isArray(node)) for (const item of node) yield* resourcesIn(item);
  else if (isObject(node)) {
    if (typeof node.resourceType === 'string') yield node;
    for (const value of Object.values(node)) yield* resourcesIn(value);
  }
}

function exampleFiles(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) exampleFiles(path, found);
    else if (name.endsWith('.json')) found.push(path);
  }
  return found;
}

function roleOf(organisation: Json): OrganisationRole {
  const type = asArray(organisation.type).filter(isObject).flatMap((t) => asArray(t.coding)).filter(isObject)[0];
  if (type?.code === '182') return 'pharmacy';
  if (type?.code === '76') return 'gp-practice';
  if (type?.code === '197' || type?.code === 'RO197') return 'nhs-trust';
  return 'other';
}

export async function loadEpsDataset(ctx: PlatformContext): Promise<string> {
  const organisations = new Map<string, { name: string; role: OrganisationRole; postcode?: string }>();
  const practitioners = new Set<string>();
  for (const file of exampleFiles(EXAMPLES)) {
    for (const resource of resourcesIn(JSON.parse(readFileSync(file, 'utf8')))) {
      if (resource.resourceType === 'Organization') {
        const ods = identifierValue(resource.identifier, SYSTEMS.ods);
        // The first mention with a known role wins (many mentions carry no type).
        if (!ods || (organisations.has(ods.toUpperCase()) && organisations.get(ods.toUpperCase())!.role !== 'other')) continue;
        const address = asArray(resource.address).filter(isObject)[0];
        organisations.set(ods.toUpperCase(), {
          name: typeof resource.name === 'string' ? resource.name : ods, role: roleOf(resource),
          ...(typeof address?.postalCode === 'string' ? { postcode: address.postalCode } : {}),
        });
      } else if (resource.resourceType === 'Practitioner') {
        const id = identifierValue(resource.identifier, SYSTEMS.sdsUserId) ?? asArray(resource.identifier).filter(isObject).map((i) => i.value).find((v) => typeof v === 'string');
        if (typeof id === 'string') practitioners.add(id);
      }
    }
  }
  const directory = directoryApi(ctx.db);
  // Organisations the directory already holds (demo data, a real ODS load) are left as they are.
  let added = 0;
  for (const [odsCode, org] of organisations) {
    if (await directory.getOrganisation(odsCode)) continue;
    await directory.upsertOrganisation({ odsCode, ...org, active: true });
    added += 1;
  }
  if (ctx.config.demo) {
    for (const practitioner of practitioners) await directory.registerSigningCertificate(practitioner, DEMO_PRESCRIBER_CERTIFICATE);
  }
  return `eps: ${organisations.size} organisations (${added} new)${ctx.config.demo ? `, the demo signing certificate for ${practitioners.size} practitioners` : ''}`;
}
