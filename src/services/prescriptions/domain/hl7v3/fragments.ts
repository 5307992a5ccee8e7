import { canonicalXml, type XmlElement } from './xml.js';

/**
 * What a prescriber signs, as NHS England's EPS builds it: a `FragmentsToBeHashed` element of the
 * prescription's HL7 V3 translation (PORX_IN020101SM31), in its exclusive canonical form. Found by
 * reproducing the DigestValues of NHS England's `$prepare` examples from their `$convert` output
 * (scripts/eps-digest-from-convert.ts):
 *
 *   <FragmentsToBeHashed>
 *     <Fragment><time/><id/></Fragment>        the author's time (the signing time), the prescription's UUID
 *     <Fragment><AgentPerson/></Fragment>      the author
 *     <Fragment><recordTarget/></Fragment>     the patient
 *     <Fragment><pertinentLineItem/></Fragment> one per item, in the bundle's order
 *   </FragmentsToBeHashed>
 *
 * The wrapper elements have no namespace; each fragment's root declares the HL7 V3 one. No
 * whitespace between elements.
 */
export const HL7_V3_NAMESPACE = 'urn:hl7-org:v3';

export interface SignedFragments {
  /** `<time value="YYYYMMDDHHMMSS"/>`: the signing time, UTC. */
  time: XmlElement;
  /** `<id root="UUID"/>`: the long-form prescription id, upper case. */
  id: XmlElement;
  agentPerson: XmlElement;
  recordTarget: XmlElement;
  lineItems: readonly XmlElement[];
}

const fragment = (...roots: XmlElement[]) => `<Fragment>${roots.map((root) => canonicalXml(root, HL7_V3_NAMESPACE)).join('')}</Fragment>`;

/** The canonical `FragmentsToBeHashed`: the bytes whose SHA-256 is the SignedInfo's DigestValue. */
export function fragmentsToBeHashed(fragments: SignedFragments): string {
  return '<FragmentsToBeHashed>'
    + fragment(fragments.time, fragments.id)
    + fragment(fragments.agentPerson)
    + fragment(fragments.recordTarget)
    + fragments.lineItems.map((item) => fragment(item)).join('')
    + '</FragmentsToBeHashed>';
}
