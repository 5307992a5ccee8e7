import { SYSTEMS, asArray, identifierValue, isObject, resolve, resourcesOf, type Entry, type Json } from '../fhir.js';
import { OID, firstCoding, str } from './datatypes.js';
import { el, type XmlElement } from './xml.js';

/**
 * One MedicationRequest as an HL7 V3 `pertinentLineItem`: the item's id, the medicine, the
 * quantity, the prescriber's endorsements, the additional instructions and the dosage
 * instructions, in that order.
 */
const ENDORSEMENT = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionEndorsement';
const CONTROLLED_DRUG = 'https://fhir.nhs.uk/StructureDefinition/Extension-DM-ControlledDrug';

const extensions = (resource: Json, url: string) => asArray(resource.extension).filter(isObject).filter((e) => e.url === url);
const separatable = () => el('seperatableInd', { value: 'false' });
const annotation = (code: string) => el('code', { code, codeSystem: OID.annotationType });

function medicationCoding(entries: Entry[], request: Json): Json | undefined {
  if (isObject(request.medicationCodeableConcept)) return firstCoding(request.medicationCodeableConcept);
  const medication = resolve(entries, request.medicationReference);
  return medication ? firstCoding(medication.code) : undefined;
}

function quantity(request: Json): XmlElement {
  const dispense = isObject(request.dispenseRequest) ? request.dispenseRequest : {};
  const q = isObject(dispense.quantity) ? dispense.quantity : {};
  const value = typeof q.value === 'number' ? String(q.value) : undefined;
  return el('quantity', { unit: '1', value },
    el('translation', { code: str(q.code), codeSystem: OID.snomed, displayName: str(q.unit), value }));
}

/**
 * The dosage text: each instruction's `text`; instructions of one `sequence` run together
 * (", and "), one sequence after another (", then "), as in the concurrent and consecutive
 * dosage examples.
 */
function dosageText(request: Json): string {
  const bySequence = new Map<number, string[]>();
  for (const dosage of asArray(request.dosageInstruction).filter(isObject)) {
    const sequence = typeof dosage.sequence === 'number' ? dosage.sequence : 0;
    const texts = bySequence.get(sequence) ?? [];
    if (typeof dosage.text === 'string') texts.push(dosage.text);
    bySequence.set(sequence, texts);
  }
  return [...bySequence].sort(([a], [b]) => a - b).map(([, texts]) => texts.join(', and ')).join(', then ');
}

/**
 * What the prescription tells the patient, put on its first item only: the repeat medication list
 * (`<medication>`) and the messages to the patient (`<patientInfo>`) of the bundle's
 * CommunicationRequest.
 */
export function patientInstructions(entries: Entry[]): string {
  const medications: string[] = [];
  const messages: string[] = [];
  for (const request of resourcesOf(entries, 'CommunicationRequest')) {
    for (const payload of asArray(request.payload).filter(isObject)) {
      if (typeof payload.contentString === 'string') messages.push(payload.contentString);
      const list = resolve(entries, payload.contentReference);
      if (list?.resourceType === 'List') {
        for (const entry of asArray(list.entry).filter(isObject)) {
          const display = isObject(entry.item) ? str(entry.item.display) : undefined;
          if (display !== undefined) medications.push(display);
        }
      }
    }
  }
  return medications.map((m) => `<medication>${m}</medication>`).join('') + messages.map((m) => `<patientInfo>${m}</patientInfo>`).join('');
}

/** The item's own additional instructions, a line each: a controlled drug's quantity in words ("CD: …"), then its notes. */
function itemInstructions(request: Json): string {
  const words = extensions(request, CONTROLLED_DRUG).flatMap((e) => asArray(e.extension).filter(isObject))
    .find((e) => e.url === 'quantityWords')?.valueString;
  const notes = asArray(request.note).filter(isObject).map((n) => n.text).filter((t): t is string => typeof t === 'string');
  return [...(typeof words === 'string' ? [`CD: ${words}`] : []), ...notes].join('\n');
}

export interface LineItemContext {
  entries: Entry[];
  /** Repeat prescribing or repeat dispensing: every item says how many issues it is for. */
  repeats: boolean;
  /** The prescription's patient instructions, given on its first item. */
  patientInstructions?: string;
}

export function lineItem(request: Json, context: LineItemContext): XmlElement {
  const coding = medicationCoding(context.entries, request);
  const dispense = isObject(request.dispenseRequest) ? request.dispenseRequest : {};
  const allowed = typeof dispense.numberOfRepeatsAllowed === 'number' ? dispense.numberOfRepeatsAllowed : 0;
  const additional = (context.patientInstructions ?? '') + itemInstructions(request);
  const dosage = dosageText(request);
  const endorsements = extensions(request, ENDORSEMENT).map((e) => str(firstCoding(e.valueCodeableConcept)?.code));
  return el('pertinentLineItem', { classCode: 'SBADM', moodCode: 'RQO' },
    el('id', { root: identifierValue(request.identifier, SYSTEMS.orderItemNumber)?.toUpperCase() }),
    el('code', { code: '225426007', codeSystem: OID.snomed, displayName: 'Administration of therapeutic substance (procedure)' }),
    el('effectiveTime', { nullFlavor: 'NA' }),
    // The translations the examples' prepare responses were made from give the issues' `high` only.
    context.repeats ? el('repeatNumber', {}, el('high', { value: String(allowed + 1) })) : undefined,
    el('product', { contextControlCode: 'OP', typeCode: 'PRD' },
      el('manufacturedProduct', { classCode: 'MANU' },
        el('manufacturedRequestedMaterial', { classCode: 'MMAT', determinerCode: 'KIND' },
          el('code', { code: str(coding?.code), codeSystem: OID.snomed, displayName: str(coding?.display) })))),
    el('component', { typeCode: 'COMP' },
      separatable(),
      el('lineItemQuantity', { classCode: 'SPLY', moodCode: 'RQO' },
        el('code', { code: '373784005', codeSystem: OID.snomed, displayName: 'Dispensing medication (procedure)' }),
        quantity(request))),
    ...endorsements.map((code) => el('pertinentInformation3', { contextConductionInd: 'true', typeCode: 'PERT' },
      separatable(),
      el('pertinentPrescriberEndorsement', { classCode: 'OBS', moodCode: 'EVN' },
        annotation('PE'), el('value', { code, codeSystem: OID.prescriptionAnnotation })))),
    additional === '' ? undefined : el('pertinentInformation1', { contextConductionInd: 'true', typeCode: 'PERT' },
      separatable(),
      el('pertinentAdditionalInstructions', { classCode: 'OBS', moodCode: 'EVN' }, annotation('AI'), el('value', {}, additional))),
    dosage === '' ? undefined : el('pertinentInformation2', { contextConductionInd: 'true', typeCode: 'PERT' },
      separatable(),
      el('pertinentDosageInstructions', { classCode: 'OBS', moodCode: 'EVN' }, annotation('DI'), el('value', {}, dosage))));
}
