import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PlatformContext } from '../../../platform/service.js';
import type { Patient } from '../fhir-types.js';
import { storedRecord } from '../domain/stored-record.js';
import { versionOf } from '../domain/patient-fields.js';
import { insertPatient } from '../store/patient-writes.js';
import { insertRelatedPerson } from '../store/related-person-writes.js';

// spec/ sits at the repository root, the same depth from src/ and from dist/.
const PDS_DATA = fileURLToPath(new URL('../../../../spec/nhs/pds/', import.meta.url));

const readJson = (path: string) => JSON.parse(readFileSync(`${PDS_DATA}${path}`, 'utf8'));

/**
 * The NHS sandbox's patients: the sandbox mocks (9000000009 full, 9000000017, 9000000025
 * restricted, 9000000033 minimal) and the Karate stub patients, with their RelatedPersons, so the
 * sandbox's reads and searches give the same answers here. Idempotent: existing records are kept.
 */
export function sandboxPatients(): { patients: Patient[]; related: Array<{ nhsNumber: string; resource: { id: string } }> } {
  const byId = new Map<string, Patient>();
  for (const file of readdirSync(`${PDS_DATA}stubs/patientResponses`).sort()) {
    const patient = readJson(`stubs/patientResponses/${file}`) as Patient;
    byId.set(patient.id, patient);
  }
  // The sandbox mocks win where both have a patient: they are what the published sandbox returns.
  for (const file of ['Patient.json', 'Patient-Jayne-Smyth.json', 'Sensitive_Patient.json', 'Minimal_Patient.json']) {
    const patient = readJson(`sandbox/mocks/${file}`) as Patient;
    byId.set(patient.id, patient);
  }
  // The compound-name search example (John Paul Smith) exists only as a search result.
  const compound = readJson('sandbox/mocks/PatientCompoundName.json') as { entry: Array<{ resource: Patient }> };
  const johnPaul = compound.entry[0]!.resource;
  if (!byId.has(johnPaul.id)) byId.set(johnPaul.id, johnPaul);
  alignRestrictedWithSearchExample(byId);
  const related: Array<{ nhsNumber: string; resource: { id: string } }> = [];
  for (const file of readdirSync(`${PDS_DATA}stubs/relatedPersonResponses`).sort()) {
    const bundle = readJson(`stubs/relatedPersonResponses/${file}`) as { entry?: Array<{ fullUrl: string; resource: { id: string } }> };
    for (const entry of bundle.entry ?? []) {
      const nhsNumber = /\/Patient\/([0-9]{10})\//.exec(entry.fullUrl)?.[1];
      if (nhsNumber) related.push({ nhsNumber, resource: entry.resource });
    }
  }
  return { patients: [...byId.values()], related };
}

/**
 * The sandbox's own data disagrees with itself about 9000000025: its read says born 2010-10-22,
 * its search example finds it as born 2005-06-16 by email and phone, which the stripped record
 * does not show. A stateful store holds one record, so it takes the search example's date of
 * birth and its (never disclosed) contact details: then both the restricted search
 * (Smythe/Janet/2005-06-16) and the wildcard search (Sm* born 2010-10-22 finds two) answer as
 * the sandbox does.
 */
function alignRestrictedWithSearchExample(byId: Map<string, Patient>) {
  const restricted = byId.get('9000000025');
  if (!restricted) return;
  const example = readJson('sandbox/mocks/Sensitive_PatientSearch.json') as { entry: Array<{ resource: Patient }> };
  byId.set('9000000025', {
    ...restricted,
    birthDate: example.entry[0]!.resource.birthDate,
    telecom: [
      { id: '789', system: 'phone', value: '01632960587', use: 'home' },
      { id: '790', system: 'email', value: 'janet.smythe@example.com', use: 'home' },
    ],
  });
}

export async function loadNhsSandbox(ctx: PlatformContext): Promise<string> {
  const { patients, related } = sandboxPatients();
  let added = 0;
  await ctx.db.tx(async (tx) => {
    for (const patient of patients) {
      if (await insertPatient(tx, storedRecord(patient, versionOf(patient)), versionOf(patient))) added += 1;
    }
    for (const r of related) await insertRelatedPerson(tx, r.nhsNumber, r.resource);
  });
  return `${added} of ${patients.length} sandbox patients added, ${related.length} related persons`;
}
