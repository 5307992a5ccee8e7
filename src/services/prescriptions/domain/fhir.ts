/** Small readers over the loosely typed FHIR the door let through (types checked, presence not). */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The values, each once, in the order first seen. */
export const distinct = (values: Array<string | undefined>) => [...new Set(values)];

/** The code of a CodeableConcept's first coding. */
export const codeOf = (concept: unknown): string | undefined => {
  const coding = isObject(concept) ? asArray(concept.coding)[0] : undefined;
  return isObject(coding) && typeof coding.code === 'string' ? coding.code : undefined;
};

/**
 * A JSON value as text, for a diagnostic or a comparison. Never throws: `String()` does on an
 * object that JSON gave its own `toString` key (`{"toString": ""}`), which fast-check found.
 */
export const textOf = (v: unknown): string => (typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A client's value quoted in diagnostics: at most 64 characters of it (an identifier of megabytes is not echoed back). */
export const quoted = (value: unknown) => { const text = textOf(value); return text.length > 64 ? `${text.slice(0, 64)}…` : text; };

export const SYSTEMS = {
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  sdsUserId: 'https://fhir.nhs.uk/Id/sds-user-id',
  sdsRoleProfileId: 'https://fhir.nhs.uk/Id/sds-role-profile-id',
  prescriptionOrderNumber: 'https://fhir.nhs.uk/Id/prescription-order-number',
  prescriptionId: 'https://fhir.nhs.uk/Id/prescription',
  orderItemNumber: 'https://fhir.nhs.uk/Id/prescription-order-item-number',
  messageEvent: 'https://fhir.nhs.uk/CodeSystem/message-event',
  rfc4122: 'https://tools.ietf.org/html/rfc4122',
} as const;
export const PRESCRIPTION_ID_EXTENSION = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionId';

/** The value of the first identifier of `system` among `identifiers` (one Identifier or an array). */
export function identifierValue(identifiers: unknown, system: string): string | undefined {
  for (const identifier of asArray(identifiers)) {
    if (isObject(identifier) && identifier.system === system && typeof identifier.value === 'string') return identifier.value;
  }
  return undefined;
}

export interface Entry { fullUrl?: string; resource: Json }

export function entriesOf(bundle: Json): Entry[] {
  return asArray(bundle.entry).filter(isObject).filter((e) => isObject(e.resource))
    .map((e) => ({ fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined, resource: e.resource as Json }));
}

export const resourcesOf = (entries: Entry[], type: string) => entries.filter((e) => e.resource.resourceType === type).map((e) => e.resource);

/** The entry a reference (`urn:uuid:…` fullUrl, or `Type/id`) points to. */
export function resolve(entries: Entry[], reference: unknown): Json | undefined {
  const ref = isObject(reference) && typeof reference.reference === 'string' ? reference.reference : undefined;
  if (!ref) return undefined;
  return entries.find((e) => e.fullUrl === ref || `${textOf(e.resource.resourceType)}/${textOf(e.resource.id)}` === ref)?.resource;
}

export function messageEventOf(entries: Entry[]): string | undefined {
  const header = resourcesOf(entries, 'MessageHeader')[0];
  const coding = header && isObject(header.eventCoding) ? header.eventCoding : undefined;
  return typeof coding?.code === 'string' ? coding.code : undefined;
}

/**
 * A message Bundle's type and header: a prescribing or dispensing message (`$prepare`, `$process-message`) is a FHIR message
 * (the spec's schemas give `type` the one value `message`; every example sends it), whose first entry
 * is its MessageHeader. Anything else (or none) was taken as one: the spec's verification error, in
 * its table's words for a field of listed values ("Task.status must be one of: …"), 400 `value`.
 */
export function messageBundleProblem(bundle: Json): { diagnostics: string; expression: string } | undefined {
  if (bundle.type !== 'message') return { diagnostics: "Bundle.type must be one of: 'message'.", expression: 'Bundle.type' };
  // FHIR's message Bundle: its first entry is its one MessageHeader (every example's is). A second
  // MessageHeader (another sender, another event) was read past, the first taken; one not first was
  // taken wherever it stood (found by probing). A Bundle with none is the eventCoding's error, as before.
  const entries = entriesOf(bundle);
  const headers = entries.filter((e) => e.resource.resourceType === 'MessageHeader').length;
  if (headers > 1) return { diagnostics: `Bundle contains too many resources of type MessageHeader. Expected at most 1.`, expression: 'Bundle.entry' };
  if (headers === 1 && entries[0]?.resource.resourceType !== 'MessageHeader') {
    return { diagnostics: "The first entry of a message Bundle must be its MessageHeader.", expression: 'Bundle.entry[0].resource' };
  }
  return undefined;
}
