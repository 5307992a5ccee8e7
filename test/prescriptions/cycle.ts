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
import { JsonTemplate } from './json-template.js';

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

/** Where a cycle's fresh ids come from: random, unless a test wants them repeatable. */
export interface IdSource { uuid(): string; shortFormId(prescriber: string): string }
const RANDOM_IDS: IdSource = { uuid: randomUUID, shortFormId: (prescriber) => generateShortFormId(prescriber) };

/** What is new in each prescription's order: its ids, and the patient. */
export interface OrderIds { bundleId: string; shortFormId: string; longFormId: string; nhsNumber: string }
const ORDER_SLOTS = ['bundleId', 'shortFormId', 'longFormId', 'nhsNumber'] as const;
const SIGNED_ORDER_SLOTS = [...ORDER_SLOTS, 'when', 'data'] as const;

/**
 * Builds each cycle's bodies from templates read once: as objects (`newOrder`, `signedOrder`, …)
 * or as the JSON text of those objects (`newOrderJson`, `signedOrderJson`, …), which the load
 * client sends. The text comes from templates serialised once from the same builders (see
 * json-template.ts): cloning and serialising 20–40 KB of example for every body cost the load
 * client about twice the signature's CPU per prescription (bench/support/eps-client-cost.ts), CPU
 * the server under test shares.
 */
export class EpsCycle {
  private readonly order = example(`${ACUTE}1-Prepare-Request-200_OK.json`);
  private readonly provenance = example(`${ACUTE}1-Process-Request-Send-200_OK.json`).entry.find((e: Json) => e.resource.resourceType === 'Provenance') as Json;
  private readonly releaseTemplate = example('spec/dispensing/release/acute-primary-example-req.json');
  private readonly dispenseTemplate = example('spec/dispensing/dispense-notification/acute-primary-example-01-req.json');
  private readonly claimTemplate = example('spec/dispensing/claim/acute-primary-example-req.json');
  // Parsed once: signing with the PEM text parses it on every call, which took three quarters of a signature's CPU.
  private readonly key = createPrivateKey(benchPrescriberKey());
  private readonly certificate = benchPrescriberCertificate().replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  private readonly orderText: JsonTemplate<(typeof ORDER_SLOTS)[number]>;
  private readonly signedOrderText: JsonTemplate<(typeof SIGNED_ORDER_SLOTS)[number]>;
  private readonly releaseText: JsonTemplate<'shortFormId'>;
  private readonly dispenseText: JsonTemplate<'bundleId' | 'shortFormId' | 'nhsNumber'>;
  private readonly claimText: JsonTemplate<'shortFormId' | 'nhsNumber'>;

  constructor(private readonly orgs: EpsOrganisations, private readonly ids: IdSource = RANDOM_IDS) {
    this.orderText = JsonTemplate.of(ORDER_SLOTS, (order) => this.orderFor(order));
    this.signedOrderText = JsonTemplate.of(SIGNED_ORDER_SLOTS, (signed) => this.withProvenance(this.orderFor(signed), signed.when, signed.data));
    this.releaseText = JsonTemplate.of(['shortFormId'], ({ shortFormId }) => this.releaseBody(shortFormId));
    this.dispenseText = JsonTemplate.of(['bundleId', 'shortFormId', 'nhsNumber'], ({ bundleId, shortFormId, nhsNumber }) => this.dispenseFor(bundleId, shortFormId, nhsNumber));
    this.claimText = JsonTemplate.of(['shortFormId', 'nhsNumber'], ({ shortFormId, nhsNumber }) => this.claimBody(shortFormId, nhsNumber));
  }

  /** A new prescription for this patient: the order to prepare and sign (without its Provenance). */
  newOrder(nhsNumber: string): { order: Json; shortFormId: string } {
    const ids = this.freshOrder(nhsNumber);
    return { order: this.orderFor(ids), shortFormId: ids.shortFormId };
  }

  /** `newOrder`'s order as JSON text, and its ids (for `signedOrderJson`). */
  newOrderJson(nhsNumber: string): { json: string; order: OrderIds } {
    const order = this.freshOrder(nhsNumber);
    return { json: this.orderText.fill(order), order };
  }

  /** The order with its Provenance: an XML-DSig Signature over `$prepare`'s SignedInfo, by the bench prescriber's key. */
  signedOrder(order: Json, prepared: Json): Json {
    const { when, data } = this.signature(prepared);
    return this.withProvenance(order, when, data);
  }

  /** `signedOrder` as JSON text, for the order `newOrderJson` made. */
  signedOrderJson(order: OrderIds, prepared: Json): string {
    return this.signedOrderText.fill({ ...order, ...this.signature(prepared) });
  }

