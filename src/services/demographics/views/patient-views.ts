import type { Patient } from '../fhir-types.js';
import { RESTRICTED_EXTENSIONS, RESTRICTED_FIELDS, isRestricted } from '../domain/patient-fields.js';

/**
 * Search results carry birth, death and registration facts only: place of birth, pharmacies,
 * communication and contact preferences and the rest are left out, so only the death
 * notification extension is kept (as the sandbox's search examples show).
 */
const EXTENSIONS_KEPT_IN_SEARCH = new Set(['https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus']);
const NAME_USES_IN_SEARCH = new Set(['usual', 'nickname', 'temp']);

/**
 * A restricted record as it may be disclosed: without its location-sensitive fields, pharmacy and
 * birth place extensions (PDS spec, retrieval and search). Its contacts and those extensions were
 * returned by a read (found by probing): the spec removes them on retrieval too.
 */
function withoutRestricted(patient: Patient): Patient {
  const copy: Patient = { ...patient };
  for (const field of RESTRICTED_FIELDS) delete copy[field];
  if (copy.extension) {
    copy.extension = copy.extension.filter((e) => !RESTRICTED_EXTENSIONS.has(e.url));
    if (copy.extension.length === 0) delete copy.extension;
  }
  return copy;
}

/** The record as a read (GET /Patient/{id}) returns it. */
export function readView(patient: Patient): Patient {
  return isRestricted(patient) ? withoutRestricted(patient) : patient;
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
  return isRestricted(patient) ? withoutRestricted(view) : view;
}
