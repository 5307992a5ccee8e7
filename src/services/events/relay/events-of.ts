import type { DemographicsApi } from '../../demographics/api.js';
import type { DirectoryApi } from '../../directory/api.js';
import type { OutboxRow } from '../store/outbox-reads.js';
import { EPS_PREFIX, PUBLISHED_MNS_EVENT, PUBLISHED_NEMS_EVENT, spineEventType } from '../domain/event-types.js';
import { derivedUuid, nemsCodeOf, pdsEventBundle, type PdsEventKind } from '../domain/nems-bundle.js';
import { toFhirXml } from '../domain/fhir-xml.js';
import type { PatientFacts } from '../domain/matching.js';
import type { CloudEvent } from '../domain/mns-signal.js';

/** An outbox row as subscribers see it: its NEMS form (a Bundle and the facts NEMS matches on) and its MNS form. */
export interface RoutableEvent {
  outboxId: number;
  eventId: string;
  time: Date;
  nhsNumber?: string;
  nems?: { code: string; xml: string; facts: PatientFacts };
  mns?: CloudEvent;
  /**
   * Only subscriptions owned by these organisations (ODS codes, upper case) may hear of it: an
   * event about an organisation's own traffic rather than a patient (a MESH message of its mailbox).
   */
  audienceOds?: string[];
}

export interface EventSources {
  demographics: DemographicsApi;
  directory: DirectoryApi;
  /** `<publicBaseUrl>`: MNS `dataref`s point at the Spine's own APIs. */
  baseUrl: string;
  spineAsid: string;
}

const PDS_KINDS: Record<string, PdsEventKind> = {
  'pds-change-of-gp': 'change-of-gp',
  'pds-death-notification': 'death-notification',
  'pds-change-of-address': 'change-of-address',
  'pds-new-patient': 'birth-notification',
  'pds-record-change': 'record-change',
};

/** A record created within this long of the birth date is a birth notification (NEMS: PDS birth events). */
const BIRTH_WINDOW_MS = 28 * 24 * 3600_000;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Every code a subscriber could name to hear of an outbox row, read from the row alone (no look-up):
 * what `routableEvent` would make of it carries no other. A round routes only the rows some
 * subscription names, so an event nobody subscribes to costs no look-up of its patient.
 */
export function possibleCodes(row: OutboxRow): string[] {
  if (row.eventType === PUBLISHED_NEMS_EVENT) return typeof row.payload.code === 'string' ? [row.payload.code] : [];
  if (row.eventType === PUBLISHED_MNS_EVENT) {
    const type = (row.payload as { event?: { type?: unknown } }).event?.type;
    return typeof type === 'string' ? [type] : [];
  }
  const type = spineEventType(row.eventType);
  if (!type) return [];
  return PDS_KINDS[row.eventType] ? [type.nems!, type.mns] : [type.mns];
}

/**
 * What subscribers may hear of an outbox row; undefined when nobody may (a row of a kind no
 * subscriber can name, or a patient flagged sensitive (S) or invalidated (I): NEMS sends no events
 * about them, and neither does MNS here).
 */
export async function routableEvent(row: OutboxRow, sources: EventSources): Promise<RoutableEvent | undefined> {
  const base = { outboxId: row.id, time: row.createdAt };
  if (row.eventType === PUBLISHED_NEMS_EVENT) {
    const p = row.payload as { eventId: string; code: string; xml: string; nhsNumber?: string; birthDate?: string };
    const record = p.nhsNumber ? await sources.demographics.currentRecord(p.nhsNumber) : undefined;
    if (record && (record.restricted || record.status === 'invalidated')) return undefined;
    const gp = record?.patient?.generalPractitioner?.[0]?.identifier?.value;
    const facts = await factsFor({ nhsNumber: p.nhsNumber, birthDate: p.birthDate ?? record?.patient?.birthDate, gpOds: gp, postcodes: postcodesOf(record?.patient) }, sources);
    return { ...base, eventId: p.eventId, nhsNumber: p.nhsNumber, nems: { code: p.code, xml: p.xml, facts } };
  }
  if (row.eventType === PUBLISHED_MNS_EVENT) {
    const event = (row.payload as { event: CloudEvent }).event;
    if (event.subject) {
      const flags = await sources.demographics.recordFlags(event.subject);
      if (flags.restricted || flags.status === 'invalidated') return undefined;
    }
    return { ...base, eventId: event.id, nhsNumber: event.subject, mns: event };
  }
  const type = spineEventType(row.eventType);
  if (!type) return undefined;
  const eventId = derivedUuid(`outbox:${row.id}:${row.createdAt.toISOString()}`);
  const time = row.createdAt.toISOString();
  const kind = PDS_KINDS[row.eventType];
  if (kind) {
    if (!row.nhsNumber) return undefined;
    const record = await sources.demographics.currentRecord(row.nhsNumber);
    if (!record.patient || record.restricted || record.status !== 'active') return undefined;
    const patient = record.patient;
    if (kind === 'birth-notification' && !(patient.birthDate && row.createdAt.getTime() - Date.parse(patient.birthDate) <= BIRTH_WINDOW_MS)) return undefined;
    const gp = patient.generalPractitioner?.[0]?.identifier?.value;
    const previousGp = str(row.payload.previousGp);
    const previousAddress = (row.payload.previousAddress ?? undefined) as Record<string, unknown> | undefined;
    const bundle = pdsEventBundle({ kind, eventId, at: row.createdAt, patient, previousGp, previousAddress, spineAsid: sources.spineAsid });
    const facts = await factsFor({
      // A birth notification without the mother's NHS number reaches generic subscribers only.
      nhsNumber: kind === 'birth-notification' ? undefined : patient.id,
      birthDate: patient.birthDate, gpOds: gp, previousGpOds: previousGp,
      postcodes: [...postcodesOf(patient), ...(typeof previousAddress?.postalCode === 'string' ? [previousAddress.postalCode] : [])],
    }, sources);
    return {
      ...base, eventId, nhsNumber: patient.id,
      nems: { code: nemsCodeOf(kind), xml: toFhirXml(bundle), facts },
      mns: {
        specversion: '1.0', id: eventId, source: `${sources.baseUrl}/personal-demographics/FHIR/R4`, type: type.mns, time,
        subject: patient.id, dataref: `${sources.baseUrl}/personal-demographics/FHIR/R4/Patient/${patient.id}`,
        ...(patient.meta?.versionId ? { versionid: String(patient.meta.versionId) } : {}),
        filtering: { ...(gp ? { generalpractitioner: gp } : {}), ...(previousGp ? { previousgeneralpractitioner: previousGp } : {}) },
      },
    };
  }
  if (row.nhsNumber) {
    const flags = await sources.demographics.recordFlags(row.nhsNumber);
    if (flags.restricted || flags.status === 'invalidated') return undefined;
  }
  const mns = ownCloudEvent(row, type.mns, eventId, time, sources.baseUrl);
  if (row.source === 'messaging') return { ...base, eventId, mns, audienceOds: await senderOrganisation(row, sources) };
  return { ...base, eventId, nhsNumber: row.nhsNumber, mns };
}

