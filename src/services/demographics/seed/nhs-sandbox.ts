import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PlatformContext } from '../../../platform/service.js';
import type { Patient } from '../fhir-types.js';
import { storedRecord } from '../domain/stored-record.js';
import { versionOf } from '../domain/patient-fields.js';
import { normaliseEmail } from '../domain/normalise.js';
import { insertHistoricTelecoms, insertPatient } from '../store/patient-writes.js';
import type { HistoricTelecom } from '../store/patient-rows.js';
import { coverageFor, type Coverage, type CoverageBody } from '../domain/coverage.js';
import { insertCoverageIfNone } from '../store/coverage.js';
import { insertRelatedPerson } from '../store/related-person-writes.js';

// spec/ sits at the repository root, the same depth from src/ and from dist/.
const PDS_DATA = fileURLToPath(new URL('../../../../spec/nhs/pds/', import.meta.url));

const readJson = (path: string) => JSON.parse(readFileSync(`${PDS_DATA}${path}`, 'utf8'));

export interface SandboxData {
  patients: Patient[];
  related: Array<{ nhsNumber: string; resource: { id: string } }>;
  /** Emails and phones records held before (PDS keeps them for history searches, not in the record). */
  previousTelecoms: Array<{ nhsNumber: string; telecoms: HistoricTelecom[] }>;
  /** EHICs, at their coverage version (a patient without one is at version 1). */
  coverages: Array<{ nhsNumber: string; versionId: number; coverage: Coverage }>;
}

/**
 * PDS spec (coverage-get.yaml sandbox scenarios): 9000000009 holds the EHIC of its coverage stub,
 * at coverage version 2; 9000000033 has none (version 1).
 */
function sandboxCoverages(): SandboxData['coverages'] {
  const bundle = readJson('stubs/coverageResponses/patient_with_coverage_9000000009.json') as { meta: { versionId: string }; entry: Array<{ resource: CoverageBody }> };
  return [{ nhsNumber: '9000000009', versionId: Number(bundle.meta.versionId), coverage: coverageFor(bundle.entry[0]!.resource, '9000000009') }];
}

/** The patients a search stub returns (as the search view shows them). */
const searchStubPatients = (file: string) =>
  (readJson(`stubs/searchResponses/${file}`) as { entry: Array<{ resource: Patient }> }).entry.map((e) => e.resource);

/**
 * The NHS sandbox's patients: the sandbox mocks (9000000009 full, 9000000017, 9000000025
 * restricted, 9000000033 minimal), the Karate stub patients, with their RelatedPersons, and the
 * patients of the documented search and create scenarios, so the sandbox's reads, searches and
 * creates give the same answers here. Idempotent: existing records are kept.
 */
export function sandboxData(): SandboxData {
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
  withoutSandboxPhone(byId);
  // Search scenarios: KNAPP Kathy Megan (exact match) and Sam Matt Smith (found by a previous email).
  for (const patient of [...searchStubPatients('knap_kathy_exact_match.json'), ...searchStubPatients('historic_email_searchset.json')]) {
    if (!byId.has(patient.id)) byId.set(patient.id, patient);
  }
  for (const patient of createScenarioPatients()) if (!byId.has(patient.id)) byId.set(patient.id, patient);
  const previousTelecoms = [{ nhsNumber: '5900020584', telecoms: [{ system: 'email' as const, value: normaliseEmail('Historic@historic.com') }] }];
  const related: Array<{ nhsNumber: string; resource: { id: string } }> = [];
  for (const file of readdirSync(`${PDS_DATA}stubs/relatedPersonResponses`).sort()) {
    const bundle = readJson(`stubs/relatedPersonResponses/${file}`) as { entry?: Array<{ fullUrl: string; resource: { id: string } }> };
    for (const entry of bundle.entry ?? []) {
      const nhsNumber = /\/Patient\/([0-9]{10})\//.exec(entry.fullUrl)?.[1];
      if (nhsNumber) related.push({ nhsNumber, resource: entry.resource });
    }
  }
  return { patients: [...byId.values()], related, previousTelecoms, coverages: sandboxCoverages() };
}

/**
 * The sandbox mocks copied 9000000009's telecom into Jayne Smyth's record (9000000017), but the
 * documented phone searches for 01632960587 find only 9000000009: here she does not hold it.
 */
function withoutSandboxPhone(byId: Map<string, Patient>) {
  const jayne = byId.get('9000000017');
  if (!jayne?.telecom) return;
  byId.set('9000000017', { ...jayne, telecom: jayne.telecom.filter((t) => t.value !== '01632960587') });
}

/**
 * The people already on file in the create scenarios: the Single_Match_found example is
 * 5900054586 (McMatch-Single), the Multi_Match_found example both 5900036502 and 5900053679
 * (McMatch-Multiple), the records of `mock_single_searchset.json` and `mock_multiple_searchset.json`.
 * The sandbox decides by family name alone; OpenSpine traces the person (family and given name,
 * gender, date of birth), so those records hold the given name, prefix, gender and date of birth
 * the create example sends, and everything else (numbers, address, postcode, ids) from the stub.
 */
function createScenarioPatients(): Patient[] {
  const asSent = (example: string) => readJson(`specification/components/examples/requests/PatientCreate/${example}`) as Patient;
  const scenarios = [['Single_Match_found.json', 'mock_single_searchset.json'], ['Multi_Match_found.json', 'mock_multiple_searchset.json']];
  return scenarios.flatMap(([example, stub]) => {
    const person = asSent(example!);
    const sent = person.name!.find((n) => n.use === 'usual')!;
    return searchStubPatients(stub!).map((patient) => ({
      ...patient,
      gender: person.gender,
      birthDate: person.birthDate,
      name: patient.name!.map((n) => (n.use === 'usual' ? { ...n, given: sent.given, prefix: sent.prefix } : n)),
    }));
  });
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
  const { patients, related, previousTelecoms, coverages } = sandboxData();
  let added = 0;
  await ctx.db.tx(async (tx) => {
    for (const patient of patients) {
      if (await insertPatient(tx, storedRecord(patient, versionOf(patient)), versionOf(patient))) added += 1;
    }
    for (const r of related) await insertRelatedPerson(tx, r.nhsNumber, r.resource);
    for (const p of previousTelecoms) await insertHistoricTelecoms(tx, p.nhsNumber, p.telecoms);
    for (const c of coverages) await insertCoverageIfNone(tx, c.nhsNumber, c.versionId, c.coverage);
  });
  return `${added} of ${patients.length} sandbox patients added, ${related.length} related persons`;
}
