import { X509Certificate, createVerify } from 'node:crypto';

/**
 * The prescriber's XML-DSig `Signature` (Provenance.signature.data, base64), as EPS's examples
 * carry it: `<Signature><SignedInfo>…</SignedInfo><SignatureValue>…</SignatureValue>
 * <KeyInfo><X509Data><X509Certificate>…</X509Certificate></X509Data></KeyInfo></Signature>`.
 * Read by pattern (the element is small and flat); anything else is not a signature.
 */
export interface XmlSignature {
  /** The SignedInfo as signed: within the Signature it inherits the XML-DSig namespace, so it is given it. */
  signedInfo: string;
  signatureValue: string;
  certificate: string;
}

const XMLDSIG_NS = 'xmlns="http://www.w3.org/2000/09/xmldsig#"';

/**
 * The first `<name …>…</name>` of `xml`: its attributes (as written, with their leading space), its
 * content and the whole element. Found with indexOf, in one pass: a pattern with a lazy body
 * searched from every `<name` took time quadratic in the text, and a prescriber's system could
 * send megabytes of open tags (30,000 of them took 5 s).
 */
function element(xml: string, name: string): { attributes: string; content: string; whole: string } | undefined {
  const open = `<${name}`;
  for (let start = xml.indexOf(open); start >= 0; start = xml.indexOf(open, start + open.length)) {
    const after = start + open.length;
    if (xml[after] !== '>' && !/\s/.test(xml[after] ?? '')) continue;
    const tagEnd = xml.indexOf('>', after);
    if (tagEnd < 0) return undefined;
    const close = xml.indexOf(`</${name}>`, tagEnd + 1);
    if (close < 0) return undefined;
    return { attributes: xml.slice(after, tagEnd), content: xml.slice(tagEnd + 1, close), whole: xml.slice(start, close + name.length + 3) };
  }
  return undefined;
}

export function readXmlSignature(base64: string): XmlSignature | undefined {
  const xml = Buffer.from(base64, 'base64').toString('utf8');
  if (!/^\s*<Signature[\s>]/.test(xml)) return undefined;
  const info = element(xml, 'SignedInfo');
  const value = element(xml, 'SignatureValue');
  const certificate = element(xml, 'X509Certificate');
  if (!info || !value || !certificate) return undefined;
  const signedInfo = info.attributes.includes('xmlns=') ? info.whole : `<SignedInfo ${XMLDSIG_NS}${info.attributes}>${info.content}</SignedInfo>`;
  return { signedInfo, signatureValue: value.content.replace(/\s+/g, ''), certificate: certificate.content.replace(/\s+/g, '') };
}

export type SignatureProblem =
  | 'no-signature-value' | 'not-a-certificate' | 'digest-mismatch' | 'bad-signature' | 'certificate-expired' | 'certificate-not-trusted';

export const SIGNATURE_PROBLEMS: Record<SignatureProblem, string> = {
  'no-signature-value': 'the signature has no SignatureValue',
  'not-a-certificate': 'the signature does not carry an X.509 certificate',
  'digest-mismatch': "the signature's SignedInfo does not match the prescription (digest or timestamp differ)",
  'bad-signature': 'the SignatureValue does not verify with the certificate',
  'certificate-expired': 'the signing certificate is not valid at the signing time',
  'certificate-not-trusted': 'the signing certificate is not registered for the prescriber nor issued by a trusted CA',
};

/**
 * Certificates parsed once: the same few PEMs (the prescriber's, the trusted CAs') come with every
 * order, and parsing X.509 was the dearest step of verifying. Bounded: the oldest goes first.
 */
const PARSED_LIMIT = 1_000;
const parsed = new Map<string, X509Certificate>();
function parsedCertificate(pem: string): X509Certificate {
  let certificate = parsed.get(pem);
  if (!certificate) {
    certificate = new X509Certificate(pem);
    if (parsed.size >= PARSED_LIMIT) parsed.delete(parsed.keys().next().value!);
    parsed.set(pem, certificate);
  }
  return certificate;
}

const pemOf = (base64: string) => `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

/**
 * Checks a prescriber's signature: the SignedInfo is the one the server computes from the bundle
 * it received, the value verifies with the certificate's key (RSA-SHA256), the certificate was
 * valid when signed, and it is one registered for the prescriber or issued by a registered CA.
 */
export function verifyPrescriptionSignature(
  signature: XmlSignature,
  expectedSignedInfo: string,
  signedAt: Date,
  trusted: { prescriber: string[]; authorities: string[] },
): SignatureProblem | undefined {
  if (!signature.signatureValue) return 'no-signature-value';
  let certificate: X509Certificate;
  try {
    // The certificate a prescriber signs with comes with every order they send: parsed once too.
    certificate = parsedCertificate(pemOf(signature.certificate));
  } catch {
    return 'not-a-certificate';
  }
  if (signature.signedInfo !== expectedSignedInfo) return 'digest-mismatch';
  const verifier = createVerify('RSA-SHA256').update(signature.signedInfo);
  let verified = false;
  try {
    verified = verifier.verify(certificate.publicKey, signature.signatureValue, 'base64');
  } catch {
    verified = false;
  }
  if (!verified) return 'bad-signature';
  if (signedAt < new Date(certificate.validFrom) || signedAt > new Date(certificate.validTo)) return 'certificate-expired';
  const registered = trusted.prescriber.some((pem) => parsedCertificate(pem).fingerprint256 === certificate.fingerprint256);
  const issued = trusted.authorities.some((pem) => {
    const ca = parsedCertificate(pem);
    return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
  });
  return registered || issued ? undefined : 'certificate-not-trusted';
}
