import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS, diagnostics } from '../errors.js';
import { NHS_NUMBER_SYSTEM, type HumanName, type Patient } from '../fhir-types.js';
import { checkPatchedRecord } from '../patch/patient-rules.js';
import type { SearchQuery } from '../search/search-query.js';
import { givenTokens, normaliseName } from './normalise.js';
import { storedRecord } from './stored-record.js';

/** Fields a POST /Patient body may carry (the NHS number, id and meta are PDS's to set). */
const CREATE_FIELDS = new Set(['resourceType', 'name', 'gender', 'birthDate', 'address', 'telecom', 'extension', 'generalPractitioner', 'multipleBirthInteger', 'contact']);
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/**
 * Validates a POST /Patient body and returns the new record's details plus a function that makes
 * the record for an allocated NHS number. PDS needs a usual name with a family name, a gender
 * and a date of birth.
 */
export function newPatientFrom(body: unknown, today: string): { details: Patient; recordFor: (nhsNumber: string) => Patient } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SpineError(PDS_ERRORS.INVALID_CREATE, 'Invalid create with error - the request body must be a Patient resource');
  }
  const input = body as Record<string, unknown>;
  const extra = Object.keys(input).find((k) => !CREATE_FIELDS.has(k));
  if (extra !== undefined) throw new SpineError(PDS_ERRORS.ADDITIONAL_PROPERTIES, diagnostics.additionalProperty(extra));
  if (input.resourceType !== undefined && input.resourceType !== 'Patient') throw new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidValue(String(input.resourceType), 'resourceType'));
  if (!Array.isArray(input.name) || input.name.length === 0) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue('name'));
  const usual = (input.name as HumanName[]).find((n) => n?.use === 'usual');
  if (!usual || typeof usual.family !== 'string' || normaliseName(usual.family).length === 0) {
    throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue('name.family'));
  }
  if (input.gender === undefined) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue('gender'));
  if (!['male', 'female', 'other', 'unknown'].includes(String(input.gender))) throw new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidValue(String(input.gender), 'gender'));
  if (input.birthDate === undefined) throw new SpineError(PDS_ERRORS.MISSING_VALUE, diagnostics.missingValue('birthDate'));
  if (typeof input.birthDate !== 'string' || !DATE.test(input.birthDate)) throw new SpineError(PDS_ERRORS.INVALID_VALUE, diagnostics.invalidValue(String(input.birthDate), 'birthDate'));

  const details = { ...input, resourceType: 'Patient', id: '0000000000' } as Patient;
  try {
    // The same record rules a PATCH obeys (one usual name, no work address, sane dates).
    checkPatchedRecord({ ...details, gender: undefined }, { ...details, gender: details.gender === 'other' ? 'unknown' : details.gender }, today);
  } catch (err) {
    if (err instanceof SpineError) throw new SpineError(PDS_ERRORS.INVALID_CREATE, err.diagnostics?.replace('Invalid update', 'Invalid create'));
    throw err;
  }
  const recordFor = (nhsNumber: string): Patient => storedRecord({
    ...details,
    id: nhsNumber,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
  }, 1);
  return { details, recordFor };
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
