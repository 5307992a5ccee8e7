import { NHS_NUMBER_SYSTEM } from '../fhir-types.js';

/**
 * A patient's European Health Insurance Card as PDS holds it (`Coverage.yaml`): the card number
 * and issuing country (`identifier`), the institution (`payor`), the personal id (`beneficiary`)
 * and the expiry date (`period.end`).
 */
export interface Coverage {
  resourceType: 'Coverage';
  status: 'active';
  subscriber: PatientReference;
  identifier: Array<{ value: string; assigner: { identifier: { system: string; value: string }; display?: string } }>;
  payor: Array<{ identifier: { value: string } }>;
  beneficiary: { identifier: { value: string }; type?: 'Patient' };
  period: { end: string };
}

interface PatientReference { identifier: { system: string; value: string }; type?: 'Patient' }

/** The fields a request body may carry, already checked against `Coverage.yaml` at the door. */
export type CoverageBody = Omit<Coverage, 'resourceType' | 'subscriber'> & { subscriber: { identifier: { value: string } } };

/** FHIR Reference.type: PDS itself marks subscriber and beneficiary as Patient references. */
const typeOf = (reference: object): { type?: 'Patient' } =>
  ((reference as { type?: unknown }).type === 'Patient' ? { type: 'Patient' } : {});

/**
 * The Coverage to store for a patient: the fields `Coverage.yaml` defines, in its order, and no
 * others (the schema does not close its objects, but only what it describes is kept). The
 * subscriber is the patient the record belongs to (the survivor when a superseded number was sent).
 */
export function coverageFor(body: CoverageBody, nhsNumber: string): Coverage {
  return {
    resourceType: 'Coverage',
    status: body.status,
    subscriber: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber }, ...typeOf(body.subscriber) },
    identifier: body.identifier.map((card) => ({
      value: card.value,
      assigner: {
        identifier: { system: card.assigner.identifier.system, value: card.assigner.identifier.value },
        ...(card.assigner.display === undefined ? {} : { display: card.assigner.display }),
      },
    })),
    payor: body.payor.map((payor) => ({ identifier: { value: payor.identifier.value } })),
    beneficiary: { identifier: { value: body.beneficiary.identifier.value }, ...typeOf(body.beneficiary) },
    period: { end: body.period.end },
  };
}
