import { isValidNhsNumber } from '../../../platform/nhs-number.js';
import { NRL_ERRORS, type NrlIssue } from '../errors.js';
import { categoryOf, pointerTypeOf, type DocumentReference } from './document-reference.js';
import { CATEGORY_SYSTEM, RECORD_CATEGORIES, TYPE_CATEGORY } from './record-types.js';

/**
 * NRL's checks of a producer's DocumentReference beyond its schema, in NRLF's order and words
 * (NRLF DocumentReferenceValidator). Returns every issue found; an empty list means valid.
 */
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const ASID_SYSTEM = 'https://fhir.nhs.uk/Id/nhsSpineASID';
const REQUIRED_FIELDS = ['custodian', 'id', 'type', 'status', 'subject', 'category'] as const;
const RELATES_TO_CODES = ['replaces', 'transforms', 'signs', 'appends', 'incorporates', 'summarizes'];
const STABILITY_SYSTEM = 'https://fhir.nhs.uk/England/CodeSystem/England-NRLContentStability';
const STABILITY_URL = 'https://fhir.nhs.uk/England/StructureDefinition/Extension-England-ContentStability';

class Stop extends Error {}

/**
 * Absent as NRLF's `not getattr(model, field, None)` finds it: no value, an empty string or an empty
 * list. An empty object is there: NRLF tests parsed models, and an empty Reference or Identifier
 * is a model (so `custodian: {}` is "Custodian must have an identifier", not a missing field).
 */
const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

export function validatePointer(pointer: DocumentReference): NrlIssue[] {
  const issues: NrlIssue[] = [];
  const add = (spec: NrlIssue['spec'], diagnostics: string, expression?: string) => { issues.push({ spec, diagnostics, expression }); };
  try {
    for (const field of REQUIRED_FIELDS) {
      if (isEmpty(pointer[field])) add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED, `The required field '${field}' is missing`, field);
    }
    if (issues.length) throw new Stop();
    identifiers(pointer, add);
    relatesTo(pointer, add);
    sspAsid(pointer, add);
    category(pointer, add);
    if (pointer.content?.[0]?.extension) contentExtension(pointer, add);
    attachmentUrls(pointer, add);
    if (issues.length === 0) typeAndCategoryMatch(pointer, add);
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  return issues;
}

type Add = (spec: NrlIssue['spec'], diagnostics: string, expression?: string) => void;

function identifiers(pointer: DocumentReference, add: Add) {
  const custodian = pointer.custodian?.identifier;
  if (isEmpty(custodian)) {
    add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED, 'Custodian must have an identifier', 'custodian.identifier');
    throw new Stop();
  }
  const subject = pointer.subject?.identifier;
  if (isEmpty(subject)) {
    add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED, 'Subject must have an identifier', 'subject.identifier');
    throw new Stop();
  }
  if (custodian!.system !== ODS_SYSTEM) {
    add(NRL_ERRORS.INVALID_IDENTIFIER_SYSTEM,
      `Provided custodian identifier system is not the ODS system (expected: '${ODS_SYSTEM}')`, 'custodian.identifier.system');
  }
  if (subject!.system !== NHS_NUMBER_SYSTEM) {
    add(NRL_ERRORS.INVALID_IDENTIFIER_SYSTEM,
      `Provided subject identifier system is not the NHS number system (expected '${NHS_NUMBER_SYSTEM}')`, 'subject.identifier.system');
  } else if (!isValidNhsNumber(subject!.value ?? '')) {
    // NRLF answers a 500 here (its known bug NRL-765); the code it meant is INVALID_NHS_NUMBER.
    add(NRL_ERRORS.INVALID_NHS_NUMBER, 'The subject identifier value is not a valid NHS number', 'subject.identifier.value');
  }
}

function relatesTo(pointer: DocumentReference, add: Add) {
  (pointer.relatesTo ?? []).forEach((relation, index) => {
    if (!RELATES_TO_CODES.includes(relation.code ?? '')) {
      add(NRL_ERRORS.INVALID_CODE_VALUE, `Invalid relatesTo code: ${relation.code}`, `relatesTo[${index}].code`);
      return;
    }
    if (relation.code === 'replaces' && !relation.target?.identifier?.value) {
      add(NRL_ERRORS.INVALID_IDENTIFIER_VALUE_REQUIRED, "relatesTo code 'replaces' must have a target identifier",
        `relatesTo[${index}].target.identifier.value`);
    }
  });
}

