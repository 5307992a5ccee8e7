import { XMLParser } from 'fast-xml-parser';
import type { SignedFragments } from '../../src/services/prescriptions/domain/hl7v3/fragments.js';
import type { XmlElement, XmlNode } from '../../src/services/prescriptions/domain/hl7v3/xml.js';

/**
 * The signed fragments read out of NHS England's own HL7 V3 translation of an example (its
 * `$convert` response, `*-Convert-Response-Send-200_OK.xml`): the oracle the digest is checked
 * against. The examples' XML is pretty-printed; whitespace-only text between elements is dropped.
 *
 * One correction: those translations are older than the examples' `$prepare` responses (2024), and
 * in them an item's `repeatNumber` has a `low` and a `high`; the translator that answered
 * `$prepare` writes the `high` only (with it, every repeat example's digest is reproduced; with
 * both, none is).
 */
const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: true,
});

type Raw = Record<string, unknown>;
function toNode(raw: Raw): XmlNode | undefined {
  const name = Object.keys(raw).find((k) => k !== ':@')!;
  if (name === '#text') return String(raw['#text']);
  if (name.startsWith('?')) return undefined;
  const attributes = Object.fromEntries(Object.entries((raw[':@'] ?? {}) as Raw).filter(([k]) => k !== 'xmlns').map(([k, v]) => [k, String(v)]));
  const children = (raw[name] as Raw[]).map(toNode).filter((c): c is XmlNode => c !== undefined);
  return { name, attributes, children };
}

const isElement = (n: XmlNode): n is XmlElement => typeof n !== 'string';
const children = (n: XmlElement, name: string) => n.children.filter(isElement).filter((c) => c.name === name);
function child(n: XmlElement, name: string): XmlElement {
  const found = children(n, name)[0];
  if (!found) throw new Error(`no <${name}> in <${n.name}>`);
  return found;
}
function descendant(n: XmlElement, name: string): XmlElement | undefined {
  if (n.name === name) return n;
  for (const c of n.children.filter(isElement)) {
    const found = descendant(c, name);
    if (found) return found;
  }
  return undefined;
}

const highOnly = (item: XmlElement): XmlElement => ({
  ...item,
  children: item.children.map((c) => (isElement(c) && c.name === 'repeatNumber' ? { ...c, children: children(c, 'high') } : c)),
});

/** The fragments of a `$convert` response; `time` (HL7 `YYYYMMDDHHMMSS`) replaces the author's time when given. */
export function fragmentsOfConvert(xml: string, time?: string): SignedFragments {
  const root = (parser.parse(xml) as Raw[]).map(toNode).find((n): n is XmlElement => n !== undefined && isElement(n))!;
  const parent = descendant(root, 'ParentPrescription');
  if (!parent) throw new Error('no ParentPrescription');
  const prescription = child(child(parent, 'pertinentInformation1'), 'pertinentPrescription');
  const author = child(prescription, 'author');
  const authorTime = child(author, 'time');
  return {
    time: time ? { ...authorTime, attributes: { value: time } } : authorTime,
    id: children(prescription, 'id')[0]!,
    agentPerson: child(author, 'AgentPerson'),
    recordTarget: child(parent, 'recordTarget'),
    lineItems: children(prescription, 'pertinentInformation2').map((p) => highOnly(child(p, 'pertinentLineItem'))),
  };
}
