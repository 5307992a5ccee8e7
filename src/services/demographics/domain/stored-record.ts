import { CONFIDENTIALITY_SYSTEM, type Patient } from '../fhir-types.js';

const UNRESTRICTED = { system: CONFIDENTIALITY_SYSTEM, code: 'U', display: 'unrestricted' } as const;

/**
 * The record as stored: `id` and `meta.versionId` agree with the row, and `meta.security` is always
 * present (PDS marks unrestricted records U, so clients can rely on it).
 */
export function storedRecord(patient: Patient, versionId: number): Patient {
  const security = patient.meta?.security?.length ? patient.meta.security : [{ ...UNRESTRICTED }];
  return { ...patient, meta: { ...patient.meta, versionId: String(versionId), security } };
}
