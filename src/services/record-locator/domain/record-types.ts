import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The NRL record type and category value sets, read from NHS England's files (spec/nhs/nrl/resources/fhir). */
const VALUE_SETS = fileURLToPath(new URL('../../../../spec/nhs/nrl/resources/fhir/', import.meta.url));

interface ValueSetFile {
  compose: { include: Array<{ system: string; concept: Array<{ code: string; display: string }> }> };
}

function readValueSet(file: string): Map<string, string> {
  const valueSet = JSON.parse(readFileSync(VALUE_SETS + file, 'utf8')) as ValueSetFile;
  const codes = new Map<string, string>();
  for (const include of valueSet.compose.include) {
    for (const concept of include.concept) codes.set(`${include.system}|${concept.code}`, concept.display);
  }
  return codes;
}

/** `system|code` → display, for every NRL record type (NRLF-RecordType-ValueSet.json). */
export const RECORD_TYPES: ReadonlyMap<string, string> = readValueSet('NRLF-RecordType-ValueSet.json');
/** `system|code` → display, for every NRL record category (NRLF-RecordCategory-ValueSet.json). */
export const RECORD_CATEGORIES: ReadonlyMap<string, string> = readValueSet('NRLF-RecordCategory-ValueSet.json');

const SNOMED = 'http://snomed.info/sct';
export const CATEGORY_SYSTEM = SNOMED;
const CARE_PLAN = `${SNOMED}|734163000`;
const OBSERVATIONS = `${SNOMED}|1102421000000108`;
const CLINICAL_NOTE = `${SNOMED}|823651000000106`;
const DIAGNOSTIC_STUDIES_REPORT = `${SNOMED}|721981007`;

/**
 * The category each record type belongs to (NRLF's type-to-category map): a producer's pointer
 * must carry its type's category. Every type in the value set has exactly one.
 */
export const TYPE_CATEGORY: ReadonlyMap<string, string> = new Map([
  [`${SNOMED}|736253002`, CARE_PLAN], // Mental health crisis plan
  [`${SNOMED}|887701000000100`, CARE_PLAN], // Emergency health care plan
  [`${SNOMED}|861421000000109`, CARE_PLAN], // End of life care coordination summary
  [`${SNOMED}|1382601000000107`, CARE_PLAN], // ReSPECT form
  [`${SNOMED}|325691000000100`, CARE_PLAN], // Contingency plan
  [`${SNOMED}|736373009`, CARE_PLAN], // End of life care plan
  [`${SNOMED}|736366004`, CARE_PLAN], // Advanced care plan
  [`${SNOMED}|735324008`, CARE_PLAN], // Treatment escalation plan
  [`${SNOMED}|2181441000000107`, CARE_PLAN], // Personalised care and support plan
  [`${SNOMED}|1363501000000100`, OBSERVATIONS], // NEWS2 chart
  [`${SNOMED}|16521000000101`, CLINICAL_NOTE], // Lloyd George record folder
  [`${SNOMED}|824321000000109`, CLINICAL_NOTE], // Summary record
  ['https://nicip.nhs.uk|MAULR', DIAGNOSTIC_STUDIES_REPORT], // MRA Upper Limb Rt
  ['https://nicip.nhs.uk|MAXIB', DIAGNOSTIC_STUDIES_REPORT], // MRI Axilla Both
]);

export const isRecordType = (pointerType: string) => RECORD_TYPES.has(pointerType);
