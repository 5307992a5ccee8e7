import type { Patient } from '../demographics/api.js';

/** What the look-up page shows of a PDS record. A restricted record's address, contacts and GP are withheld, as PDS withholds them. */
export interface PatientSummary {
  nhsNumber: string;
  name: string;
  gender: string;
  birthDate: string;
  deceased?: string;
  address?: string;
  gp?: string;
  telecom?: string;
  restricted: boolean;
}

interface Named { use?: string; given?: string[]; family?: string; prefix?: string[]; period?: { end?: string } }

function currentName(patient: Patient): string {
  const names = (patient.name ?? []) as Named[];
  const name = names.find((n) => n.use === 'usual' && !n.period?.end) ?? names.find((n) => !n.period?.end) ?? names[0];
  if (!name) return '(no name)';
  return [...(name.prefix ?? []), ...(name.given ?? []), name.family ?? ''].filter(Boolean).join(' ');
}

export function patientSummary(patient: Patient, restricted: boolean): PatientSummary {
  const address = (patient.address ?? []).find((a) => (a as { use?: string }).use === 'home') ?? patient.address?.[0];
  const lines = address ? [...((address as { line?: string[] }).line ?? []), (address as { postalCode?: string }).postalCode].filter(Boolean).join(', ') : undefined;
  const gp = patient.generalPractitioner?.[0]?.identifier?.value;
  const telecom = (patient.telecom ?? []).map((t) => (t as { value?: string }).value).filter(Boolean).join(', ');
  return {
    nhsNumber: patient.id,
    name: currentName(patient),
    gender: patient.gender ?? 'unknown',
    birthDate: patient.birthDate ?? 'unknown',
    ...(patient.deceasedDateTime ? { deceased: patient.deceasedDateTime } : {}),
    // PDS withholds a restricted record's GP too ("the General Practice is removed"): it was shown here (found by probing).
    ...(restricted ? {} : { address: lines || undefined, telecom: telecom || undefined, ...(gp ? { gp } : {}) }),
    restricted,
  };
}
