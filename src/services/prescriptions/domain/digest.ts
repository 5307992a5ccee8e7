import { createHash } from 'node:crypto';
import type { Entry } from './fhir.js';
import { fragmentsToBeHashed } from './hl7v3/fragments.js';
import { prescriptionFragments } from './hl7v3/prescription-fragments.js';

/**
 * What a prescriber signs. `$prepare` answers, as EPS does, an XML-DSig `SignedInfo` (base64) with
 * its timestamp and the algorithm (RS256); the prescriber signs the SignedInfo's bytes and sends the
 * signature back in the order's Provenance, with `signature.when` set to that timestamp.
 *
 * The `DigestValue` is NHS England's: SHA-256 over the exclusive canonical form of the
 * prescription's HL7 V3 `FragmentsToBeHashed` (its signing time, id, author, patient and items;
 * see hl7v3/fragments.ts), so a SignedInfo prepared by EPS for a bundle is the one prepared here,
 * and an order signed for EPS verifies here (41 of NHS England's 43 `$prepare` examples are
 * reproduced byte for byte: test/prescriptions/digest-examples.test.ts).
 */
export const SIGNATURE_ALGORITHM = 'RS256';
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** The DigestValue of a prescription's entries signed at `timestamp` (an ISO instant). */
export function prescriptionDigest(entries: Entry[], timestamp: string): string {
  return createHash('sha256').update(fragmentsToBeHashed(prescriptionFragments(entries, timestamp))).digest('base64');
}

/** The `SignedInfo` element for a digest value, as EPS writes it (exclusive c14n, RSA-SHA256, SHA-256). */
export function signedInfo(digestValue: string): string {
  return `<SignedInfo xmlns="${XMLDSIG}"><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></CanonicalizationMethod>`
    + '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></SignatureMethod>'
    + '<Reference><Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></Transform></Transforms>'
    + '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></DigestMethod>'
    + `<DigestValue>${digestValue}</DigestValue></Reference></SignedInfo>`;
}

/** The SignedInfo a prescriber must sign for these entries at this timestamp. */
export function signedInfoFor(entries: Entry[], timestamp: string): string {
  return signedInfo(prescriptionDigest(entries, timestamp));
}

/** `$prepare`'s answer (spec: Parameters{digest, timestamp, algorithm}). */
export function prepareParameters(entries: Entry[], timestamp: string) {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'digest', valueString: Buffer.from(signedInfoFor(entries, timestamp)).toString('base64') },
      { name: 'timestamp', valueString: timestamp },
      { name: 'algorithm', valueString: SIGNATURE_ALGORITHM },
    ],
  };
}
