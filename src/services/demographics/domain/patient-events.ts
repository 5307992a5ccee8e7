import type { OutboxEvent } from '../../../platform/events/outbox.js';
import type { Patient } from '../fhir-types.js';
import { deathDate, gpOdsCode, homeAddress } from './patient-fields.js';

const SOURCE = 'demographics';

/** NEMS-style events a change to a record raises: death, change of GP, change of address. */
export function eventsForChange(before: Patient, after: Patient): OutboxEvent[] {
  const events: OutboxEvent[] = [];
  const nhsNumber = after.id;
  const version = after.meta?.versionId;
  // A death recorded, changed or removed (NEMS: informal, formal, or removed 'U').
  if (deathDate(after) !== deathDate(before)) {
    events.push({ type: 'pds-death-notification', source: SOURCE, nhsNumber, payload: { nhsNumber, deceasedDateTime: after.deceasedDateTime, versionId: version } });
  }
  if (gpOdsCode(after) !== gpOdsCode(before)) {
    events.push({ type: 'pds-change-of-gp', source: SOURCE, nhsNumber, payload: { nhsNumber, previousGp: gpOdsCode(before) ?? null, gp: gpOdsCode(after) ?? null, versionId: version } });
  }
  if (JSON.stringify(homeAddress(after) ?? null) !== JSON.stringify(homeAddress(before) ?? null)) {
    events.push({ type: 'pds-change-of-address', source: SOURCE, nhsNumber, payload: { nhsNumber, previousAddress: homeAddress(before) ?? null, versionId: version } });
  }
  // Any change at all: NEMS's PDS Record Change ("re-read the record").
  events.push({ type: 'pds-record-change', source: SOURCE, nhsNumber, payload: { nhsNumber, versionId: version } });
  return events;
}

export function newPatientEvent(patient: Patient): OutboxEvent {
  return { type: 'pds-new-patient', source: SOURCE, nhsNumber: patient.id, payload: { nhsNumber: patient.id, versionId: patient.meta?.versionId } };
}
