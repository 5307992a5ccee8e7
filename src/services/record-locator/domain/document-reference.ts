/**
 * The parts of a FHIR R4 DocumentReference NRL reads. Bodies reach the domain only after the spec's
 * schema has checked every present field's type, so these optional shapes are trustworthy.
 */
export interface Coding { system?: string; code?: string; display?: string }
export interface CodeableConcept { coding?: Coding[]; text?: string }
export interface Identifier { system?: string; value?: string }
export interface Reference { identifier?: Identifier; reference?: string; type?: string }

export interface DocumentReference {
  resourceType: 'DocumentReference';
  id?: string;
  meta?: { lastUpdated?: string; [key: string]: unknown };
  masterIdentifier?: Identifier;
  identifier?: Identifier[];
  status?: string;
  type?: CodeableConcept;
  category?: CodeableConcept[];
  subject?: Reference;
  date?: string;
  author?: Reference[];
  custodian?: Reference;
  relatesTo?: Array<{ code?: string; target?: Reference }>;
  content?: Array<{
    attachment?: { url?: string; [field: string]: unknown };
    extension?: Array<{ url?: string; valueCodeableConcept?: CodeableConcept }>;
    [field: string]: unknown;
  }>;
  context?: { related?: Reference[] };
  [field: string]: unknown;
}

/** `system|code` of the pointer's type (its first coding), as permissions name types. */
export function pointerTypeOf(pointer: DocumentReference): string | undefined {
  const coding = pointer.type?.coding?.[0];
  return coding?.system !== undefined && coding.code !== undefined ? `${coding.system}|${coding.code}` : undefined;
}

export function categoryOf(pointer: DocumentReference): string | undefined {
  const coding = pointer.category?.[0]?.coding?.[0];
  return coding?.system !== undefined && coding.code !== undefined ? `${coding.system}|${coding.code}` : undefined;
}

export const nhsNumberOf = (pointer: DocumentReference) => pointer.subject?.identifier?.value;
export const custodianOf = (pointer: DocumentReference) => pointer.custodian?.identifier?.value;

/** The producer part of a pointer id: what comes before the first `-` (`Y05868` or `Y05868.EXT`). */
export const producerIdOf = (id: string) => id.split('-', 1)[0]!;
