import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * What a prescriber signs. `$prepare` answers, as EPS does, an XML-DSig `SignedInfo` (base64) with
 * its timestamp and the algorithm (RS256); the prescriber signs the SignedInfo's bytes and sends the
 * signature back in the order's Provenance, with `signature.when` set to that timestamp.
 *
 * NHS England's digest is SHA-256 over the exclusive-c14n of the prescription's HL7 V3 fragments
 * (its translation of the FHIR bundle into HL7 V3). OpenSpine does not translate to HL7 V3, so
 * its `DigestValue` is SHA-256 over the RFC 8785 canonical JSON of the clinical content instead:
 * every entry of the Bundle but the MessageHeader and the Provenance (`fullUrl` and resource),
 * sorted by `fullUrl`, with the signing timestamp. Same shape and algorithms as EPS's; not the
 * same bytes, so the signatures in NHS England's examples do not verify here (sandbox mode accepts
 * them without verification, as NHS England's sandbox does).
 */
export const SIGNATURE_ALGORITHM = 'RS256';
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

interface Entry { fullUrl?: unknown; resource?: { resourceType?: unknown } }

export function clinicalContent(entries: readonly Entry[], timestamp: string): string {
  const clinical = entries
    .filter((e) => e.resource?.resourceType !== 'MessageHeader' && e.resource?.resourceType !== 'Provenance')
    .map((e) => ({ fullUrl: e.fullUrl, resource: e.resource }))
    .sort((a, b) => String(a.fullUrl).localeCompare(String(b.fullUrl)));
  return canonicalize({ entries: clinical, timestamp })!;
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
export function signedInfoFor(entries: readonly Entry[], timestamp: string): string {
  return signedInfo(createHash('sha256').update(clinicalContent(entries, timestamp)).digest('base64'));
}

/** `$prepare`'s answer (spec: Parameters{digest, timestamp, algorithm}). */
export function prepareParameters(entries: readonly Entry[], timestamp: string) {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'digest', valueString: Buffer.from(signedInfoFor(entries, timestamp)).toString('base64') },
      { name: 'timestamp', valueString: timestamp },
      { name: 'algorithm', valueString: SIGNATURE_ALGORITHM },
    ],
  };
}
