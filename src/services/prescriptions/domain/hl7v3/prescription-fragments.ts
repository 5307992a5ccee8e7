import { PRESCRIPTION_ID_EXTENSION, asArray, isObject, resolve, resourcesOf, type Entry, type Json } from '../fhir.js';
import { authorAgentPerson } from './agent-person.js';
import { firstCoding, hl7Timestamp, str } from './datatypes.js';
import type { SignedFragments } from './fragments.js';
import { lineItem, patientInstructions } from './line-item.js';
import { recordTarget } from './patient.js';
import { el } from './xml.js';

/**
 * The fragments of a prescription order a prescriber signs, translated from its FHIR bundle as
 * EPS translates it to HL7 V3 (only what the fragments hold). `signedAt` is the signing time:
 * `$prepare`'s timestamp, and the Provenance signature's `when` on the order.
 */
const REPEAT_COURSES = new Set(['continuous', 'continuous-repeat-dispensing']);

function longFormId(request: Json | undefined): string | undefined {
  const group = request && isObject(request.groupIdentifier) ? request.groupIdentifier : undefined;
  const extension = asArray(group?.extension).filter(isObject).find((e) => e.url === PRESCRIPTION_ID_EXTENSION);
  return isObject(extension?.valueIdentifier) ? str(extension.valueIdentifier.value) : undefined;
}

export function prescriptionFragments(entries: Entry[], signedAt: string): SignedFragments {
  const requests = resourcesOf(entries, 'MedicationRequest');
  const first = requests[0];
  const role = (first && resolve(entries, first.requester)) ?? resourcesOf(entries, 'PractitionerRole')[0] ?? {};
  const patient = (first && resolve(entries, first.subject)) ?? resourcesOf(entries, 'Patient')[0] ?? {};
  // Repeat prescribing and repeat dispensing number their issues; a prescription with any acute
  // item is acute (primary-care/acute-and-repeat-prescribing: no item numbers its issues).
  const repeats = requests.length > 0 && requests.every((r) => REPEAT_COURSES.has(str(firstCoding(r.courseOfTherapyType)?.code) ?? ''));
  const instructions = patientInstructions(entries);
  return {
    time: el('time', { value: hl7Timestamp(signedAt) }),
    id: el('id', { root: longFormId(first)?.toUpperCase() }),
    agentPerson: authorAgentPerson(entries, role),
    recordTarget: recordTarget(patient),
    lineItems: requests.map((request, i) => lineItem(request, { entries, repeats, ...(i === 0 ? { patientInstructions: instructions } : {}) })),
  };
}