/**
 * Who may hear that a MESH message expired: the organisation of its sender's mailbox (as MESH's own
 * non-delivery report goes to the sender), never anyone else's; none when the mailbox is unknown.
 */
async function senderOrganisation(row: OutboxRow, sources: EventSources): Promise<string[]> {
  const sender = str(row.payload.sender);
  const mailbox = sender ? await sources.directory.getMailbox(sender) : undefined;
  return mailbox?.odsCode ? [mailbox.odsCode.toUpperCase()] : [];
}

/** OpenSpine's own event types as CloudEvents: `dataref` points at the resource, `filtering` at what a subscriber may filter on. */
function ownCloudEvent(row: OutboxRow, type: string, id: string, time: string, baseUrl: string): CloudEvent {
  const p = row.payload;
  const event: CloudEvent = { specversion: '1.0', id, source: `${baseUrl}/${row.source}`, type, time, ...(row.nhsNumber ? { subject: row.nhsNumber } : {}) };
  if (row.source === 'record-locator') {
    const pointerId = str(p.id);
    return { ...event, source: `${baseUrl}/record-locator`, ...(pointerId ? { dataref: `${baseUrl}/record-locator/consumer/FHIR/R4/DocumentReference/${pointerId}` } : {}),
      filtering: Object.fromEntries(Object.entries({ custodian: str(p.custodian), type: str(p.type) }).filter(([, v]) => v !== undefined)) };
  }
  if (row.source === 'prescriptions') {
    // dataref: the EPS tracking search for the prescription; filtering: what a pharmacy or prescriber selects on.
    const shortFormId = str(p.shortFormId);
    const transition = row.eventType.startsWith(EPS_PREFIX) ? row.eventType.slice(EPS_PREFIX.length) : undefined;
    return { ...event, source: `${baseUrl}/fhir-prescribing/FHIR/R4`,
      ...(shortFormId ? { dataref: `${baseUrl}/fhir-prescribing/FHIR/R4/Task?focus:identifier=${encodeURIComponent(shortFormId)}` } : {}),
      filtering: defined({ transition, status: str(p.status), prescriptionid: shortFormId, dispenser: str(p.dispenser), nominatedpharmacy: str(p.nominatedPharmacy) }) };
  }
  if (row.source === 'messaging') {
    return { ...event, source: `${baseUrl}/messageexchange`, filtering: Object.fromEntries(Object.entries({ sender: str(p.sender), recipient: str(p.recipient) }).filter(([, v]) => v !== undefined)) };
  }
  return { ...event, filtering: Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) };
}

const defined = (fields: Record<string, string | undefined>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

function postcodesOf(patient: { address?: Array<{ postalCode?: string; use?: string }> } | undefined): string[] {
  return (patient?.address ?? []).filter((a) => a.use === 'home' || a.use === undefined).map((a) => a.postalCode).filter((p): p is string => typeof p === 'string');
}

type OwnFacts = Omit<PatientFacts, 'gpParents' | 'postcodeIcbs' | 'postcodeLocalAuthorities'>;

/** The facts NEMS's rules need beyond the record: the practices' parents and the postcodes' areas, from the directory. */
async function factsFor(facts: OwnFacts, sources: EventSources): Promise<PatientFacts> {
  const parents: string[] = [];
  for (const ods of [facts.gpOds, facts.previousGpOds]) {
    if (!ods) continue;
    const parent = (await sources.directory.getOrganisation(ods))?.parentOdsCode;
    if (parent) parents.push(parent.toUpperCase());
  }
  const icbs = new Set<string>();
  const localAuthorities = new Set<string>();
  for (const postcode of new Set(facts.postcodes)) {
    const areas = await sources.directory.areasOfPostcode(postcode);
    if (areas['icb-sub-location']) icbs.add(areas['icb-sub-location'].toUpperCase());
    if (areas['local-authority']) localAuthorities.add(areas['local-authority'].toUpperCase());
  }
  return { ...facts, gpParents: parents, postcodeIcbs: [...icbs], postcodeLocalAuthorities: [...localAuthorities] };
}
