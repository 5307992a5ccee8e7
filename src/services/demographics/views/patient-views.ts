import type { Patient } from '../fhir-types.js';
import { isRestricted } from '../domain/patient-fields.js';

/** PDS spec (retrieval): a restricted record is returned without its location-sensitive fields. */
const RESTRICTED_ON_READ = ['address', 'telecom', 'generalPractitioner'] as const;
/** PDS spec (search): restricted results also lose their contacts. */
const RESTRICTED_ON_SEARCH = [...RESTRICTED_ON_READ, 'contact'] as const;

/**
 * Search results carry birth, death and registration facts only: place of birth, pharmacies,
 * communication and contact preferences and the rest are left out, so only the death
 * notification extension is kept (as the sandbox's search examples show).
 */
const EXTENSIONS_KEPT_IN_SEARCH = new Set(['https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus']);
const NAME_USES_IN_SEARCH = new Set(['usual', 'nickname', 'temp']);

function without(patient: Patient, fields: readonly string[]): Patient {
  const copy: Patient = { ...patient };
  for (const field of fields) delete copy[field];
  return copy;
}

/** The record as a read (GET /Patient/{id}) returns it. */
export function readView(patient: Patient): Patient {
  return isRestricted(patient) ? without(patient, RESTRICTED_ON_READ) : patient;
}

/** The reduced record a search result carries. */
export function searchView(patient: Patient): Patient {
  const view: Patient = { ...patient };
  if (patient.name) view.name = patient.name.filter((n) => n.use === undefined || NAME_USES_IN_SEARCH.has(n.use));
  if (patient.address) view.address = patient.address.filter((a) => a.use === 'home');
  if (patient.extension) view.extension = patient.extension.filter((e) => EXTENSIONS_KEPT_IN_SEARCH.has(e.url));
  for (const field of ['name', 'address', 'extension'] as const) {
    if (Array.isArray(view[field]) && (view[field] as unknown[]).length === 0) delete view[field];
  }
  delete view.managingOrganization;
  return isRestricted(patient) ? without(view, RESTRICTED_ON_SEARCH) : view;
}