function sspAsid(pointer: DocumentReference, add: Add) {
  const sspContent = (pointer.content ?? []).some((content) => (content.attachment?.url ?? '').startsWith('ssp://'));
  const related = pointer.context?.related;
  const asids = (related ?? []).map((reference, index) => ({ reference, index }))
    .filter(({ reference }) => reference.identifier?.system === ASID_SYSTEM);
  if (asids.length > 1) {
    add(NRL_ERRORS.INVALID_RESOURCE,
      'Multiple ASID identifiers provided. Only a single valid ASID identifier can be provided in the context.related.', 'context.related');
    return;
  }
  if (asids.length === 1) {
    const { reference, index } = asids[0]!;
    const value = reference.identifier?.value ?? '';
    if (!/^\d{12}$/.test(value)) {
      add(NRL_ERRORS.INVALID_IDENTIFIER_VALUE_VALUE,
        `Invalid ASID value '${value}'. A single ASID consisting of 12 digits can be provided in the context.related field.`,
        `context.related[${index}].identifier.value`);
    }
    return;
  }
  if (!sspContent) return;
  if (isEmpty(related)) {
    add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED,
      'Missing context.related. It must be provided and contain a single valid ASID identifier when content contains an SSP URL', 'context.related');
  } else {
    add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED,
      'Missing ASID identifier. context.related must contain a single valid ASID identifier when content contains an SSP URL', 'context.related');
  }
}

function category(pointer: DocumentReference, add: Add) {
  const categories = pointer.category ?? [];
  if (categories.length > 1) {
    add(NRL_ERRORS.INVALID_RESOURCE, `Invalid category length: ${categories.length} Category must only contain a single value`, 'category');
    return;
  }
  const codings = categories[0]?.coding ?? [];
  if (codings.length !== 1) {
    add(NRL_ERRORS.INVALID_RESOURCE,
      `Invalid category coding length: ${codings.length} Category Coding must only contain a single value`, 'category[0].coding');
    return;
  }
  const coding = codings[0]!;
  if (coding.system !== CATEGORY_SYSTEM) {
    add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
      `Invalid category system: ${coding.system} Category system must be '${CATEGORY_SYSTEM}'`, 'category[0].coding[0].system');
    return;
  }
  const display = RECORD_CATEGORIES.get(`${CATEGORY_SYSTEM}|${coding.code}`);
  if (display === undefined) {
    add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
      `Invalid category code: ${coding.code} Category must be a member of the England-NRLRecordCategory value set (https://fhir.nhs.uk/England/CodeSystem/England-NRLRecordCategory)`,
      'category[0].coding[0].code');
    return;
  }
  if (coding.display !== display) {
    add(NRL_ERRORS.INVALID_RESOURCE_VALUE, `category code '${coding.code}' must have a display value of '${display}'`, 'category[0].coding[0].display');
  }
}

function contentExtension(pointer: DocumentReference, add: Add) {
  for (const [i, content] of (pointer.content ?? []).entries()) {
    const extensions = content.extension ?? [];
    if (extensions.length === 0) continue;
    if (extensions.length > 1) {
      add(NRL_ERRORS.INVALID_RESOURCE, `Invalid content extension length: ${extensions.length} Extension must only contain a single value`, `content[${i}].extension`);
      return;
    }
    const extension = extensions[0]!;
    const coding = extension.valueCodeableConcept?.coding?.[0];
    if (!coding) {
      add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED,
        `Missing content[${i}].extension[0].valueCodeableConcept.coding, extension must have at least one coding.`,
        `content[${i}].extension.valueCodeableConcept.coding`);
      return;
    }
    const at = `content[${i}].extension[0]`;
    if (coding.system !== STABILITY_SYSTEM) {
      add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
        `Invalid content extension system: ${coding.system} Extension system must be '${STABILITY_SYSTEM}'`, `${at}.valueCodeableConcept.coding[0].system`);
      return;
    }
    if (coding.code !== 'static' && coding.code !== 'dynamic') {
      add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
        `Invalid content extension code: ${coding.code} Extension code must be 'static' or 'dynamic'`, `${at}.valueCodeableConcept.coding[0].code`);
      return;
    }
    if (coding.code !== (coding.display ?? '').toLowerCase()) {
      add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
        `Invalid content extension display: ${coding.display} Extension display must be the same as code either 'static' or 'dynamic'`,
        `${at}.valueCodeableConcept.coding[0].display`);
      return;
    }
    if (extension.url !== STABILITY_URL) {
      add(NRL_ERRORS.INVALID_RESOURCE_VALUE, `Invalid content extension url: ${extension.url} Extension url must be '${STABILITY_URL}'`, `${at}.url`);
      return;
    }
  }
}

