import { createHash } from 'node:crypto';
import type { Patient } from '../../demographics/fhir-types.js';

/**
 * PDS events in NEMS's message shape (`explore_generic_event_requirements.md` and the PDS event
 * pages, with their examples): a `message` Bundle whose first entry is the Event-MessageHeader-1,
 * with the routing demographics NEMS matches on, a Communication (the focus) about the Patient,
 * the PDS HealthcareService, and what each event adds (the previous practice's EpisodeOfCare on a
 * change of GP, the old address on a change of address, the death notification status).
 */
export type PdsEventKind = 'change-of-gp' | 'death-notification' | 'change-of-address' | 'birth-notification' | 'record-change';

export interface PdsEventInput {
  kind: PdsEventKind;
  eventId: string;
  /** When PDS made the change (the outbox row's time): `meta.lastUpdated`, NEMS's ordering key. */
  at: Date;
  patient: Patient;
  previousGp?: string | null;
  previousAddress?: Record<string, unknown> | null;
  /** Where the Spine's events say they come from (`source.endpoint`). */
  spineAsid: string;
}

const CODES: Record<PdsEventKind, { code: string; display: string }> = {
  'change-of-gp': { code: 'pds-change-of-gp-1', display: 'PDS Change of GP' },
  'death-notification': { code: 'pds-death-notification-1', display: 'PDS Death Notification' },
  'change-of-address': { code: 'pds-change-of-address-1', display: 'PDS Change of Address' },
  'birth-notification': { code: 'pds-birth-notification-1', display: 'PDS Birth Notification' },
  'record-change': { code: 'pds-record-change-1', display: 'PDS Record Change' },
};

export const nemsCodeOf = (kind: PdsEventKind) => CODES[kind].code;

/** A UUID derived from a seed: the same event renders the same ids on every attempt and replay. */
export function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const SPINE_ORG = { reference: 'https://directory.spineservices.nhs.uk/STU3/Organization/X26', display: 'NHS DIGITAL' };
const DEATH_STATUS_R4 = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus';
const DEATH_STATUS_STU3 = 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DeathNotificationStatus-1';

const officialName = (p: Patient) => {
  const name = p.name?.find((n) => n.use === 'usual') ?? p.name?.[0];
  return name ? { use: 'official', family: name.family, given: name.given } : undefined;
};

/** '1' informal, '2' formal, 'U' removed (CareConnect-DeathNotificationStatus-1). */
export function deathNotificationStatus(p: Patient): '1' | '2' | 'U' {
  if (!p.deceasedDateTime) return 'U';
  const ext = p.extension?.find((e) => e.url === DEATH_STATUS_R4) as { extension?: Array<{ url: string; valueCodeableConcept?: { coding?: Array<{ code?: string }> } }> } | undefined;
  const code = ext?.extension?.find((e) => e.url === 'deathNotificationStatus')?.valueCodeableConcept?.coding?.[0]?.code;
  return code === '1' ? '1' : '2';
}

