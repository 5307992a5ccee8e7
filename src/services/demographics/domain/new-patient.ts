import { randomBytes } from 'node:crypto';
import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';
import { NHS_NUMBER_SYSTEM, type Extension, type Patient } from '../fhir-types.js';
import { checkCommunication, checkPatchedRecord } from '../patch/patient-rules.js';
import { checkAddressesAdded } from '../patch/address-rules.js';
import type { SearchQuery } from '../search/search-query.js';
import { patientConformance } from '../schemas.js';
import { givenTokens, normaliseName } from './normalise.js';
import { storedRecord } from './stored-record.js';

/** The body of POST /Patient once the door has checked it against `PatientCreateRequest.yaml`. */
export type CreatePatientRequest = Pick<Patient, 'name' | 'gender' | 'birthDate' | 'address' | 'telecom' | 'extension'> & { resourceType?: string };

/**
 * PDS spec (`PatientCreateRequest.yaml`): of the extensions a create may carry, only these are kept
 * on the record; the Registering Authority and those marked "not persisted" are not.
 */
const PERSISTED_EXTENSIONS = new Set([
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication',
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference',
]);

/** PDS gives each new name, address and telecom item an id, as it does on the real service (e.g. "8F1A21BC"). */
export const newItemId = () => randomBytes(4).toString('hex').toUpperCase();
const withIds = <T extends { id?: string }>(items: T[] | undefined) => items?.map((item) => ({ ...item, id: item.id ?? newItemId() }));

/**
 * The new record's details from a create request (already valid against the spec's schema) plus a
 * function that makes the record for an allocated NHS number. PDS's record rules apply as on a
 * PATCH (a usual name, no work address, no date in the future); the record conforms to `Patient.yaml`.
 */
export function newPatientFrom(body: CreatePatientRequest, today: string): { details: Patient; recordFor: (nhsNumber: string) => Patient } {
  const usual = body.name?.find((n) => n.use === 'usual');
  if (usual && normaliseName(usual.family ?? '').length === 0) {
    throw new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidValue(usual.family ?? '', 'name/0/family'));
  }
  const extension = (body.extension ?? []).filter((e: Extension) => PERSISTED_EXTENSIONS.has(e.url));
  const details: Patient = {
    resourceType: 'Patient',
    id: '0000000000',
    name: withIds(body.name),
    gender: body.gender,
    birthDate: body.birthDate,
    address: withIds(body.address),
    ...(body.telecom ? { telecom: withIds(body.telecom) } : {}),
    ...(extension.length > 0 ? { extension } : {}),
  };
  try {
    // The same record rules a PATCH obeys (one usual name, no work address, sane dates).
    checkPatchedRecord({ ...details, gender: undefined }, details, today);
  } catch (err) {
    if (err instanceof SpineError) throw asCreateRefusal(err);
    throw err;
  }
  checkItemsAdded(body, details);
  const recordFor = (nhsNumber: string): Patient =>
    storedRecord({ ...details, id: nhsNumber, identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }] }, 1);
  // Nothing is stored that PDS would not return: the record conforms to Patient.yaml.
  patientConformance.assert(recordFor(details.id));
  return { details, recordFor };
}

/** A rule an update obeys, broken by a create: PDS's create code, in its words. */
const asCreateRefusal = (err: SpineError) => new SpineError(PDS_ERRORS.INVALID_CREATE, err.diagnostics?.replace('Invalid update', 'Invalid create'));

/**
 * PDS spec ("Address", "Communication"): the rules on what a record gains hold for a create, which
 * adds every item it sends (found by probing: two home addresses, a temp address without its period
 * or description, an English or `qa` language and two NHSCommunication extensions were all stored).
 * Their value errors (MISSING_VALUE, INVALID_VALUE) stand; a broken rule is INVALID_CREATE. Fields
 * are named as the request has them: its extensions, not the kept ones.
 */
function checkItemsAdded(body: CreatePatientRequest, details: Patient): void {
  try {
    checkAddressesAdded({ resourceType: 'Patient', id: details.id }, details);
    checkCommunication({ resourceType: 'Patient', id: details.id }, { ...details, extension: body.extension ?? [] });
  } catch (err) {
    if (err instanceof SpineError && err.spec === PDS_ERRORS.INVALID_UPDATE) throw asCreateRefusal(err);
    throw err;
  }
}

/** The trace run before allocating: same family name, given names, date of birth and gender. */
export function duplicateCheckQuery(details: Patient): SearchQuery {
  const usual = details.name!.find((n) => n.use === 'usual')!;
  return {
    fuzzy: false, exact: false, history: false,
    family: { value: normaliseName(usual.family!) },
    given: givenTokens(usual.given).slice(0, 1).map((value) => ({ value })),
    gender: details.gender,
    birthDate: { from: details.birthDate, to: details.birthDate },
  };
}

/** What identifies a person for the duplicate check: normalised family name and date of birth. */
export function personKey(details: Patient): string {
  const usual = details.name!.find((n) => n.use === 'usual')!;
  return `${normaliseName(usual.family!)}|${details.birthDate}`;
}
