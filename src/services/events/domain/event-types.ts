/**
 * The events the Spine raises itself, from the platform outbox, and what subscribers call them.
 *
 * NEMS codes and workflow ids are NHS England's (`EventType-1`, the supported-events table); MNS
 * codes are MNS's where it has one (`pds-*-2`). Where NHS England defines no event (prescription
 * status, NRL pointers, MESH expiry; a change of address or a birth on MNS) the code is
 * OpenSpine's own and starts with `openspine-`, so no client mistakes it for an NHS one.
 */
export interface SpineEventType {
  /** The `event_type` services write to the outbox. */
  outboxType: string;
  /** The MNS `eventType` (CloudEvent `type`). */
  mns: string;
  /** The NEMS `MessageHeader.event` code, when NEMS carries the event. */
  nems?: string;
  /** True when the code is OpenSpine's, not NHS England's. */
  openSpineCode: boolean;
  description: string;
}

/** EPS writes one outbox type per lifecycle transition: `eps-prescription-released`, `…-dispensed`, … */
export const EPS_PREFIX = 'eps-prescription-';

const pds = (outboxType: string, mns: string, nems: string, openSpineCode: boolean, description: string): SpineEventType =>
  ({ outboxType, mns, nems, openSpineCode, description });
const own = (outboxType: string, mns: string, description: string): SpineEventType =>
  ({ outboxType, mns, openSpineCode: true, description });

export const SPINE_EVENT_TYPES: readonly SpineEventType[] = [
  pds('pds-change-of-gp', 'pds-change-of-gp-2', 'pds-change-of-gp-1', false, 'A patient registered with a new GP practice, or was de-registered'),
  pds('pds-death-notification', 'pds-death-notification-2', 'pds-death-notification-1', false, 'A death was recorded (informal or formal) or a recorded death was removed'),
  pds('pds-change-of-address', 'openspine-pds-change-of-address-1', 'pds-change-of-address-1', true, 'The usual (home) address changed'),
  pds('pds-new-patient', 'openspine-pds-birth-notification-1', 'pds-birth-notification-1', true, 'A new record was created for a baby (born within 28 days of the record)'),
  pds('pds-record-change', 'pds-record-change-2', 'pds-record-change-1', false, 'Any change to a PDS record: re-read it from PDS'),
  own('nrl-pointer-created', 'openspine-nrl-pointer-created-1', 'An NRL pointer (DocumentReference) was created for the patient'),
  own('nrl-pointer-superseded', 'openspine-nrl-pointer-created-1', 'An NRL pointer was created and superseded earlier ones (same event type as a create)'),
  own('nrl-pointer-updated', 'openspine-nrl-pointer-updated-1', 'An NRL pointer was updated'),
  own('nrl-pointer-deleted', 'openspine-nrl-pointer-deleted-1', 'An NRL pointer was deleted'),
  own(`${EPS_PREFIX}*`, 'openspine-prescription-status-change-1', 'An electronic prescription was issued or changed status (released, dispensed, not dispensed, returned, withdrawn, cancelled, claimed…): EPS writes `eps-prescription-{transition}`'),
  own('mesh-message-expired', 'openspine-mesh-message-expired-1', 'A MESH message expired undelivered: only subscribers of the organisation of its sender\'s mailbox hear of it'),
];

/** Events published through the APIs travel in the outbox under these types. */
export const PUBLISHED_NEMS_EVENT = 'nems-event-published';
export const PUBLISHED_MNS_EVENT = 'mns-event-published';

const byOutboxType = new Map(SPINE_EVENT_TYPES.map((t) => [t.outboxType, t]));
export const spineEventType = (outboxType: string) =>
  byOutboxType.get(outboxType.startsWith(EPS_PREFIX) ? `${EPS_PREFIX}*` : outboxType);