export function pdsEventBundle(input: PdsEventInput): Record<string, unknown> {
  const { patient, eventId, at } = input;
  const id = (part: string) => derivedUuid(`${eventId}:${part}`);
  const [patientId, communicationId, serviceId, gpOrgId, episodeId] = ['patient', 'communication', 'service', 'gp', 'episode'].map(id) as [string, string, string, string, string];
  const lastUpdated = at.toISOString();
  const name = officialName(patient);
  const gp = patient.generalPractitioner?.[0]?.identifier?.value;
  const display = name ? `${name.family ?? ''}, ${(name.given ?? []).join(' ')}`.trim() : undefined;
  const code = CODES[input.kind];

  const addresses: Array<Record<string, unknown>> = [];
  const home = patient.address?.find((a) => a.use === 'home') ?? patient.address?.[0];
  if (home) addresses.push(stu3Address(home as Record<string, unknown>, 'home', input.kind === 'change-of-address' ? lastUpdated.slice(0, 10) : undefined));
  if (input.kind === 'change-of-address' && input.previousAddress) addresses.push(stu3Address(input.previousAddress, 'old'));

  const extension: Array<Record<string, unknown>> = [];
  if (input.kind === 'death-notification') {
    const status = deathNotificationStatus(patient);
    extension.push({
      url: DEATH_STATUS_STU3,
      extension: [
        { url: 'deathNotificationStatus', valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-DeathNotificationStatus-1', code: status, display: { '1': 'Informal - death notice received via an update from a local NHS Organisation such as GP or Trust', '2': 'Formal - death notice received from Registrar of Deaths', U: 'Removed' }[status] }] } },
        { url: 'systemEffectiveDate', valueDateTime: lastUpdated },
      ],
    });
  }
  const patientResource: Record<string, unknown> = {
    resourceType: 'Patient',
    id: patientId,
    meta: { versionId: patient.meta?.versionId ?? '1', profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1'] },
    ...(extension.length ? { extension } : {}),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: patient.id }],
    ...(name ? { name: [name] } : {}),
    ...(patient.gender ? { gender: patient.gender } : {}),
    ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
    ...(input.kind === 'death-notification' && patient.deceasedDateTime ? { deceasedDateTime: patient.deceasedDateTime } : {}),
    ...(addresses.length && input.kind !== 'record-change' ? { address: addresses } : {}),
    ...(gp && input.kind !== 'record-change' ? { generalPractitioner: [{ reference: `urn:uuid:${gpOrgId}` }] } : {}),
  };

  const entries: Array<Record<string, unknown>> = [
    entry(eventId, {
      resourceType: 'MessageHeader',
      id: eventId,
      meta: { versionId: patient.meta?.versionId ?? '1', lastUpdated, profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/Event-MessageHeader-1'] },
      extension: [
        {
          url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-RoutingDemographics-1',
          extension: [
            { url: 'nhsNumber', valueIdentifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: patient.id } },
            ...(name ? [{ url: 'name', valueHumanName: name }] : []),
            ...(patient.birthDate ? [{ url: 'birthDateTime', valueDateTime: patient.birthDate }] : []),
          ],
        },
        { url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-MessageEventType-1', valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/MessageEventType-1', code: 'new', display: 'New event message' }] } },
      ],
      event: { system: 'https://fhir.nhs.uk/STU3/CodeSystem/EventType-1', code: code.code, display: code.display },
      timestamp: lastUpdated,
      source: { contact: { system: 'email', value: 'openspine@localhost' }, endpoint: `urn:nhs:addressing:asid:${input.spineAsid}` },
      responsible: SPINE_ORG,
      focus: { reference: `urn:uuid:${communicationId}` },
    }),
    entry(`urn:uuid:${serviceId}`, {
      resourceType: 'HealthcareService',
      id: serviceId,
      meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-HealthcareService-1'] },
      identifier: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/EMS-HealthcareServiceType-1', value: 'PDS' }],
      providedBy: SPINE_ORG,
      type: [{ coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/EMS-HealthcareServiceType-1', code: 'PDS', display: 'Personal Demographics Service' }] }],
    }),
    entry(`urn:uuid:${communicationId}`, {
      resourceType: 'Communication',
      id: communicationId,
      meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Communication-1'] },
      status: 'completed',
      subject: { reference: `urn:uuid:${patientId}`, ...(display ? { display } : {}) },
      sent: lastUpdated.slice(0, 10),
      payload: [{ contentReference: { reference: `urn:uuid:${patientId}`, ...(display ? { display } : {}) } }],
    }),
    entry(`urn:uuid:${patientId}`, patientResource),
  ];
  if (gp && input.kind !== 'record-change') {
    entries.push(entry(`urn:uuid:${gpOrgId}`, organisation(gpOrgId, gp)));
  }
  if (input.kind === 'change-of-gp' && input.previousGp) {
    const previousId = id('previous-gp');
    entries.push(entry(`urn:uuid:${previousId}`, organisation(previousId, input.previousGp)));
    entries.push(entry(`urn:uuid:${episodeId}`, {
      resourceType: 'EpisodeOfCare',
      id: episodeId,
      meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-EpisodeOfCare-1'] },
      status: 'finished',
      type: [{ coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/EMS-PDS-PatientCareProvisionType-1', code: '1', display: 'Primary care' }] }],
      patient: { reference: `urn:uuid:${patientId}` },
      managingOrganization: { reference: `urn:uuid:${previousId}` },
      period: { end: lastUpdated.slice(0, 10) },
    }));
  }
  return {
    resourceType: 'Bundle',
    id: derivedUuid(`${eventId}:bundle`),
    meta: { profile: ['http://hl7.org/fhir/STU3/StructureDefinition/Bundle'] },
    type: 'message',
    entry: entries,
  };
}

function entry(fullUrl: string, resource: Record<string, unknown>) {
  return { fullUrl, resource };
}

function organisation(id: string, odsCode: string) {
  return {
    resourceType: 'Organization',
    id,
    meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1'] },
    identifier: [{ system: ODS, value: odsCode }],
  };
}

/** PDS lines all go into `line` (change-of-address page); the period's start marks the new address. */
function stu3Address(address: Record<string, unknown>, use: 'home' | 'old', start?: string): Record<string, unknown> {
  const lines = Array.isArray(address.line) ? address.line.filter((l): l is string => typeof l === 'string') : [];
  return {
    use,
    ...(lines.length ? { line: lines } : {}),
    ...(typeof address.postalCode === 'string' ? { postalCode: address.postalCode } : {}),
    ...(start ? { period: { start } } : {}),
  };
}