  releaseBody(shortFormId: string): Json {
    const body = structuredClone(this.releaseTemplate);
    for (const p of body.parameter as Json[]) {
      if (p.name === 'owner') p.resource.identifier[0].value = this.orgs.pharmacy;
      if (p.name === 'group-identifier') p.valueIdentifier.value = shortFormId;
    }
    return body;
  }

  releaseJson(shortFormId: string): string {
    return this.releaseText.fill({ shortFormId });
  }

  dispenseBody(shortFormId: string, nhsNumber: string): Json {
    return this.dispenseFor(this.ids.uuid(), shortFormId, nhsNumber);
  }

  dispenseJson(shortFormId: string, nhsNumber: string): string {
    return this.dispenseText.fill({ bundleId: this.ids.uuid(), shortFormId, nhsNumber });
  }

  claimBody(shortFormId: string, nhsNumber: string): Json {
    const body = structuredClone(this.claimTemplate);
    body.prescription.extension[0].extension[0].valueIdentifier.value = shortFormId;
    body.patient.identifier.value = nhsNumber;
    for (const c of body.contained) if (c.resourceType === 'Organization') c.identifier[0].value = this.orgs.pharmacy;
    body.extension = (body.extension as Json[]).filter((e) => !String(e.url).endsWith('replacementOf'));
    return body;
  }

  claimJson(shortFormId: string, nhsNumber: string): string {
    return this.claimText.fill({ shortFormId, nhsNumber });
  }

  private freshOrder(nhsNumber: string): OrderIds {
    const shortFormId = this.ids.shortFormId(this.orgs.prescriber);
    const longFormId = this.ids.uuid();
    return { bundleId: this.ids.uuid(), shortFormId, longFormId, nhsNumber };
  }

  private orderFor({ bundleId, shortFormId, longFormId, nhsNumber }: OrderIds): Json {
    const order = structuredClone(this.order);
    order.identifier.value = bundleId;
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
    return order;
  }

  /** The Provenance's signing time and its Signature (base64): the bench prescriber's signature over `$prepare`'s SignedInfo. */
  private signature(prepared: Json): { when: string; data: string } {
    const param = (name: string) => (prepared.parameter as Json[]).find((p) => p.name === name)!.valueString as string;
    const signedInfo = Buffer.from(param('digest'), 'base64').toString('utf8');
    const value = createSign('RSA-SHA256').update(signedInfo).sign(this.key, 'base64');
    const inner = signedInfo.replace(' xmlns="http://www.w3.org/2000/09/xmldsig#"', '');
    const data = Buffer.from(`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">${inner}<SignatureValue>${value}</SignatureValue>`
      + `<KeyInfo><X509Data><X509Certificate>${this.certificate}</X509Certificate></X509Data></KeyInfo></Signature>`).toString('base64');
    return { when: param('timestamp'), data };
  }

  private withProvenance(order: Json, when: string, data: string): Json {
    const provenance = structuredClone(this.provenance);
    provenance.resource.recorded = when;
    provenance.resource.signature[0].when = when;
    provenance.resource.signature[0].data = data;
    return { ...order, entry: [...order.entry, provenance] };
  }

  private dispenseFor(bundleId: string, shortFormId: string, nhsNumber: string): Json {
    const body = structuredClone(this.dispenseTemplate);
    body.identifier.value = bundleId;
    // Each item's whole prescribed quantity (the example's third and fourth lines supply none): the claim claims 20, 20 and 30.
    const supplied = [20, 20, 30, 30];
    let line = 0;
    for (const { resource } of body.entry as Json[]) {
      if (resource.resourceType === 'MessageHeader') {
        resource.sender.identifier.value = this.orgs.pharmacy;
        resource.extension = [];
      }
      // The dispensing organisation: the one each MedicationDispense's performer works for (the sender is not read).
      if (resource.resourceType === 'Organization') resource.identifier[0].value = this.orgs.pharmacy;
      if (resource.resourceType === 'MedicationDispense') {
        resource.extension[0].valueCoding.code = '0006';
        // Every item fully dispensed (the example's items are partly owing and cancelled): the prescription is then dispensed.
        resource.type.coding[0] = { system: 'https://fhir.nhs.uk/CodeSystem/medicationdispense-type', code: '0001', display: 'Item fully dispensed' };
        resource.subject.identifier.value = nhsNumber;
        resource.quantity.value = supplied[line++];
        for (const c of resource.contained) if (c.resourceType === 'MedicationRequest') c.groupIdentifier.value = shortFormId;
      }
    }
    return body;
  }
}