/** Every MNS event type a subscriber may name: the Spine's own, and MNS's published catalogue. */
export const MNS_EVENT_TYPES: ReadonlySet<string> = new Set([
  ...SPINE_EVENT_TYPES.map((t) => t.mns),
  'pds-change-of-gp-1', 'pds-death-notification-1', 'nhs-number-change-1', 'nhs-number-change-2',
  'gpreg-change-gp-req-1', 'imms-vaccination-record-change-1', 'patientflags-change-1',
  'pathology-laboratory-reporting-test-result-stored-1', 'nhshco-hc-complete-1', 'pdm-resource-change-1',
  'vrs-proxy-role-created-1', 'vrs-proxy-role-changed-1', 'vrs-proxy-role-deleted-1',
]);

/** NEMS `EventType-1` (STU3-FHIR-Assets), the 54 codes a Bundle's MessageHeader.event may carry. */
export const NEMS_EVENT_CODES: ReadonlySet<string> = new Set([
  'additional-demographics-1', 'admission-details-1', 'allergies-and-adverse-reactions-1', 'assessment-scales-1', 'birth-details-1',
  'blood-spot-sample-taken-1', 'clinical-risk-factors-1', 'problem-list-1', 'discharge-details-1', 'early-years-progress-1',
  'emergency-care-attendance-1', 'examination-findings-1', 'family-history-1', 'feeding-status-1', 'vaccinations-1',
  'individual-requirements-1', 'information-and-advice-given-1', 'observations-1', 'medication-statement-1', 'developmental-skills-1',
  'newborn-hearing-1', 'parent-guardian-or-personal-comment-1', 'personal-contacts-1', 'nipe-outcome-1', 'plan-and-requested-actions-1',
  'professional-summary-1', 'professional-contacts-1', 'referral-1', 'safety-alerts-1', 'social-context-household-1', 'social-context-1',
  'educational-history-1', 'legal-information-1', 'blood-spot-card-received-1', 'blood-spot-test-outcome-1', 'medication-administration-1',
  'investigation-results-1', 'national-population-failsafe-alert-1', 'national-population-failsafe-alert-nullify-1', 'pds-change-of-gp-1',
  'pds-change-of-address-1', 'pds-birth-notification-1', 'pds-death-notification-1', 'pds-record-change-1', 'failsafe-message-gp-1',
  'failsafe-message-hvs-1', 'failsafe-message-bloodspot-outcome-1', 'failsafe-message-nipe-newborn-1', 'failsafe-message-newborn-hearing-1',
  'failsafe-message-response-gp-1', 'failsafe-message-response-hvs-1', 'failsafe-message-response-bloodspot-outcome-1',
  'failsafe-message-response-nipe-newborn-1', 'failsafe-message-response-newborn-hearing-1',
]);

/** Codes published by the Spine alone: a provider may not publish them (NEMS: PDS events come from PDS). */
export const SPINE_ONLY_NEMS_CODES: ReadonlySet<string> = new Set([
  'pds-change-of-gp-1', 'pds-change-of-address-1', 'pds-birth-notification-1', 'pds-death-notification-1', 'pds-record-change-1',
]);

/**
 * The MESH workflow id NEMS delivers each event under: the code upper-cased without hyphens
 * (`pds-change-of-gp-1` → `CHANGEOFGP_1` is the one exception table, from the supported-events page).
 */
const NEMS_WORKFLOWS: Record<string, string> = {
  'pds-change-of-gp-1': 'CHANGEOFGP_1',
  'pds-death-notification-1': 'DEATHNOTIFICATION_1',
  'pds-birth-notification-1': 'BIRTHNOTIFICATION_1',
  'pds-change-of-address-1': 'CHANGEOFADDRESS_1',
  'pds-record-change-1': 'PDSRECORDCHANGE_1',
  'blood-spot-test-outcome-1': 'BLOODSPOTTESTOUTCOME_1',
  'newborn-hearing-1': 'NEWBORNHEARING_1',
  'nipe-outcome-1': 'NIPEOUTCOME_1',
  'professional-contacts-1': 'PROFESSIONALCONTACTS_1',
  'vaccinations-1': 'VACCINATIONS_1',
};

export function nemsWorkflowId(code: string): string {
  return NEMS_WORKFLOWS[code] ?? code.replace(/-(\d+)$/, '_$1').replace(/-/g, '').toUpperCase();
}
