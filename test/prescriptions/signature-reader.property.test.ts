import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SIGNATURE_PROBLEMS, readXmlSignature, verifyPrescriptionSignature } from '../../src/services/prescriptions/domain/signature.js';
import { fixture, xmlSignature } from './support.js';

/**
 * The prescriber's XML-DSig `Signature` as EPS orders carry it (Provenance.signature.data, base64):
 * read by pattern, then checked. Whatever a prescriber's system sends, reading and checking it
 * answers (a signature or none, a problem or none) and never throws.
 */
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const base64Text = fc.array(fc.constantFrom(...BASE64), { minLength: 1, maxLength: 120 }).map((chars) => chars.join(''));
/** Base64 as systems wrap it: lines broken and indented anywhere. */
const wrapped = (text: string) => fc.array(fc.constantFrom('', '\n', '\r\n', ' ', '\t', '\n    '), { minLength: text.length, maxLength: text.length })
  .map((gaps) => [...text].map((char, i) => gaps[i] + char).join(''));
/** What a SignedInfo holds: text and elements, never its own closing tag. */
const signedInfoContent = fc.array(fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => s.replace(/[<>&]/g, '')),
  fc.constantFrom('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></CanonicalizationMethod>',
    '<Reference URI="#x"><DigestValue>abc=</DigestValue></Reference>'),
), { maxLength: 5 }).map((parts) => parts.join(''));
const PROBLEMS = Object.keys(SIGNATURE_PROBLEMS);

describe('EPS: reading a prescriber\'s XML signature', () => {
  it('any base64 of any text: read or not, never a throw; what is read has a namespaced SignedInfo and unbroken base64', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), signedInfoContent.map((c) => `<Signature><SignedInfo>${c}`)), (text) => {
      const read = readXmlSignature(Buffer.from(text, 'utf8').toString('base64'));
      if (read === undefined) return;
      assert.match(read.signedInfo, /^<SignedInfo[\s>]/);
      assert.ok(read.signedInfo.includes('xmlns='), read.signedInfo);
      assert.doesNotMatch(read.signatureValue + read.certificate, /\s/);
    }));
  });

  it('any text that is not base64 at all is read as whatever bytes it decodes to, never a throw', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const read = readXmlSignature(text);
      assert.ok(read === undefined || typeof read.signedInfo === 'string');
    }));
  });

  it('reads back the parts a signature was made of, however its base64 is wrapped, with the XML-DSig namespace given to its SignedInfo', () => {
    fc.assert(fc.property(signedInfoContent, fc.boolean(), base64Text.chain(wrapped), base64Text.chain(wrapped), fc.constantFrom('', '\n', '  \n'),
      (content, namespaced, value, certificate, lead) => {
        const ns = namespaced ? ' xmlns="http://www.w3.org/2000/09/xmldsig#"' : '';
        const xml = `${lead}<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo${ns}>${content}</SignedInfo>`
          + `<SignatureValue>${value}</SignatureValue><KeyInfo><X509Data><X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo></Signature>`;
        const read = readXmlSignature(Buffer.from(xml).toString('base64'));
        assert.deepEqual(read, {
          signedInfo: `<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">${content}</SignedInfo>`,
          signatureValue: value.replace(/\s+/g, ''),
          certificate: certificate.replace(/\s+/g, ''),
        });
      }));
  });

  it('a signature missing any one of its three parts, or not a Signature element, is none', () => {
    const parts = ['<SignedInfo>x</SignedInfo>', '<SignatureValue>AAAA</SignatureValue>', '<X509Certificate>AAAA</X509Certificate>'];
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.constantFrom('Signature', 'Signatures', 'SignatureX', 'ds:Signature'), (dropped, root) => {
      const complete = `<${root}>${parts.join('')}</${root}>`;
      const missing = `<Signature>${parts.filter((_, i) => i !== dropped).join('')}</Signature>`;
      assert.equal(readXmlSignature(Buffer.from(missing).toString('base64')), undefined);
      assert.equal(readXmlSignature(Buffer.from(complete).toString('base64')) === undefined, root !== 'Signature');
    }));
  });
});

describe('EPS: checking a prescriber\'s signature', () => {
  const key = fixture('prescriber-key.pem');
  const cert = fixture('prescriber-cert.pem');
  const signedInfo = '<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><Reference URI="#x"><DigestValue>abc=</DigestValue></Reference></SignedInfo>';
  // A day into the fixture certificate's validity.
  const signedAt = new Date(Date.parse(new X509Certificate(cert).validFrom) + 24 * 3600_000);
  const trusted = { prescriber: [cert], authorities: [] };
  const genuine = readXmlSignature(xmlSignature(signedInfo, key, cert))!;

  it('the genuine signature verifies, by the prescriber\'s registered certificate', () => {
    assert.equal(verifyPrescriptionSignature(genuine, signedInfo, signedAt, trusted), undefined);
  });

  it('any signature value or certificate text at all is answered with one of the named problems, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), base64Text), fc.oneof(fc.string(), base64Text, fc.constant(genuine.certificate)), (value, certificate) => {
      const problem = verifyPrescriptionSignature({ signedInfo, signatureValue: value, certificate }, signedInfo, signedAt, trusted);
      if (value === genuine.signatureValue && certificate === genuine.certificate) return;
      assert.ok(problem !== undefined && PROBLEMS.includes(problem), String(problem));
    }));
  });

  it('any one character of the signature value changed is refused', () => {
    const value = genuine.signatureValue;
    fc.assert(fc.property(fc.integer({ min: 0, max: value.length - 1 }), fc.constantFrom(...BASE64.slice(0, 64)), (at, char) => {
      fc.pre(value[at] !== char);
      const changed = value.slice(0, at) + char + value.slice(at + 1);
      // Base64's last character may carry bits the decoder drops: the same bytes verify, as they should.
      fc.pre(!Buffer.from(changed, 'base64').equals(Buffer.from(value, 'base64')));
      assert.ok(verifyPrescriptionSignature({ ...genuine, signatureValue: changed }, signedInfo, signedAt, trusted) !== undefined);
    }));
  });

  it('a SignedInfo other than the one the server computes is a digest mismatch, whoever signed it', () => {
    fc.assert(fc.property(signedInfoContent, (content) => {
      const other = `<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">${content}</SignedInfo>`;
      fc.pre(other !== signedInfo);
      const signature = readXmlSignature(xmlSignature(other, key, cert))!;
      assert.equal(verifyPrescriptionSignature(signature, signedInfo, signedAt, trusted), 'digest-mismatch');
    }), { numRuns: 30 });
  });
});
