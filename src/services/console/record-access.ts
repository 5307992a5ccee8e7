import type { ChainedRecord } from '../audit/api.js';

/** What an audit action means for the patient whose record it touched, in plain words. */
const ACTION_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^patient\.read$/, 'looked at the record'],
  [/^patient\.search$/, 'found the record in a search'],
  [/^patient\.(write|update|patch)$/, 'changed the record'],
  [/^patient\.create$/, 'registered the patient'],
  [/^coverage\./, 'looked at the patient\'s European Health Insurance Card details'],
  [/^audit\./, 'looked at who has accessed the record'],
  [/^console\.audit\./, 'looked at who has accessed the record'],
  [/^console\.record-access\./, 'looked at who has accessed the record'],
  [/^(record-locator|pointer|nrl)\./, 'looked at where the patient\'s records are held'],
  [/^console\.pointers\./, 'looked at where the patient\'s records are held'],
  [/^console\.records\./, 'looked at the patient\'s prescriptions and where their records are held'],
  [/^prescription\./, 'looked at or changed the patient\'s prescriptions'],
  [/^access\.denied$/, 'tried to see the record and was refused'],
  [/^console\.access\.denied$/, 'tried to see the record and was refused'],
];

export function actionInWords(action: string, outcome: string): string {
  const words = ACTION_WORDS.find(([pattern]) => pattern.test(action))?.[1] ?? `did "${action}"`;
  return outcome === 'denied' && !words.includes('refused') ? `${words} (refused)` : outcome === 'failure' ? `${words} (failed)` : words;
}

export interface RecordAccess {
  when: string;
  /** The patient themself (signed in to the console with NHS login). */
  byPatient: boolean;
  organisation: string;
  role: string;
  what: string;
  system: string;
}

/** One access in plain words: when, which organisation, which role, what was done, through what. */
export function describeAccess(record: ChainedRecord, names: { organisation(ods: string): string | undefined; role(code: string): string | undefined }): RecordAccess {
  const ods = record.odsCode ?? '';
  const organisationName = ods ? names.organisation(ods) : undefined;
  const role = record.roleCode ? names.role(record.roleCode) ?? record.roleCode : 'a computer system acting on its own';
  return {
    when: record.recordedAt,
    byPatient: record.roleCode === 'patient',
    organisation: ods ? (organisationName ? `${organisationName} (${ods})` : ods) : 'unknown',
    role,
    what: actionInWords(record.action, record.outcome),
    system: record.appName ?? '',
  };
}
