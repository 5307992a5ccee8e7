/**
 * The EPS prescription cycle as a prescribing and a dispensing system drive it, for load (the EPS
 * and mixed benches' load client, the crash suite's write load):
 * `$prepare` then the signed `$process-message` prescription-order (a GP's system, user-restricted),
 * then `Task/$release` by the short-form id, a complete dispense notification and the `Claim` (a
 * pharmacy's system, application-restricted). The bodies are NHS England's spec examples with a
 * fresh prescription id, long-form id and patient each cycle; the order is signed with the bench
 * prescriber's key (registered for the example's practitioner in the directory by the rig), as a
 * prescriber's smartcard signs the `$prepare` digest.
 */
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateShortFormId } from '../../src/services/prescriptions/domain/prescription-id.js';

type Json = Record<string, any>;

const EXAMPLES = new URL('../../spec/nhs/eps/examples/', import.meta.url);
const example = (path: string): Json => JSON.parse(readFileSync(new URL(path, EXAMPLES), 'utf8')) as Json;
const ACUTE = 'primary-care/acute/nominated-pharmacy/medical-prescriber/';
const FIXTURES = new URL('./fixtures/', import.meta.url);

/** The example's prescriber (SDS user id) whose signing certificate the rig registers, and that certificate's key. */
export const BENCH_PRESCRIBER = '555086689106';
export const benchPrescriberCertificate = () => readFileSync(new URL('prescriber-cert.pem', FIXTURES), 'utf8');
const benchPrescriberKey = () => readFileSync(new URL('prescriber-key.pem', FIXTURES), 'utf8');

export const PRESCRIBING = '/fhir-prescribing/FHIR/R4';
export const DISPENSING = '/fhir-dispensing/FHIR/R4';

export interface EpsOrganisations { prescriber: string; pharmacy: string }

/** Builds each cycle's bodies from templates read once. */
export class EpsCycle {
  private readonly order = example(`${ACUTE}1-Prepare-Request-200_OK.json`);
  private readonly provenance = example(`${ACUTE}1-Process-Request-Send-200_OK.json`).entry.find((e: Json) => e.resource.resourceType === 'Provenance') as Json;
  private readonly releaseTemplate = example('spec/dispensing/release/acute-primary-example-req.json');
  private readonly dispenseTemplate = example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json');
  private readonly claimTemplate = example('spec/dispensing/claim/acute-primary-example-req.json');
  // Parsed once: signing with the PEM text parses it on every call, which took three quarters of a signature's CPU.
  private readonly key = createPrivateKey(benchPrescriberKey());
  private readonly certificate = benchPrescriberCertificate().replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

  constructor(private readonly orgs: EpsOrganisations) {}

  /** A new prescription for this patient: the order to prepare and sign (without its Provenance). */
  newOrder(nhsNumber: string): { order: Json; shortFormId: string } {
    const order = structuredClone(this.order);
    const shortFormId = generateShortFormId(this.orgs.prescriber);
    const longFormId = randomUUID();
    order.identifier.value = randomUUID();
    for (const { resource } of order.entry as Json[]) {
      if (resource.resourceType === 'MedicationRequest') {
        resource.groupIdentifier.value = shortFormId;
        resource.groupIdentifier.extension[0].valueIdentifier.value = longFormId;
        resource.dispenseRequest.performer.identifier.value = this.orgs.pharmacy;
      }
      if (resource.resourceType === 'Patient') resource.identifier[0].value = nhsNumber;
      if (resource.resourceType === 'Organization') resource.identifier[0].value = this.orgs.prescriber;
      if (resource.resourceType === 'MessageHeader') {
        resource.sender.identifier.value = this.orgs.prescriber;
        resource.destination[0].receiver.identifier.value = this.orgs.pharmacy;
      }
    }
    return { order, shortFormId };
  }

  /** The order with its Provenance: an XML-DSig Signature over `$prepare`'s SignedInfo, by the bench prescriber's key. */
  signedOrder(order: Json, prepared: Json): Json {
    const param = (name: string) => (prepared.parameter as Json[]).find((p) => p.name === name)!.valueString as string;
    const signedInfo = Buffer.from(param('digest'), 'base64').toString('utf8');
    const when = param('timestamp');
    const value = createSign('RSA-SHA256').update(signedInfo).sign(this.key, 'base64');
    const inner = signedInfo.replace(' xmlns="http://www.w3.org/2000/09/xmldsig#"', '');
    const data = Buffer.from(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">${inner}<SignatureValue>${value}</SignatureValue>`
      + `<KeyInfo><X509Data><X509Certificate>${this.certificate}</X509Certificate></X509Data></KeyInfo></Signature>`).toString('base64');
    const provenance = structuredClone(this.provenance);
    provenance.resource.recorded = when;
    provenance.resource.signature[0].when = when;
    provenance.resource.signature[0].data = data;
    return { ...order, entry: [...order.entry, provenance] };
  }

  releaseBody(shortFormId: string): Json {
    const body = structuredClone(this.releaseTemplate);
    for (const p of body.parameter as Json[]) {
      if (p.name === 'owner') p.resource.identifier[0].value = this.orgs.pharmacy;
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormId;
    }
    return body;
  }

  dispenseBody(shortFormId: string, nhsNumber: string): Json {
    const body = structuredClone(this.dispenseTemplate);
    body.identifier.value = randomUUID();
    for (const { resource } of body.entry as Json[]) {
      if (resource.resourceType === 'MessageHeader') {
        resource.sender.identifier.value = this.orgs.pharmacy;
        resource.extension = [];
      }
      if (resource.resourceType === 'MedicationDispense') {
        resource.extension[0].valueCoding.code = '0006';
        // Every item fully dispensed (the example's items are partly owing and cancelled): the prescription is then dispensed.
        resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0001', display: 'Item fully dispensed' };
        resource.subject.identifier.value = nhsNumber;
        for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormId;
      }
    }
    return body;
  }

  claimBody(shortFormId: string, nhsNumber: string): Json {
    const body = structuredClone(this.claimTemplate);
    body.prescription.extension[0].extension[0].valueIdentifier.value = shortFormId;
    body.patient.identifier.value = nhsNumber;
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = this.orgs.pharmacy;
    body.extension = (body.extension as Json[]).filter((e) => !String(e.url).endsWith('replacementOf'));
    return body;
  }
}
