/**
 * A small XML element model and its exclusive canonical form (W3C Exclusive XML Canonicalization
 * 1.0, without comments), enough for the HL7 V3 fragments a prescriber signs: elements without
 * prefixes, unqualified attributes, text, and one default namespace declared on a fragment's root.
 * The XML is our own, built from data, so there is nothing to parse and no namespace to inherit.
 */
export interface XmlElement {
  name: string;
  attributes: Readonly<Record<string, string>>;
  children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

/** An element; attributes left `undefined` are not written, children `undefined` are skipped. */
export function el(name: string, attributes: Record<string, string | undefined> = {}, ...children: Array<XmlNode | undefined>): XmlElement {
  // Loops, not entries() and filter(): a prescription's digest builds a few hundred elements, twice per order.
  const written: Record<string, string> = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) written[key] = value;
  }
  const kept: XmlNode[] = [];
  for (const child of children) if (child !== undefined) kept.push(child);
  return { name, attributes: written, children: kept };
}

// C14N 1.0 §2.3 (which exc-c14n keeps): text escapes &, <, > and CR; attribute values escape
// &, <, " and the whitespace characters a parser would otherwise normalise (TAB, LF, CR).
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/g;
// Most values need no escape: a test without the global flag's state is cheaper than a replace.
const HAS_TEXT_SPECIAL = /[&<>\r]/;
const HAS_ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;
const ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;',
};
const escape = (ch: string) => ESCAPES[ch]!;
export const canonicalText = (text: string) => (HAS_TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL, escape) : text);
export const canonicalAttribute = (value: string) => (HAS_ATTRIBUTE_SPECIAL.test(value) ? value.replace(ATTRIBUTE_SPECIAL, escape) : value);

/**
 * The canonical form of `node`. `namespace`, when given, is declared (`xmlns="…"`) on `node`
 * itself: exc-c14n writes a namespace declaration on the first output element that uses it, and
 * never again below it. Empty elements are written as a start and an end tag.
 *
 * Written by string concatenation (V8 joins the pieces once, when the text is hashed), and with
 * attributes sorted only when they are not in order already: the digest is made at `$prepare` and
 * again at the order, and an array of pieces and a sorted copy of each element's attributes made it
 * the EPS server's largest source of garbage (about a third of the bytes it allocated under the
 * bench: bench/README.md).
 */
export function canonicalXml(node: XmlNode, namespace?: string): string {
  if (typeof node === 'string') return canonicalText(node);
  let text = '<' + node.name;
  if (namespace !== undefined) text += ' xmlns="' + canonicalAttribute(namespace) + '"';
  text += canonicalAttributes(node.attributes) + '>';
  for (const child of node.children) text += canonicalXml(child);
  return text + '</' + node.name + '>';
}

/** Attributes in canonical order: by name, compared as code points (all ours are ASCII). */
function canonicalAttributes(attributes: Readonly<Record<string, string>>): string {
  let text = '';
  let previous: string | undefined;
  for (const name in attributes) {
    if (previous !== undefined && name < previous) return sortedAttributes(attributes);
    previous = name;
    text += ' ' + name + '="' + canonicalAttribute(attributes[name]!) + '"';
  }
  return text;
}

function sortedAttributes(attributes: Readonly<Record<string, string>>): string {
  let text = '';
  for (const name of Object.keys(attributes).sort()) text += ' ' + name + '="' + canonicalAttribute(attributes[name]!) + '"';
  return text;
}