/**
 * Schemes an `attachment.url` may not have: OpenSpine's own rule (the spec's pattern is `\S*`, and
 * NRLF has none). A consumer's system shows a pointer's url as a link to the record at its custodian;
 * these are run or rendered by the browser from the url itself (script, or a document carried in it),
 * never fetched from the custodian. Every url of the spec's examples and test pointers is https or
 * ssp (test_data: one ssp://, the rest https://; the only http:// urls there are DoS service ids,
 * not attachments), so refusing these refuses none of them.
 */
export const REFUSED_URL_SCHEMES: readonly string[] = ['javascript', 'vbscript', 'data'];

/**
 * A url's scheme, lower case, as a browser reads it: by the WHATWG URL parser (Node's `URL`), which
 * strips leading and trailing controls and spaces, drops tabs and newlines anywhere and folds case,
 * so `\u0001JavaScript:` is `javascript`. None for a url it cannot parse (no scheme: relative).
 */
export function urlScheme(url: string): string | undefined {
  try {
    return new URL(url).protocol.slice(0, -1);
  } catch {
    return undefined;
  }
}

/**
 * Every content item locates its record: a pointer is its url. The spec's model leaves
 * `attachment.url` optional, but NRLF reads it unguarded (its SSP check calls `url.startswith`, a
 * 500 for a pointer without one), so none was ever stored there; here one without a url, or with
 * an empty one (FHIR has no empty strings), was stored and served to consumers as a pointer to nothing.
 */
function attachmentUrls(pointer: DocumentReference, add: Add) {
  (pointer.content ?? []).forEach((content, i) => {
    const url = content.attachment?.url;
    if (url === undefined || url === '') {
      add(NRL_ERRORS.INVALID_RESOURCE_REQUIRED, `The required field 'content[${i}].attachment.url' is missing`, `content[${i}].attachment.url`);
      return;
    }
    const scheme = typeof url === 'string' ? urlScheme(url) : undefined;
    if (scheme !== undefined && REFUSED_URL_SCHEMES.includes(scheme)) {
      add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
        `Invalid content attachment url scheme: '${scheme}' Attachment url must locate the record at its custodian (not ${REFUSED_URL_SCHEMES.map((s) => `'${s}:'`).join(', ')})`,
        `content[${i}].attachment.url`);
    }
  });
}

/** One type coding, and the category its type belongs to (NRLF's type-category map). */
function typeAndCategoryMatch(pointer: DocumentReference, add: Add) {
  const codings = pointer.type?.coding ?? [];
  if (codings.length !== 1) {
    add(NRL_ERRORS.INVALID_RESOURCE, `Invalid type coding length: ${codings.length} Type Coding must only contain a single value`, 'type.coding');
    return;
  }
  const type = pointerTypeOf(pointer);
  const expected = type === undefined ? undefined : TYPE_CATEGORY.get(type);
  if (expected === undefined) return; // an unknown type is refused by the permission check: 403 AUTHOR_CREDENTIALS_ERROR
  const given = categoryOf(pointer);
  if (given !== expected) {
    add(NRL_ERRORS.INVALID_RESOURCE_VALUE,
      `The Category code of the provided document '${given}' must match the allowed category for pointer type '${type}' with a category value of '${expected}'`,
      'category.coding[0].code');
  }
}
