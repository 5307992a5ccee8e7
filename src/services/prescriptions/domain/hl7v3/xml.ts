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
  const written: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) written[key] = value;
  return { name, attributes: written, children: children.filter((c): c is XmlNode => c !== undefined) };
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

/** Attribute order in canonical XML: by name, compared as code points (all ours are ASCII). */
const byName = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The canonical form of `node`. `namespace`, when given, is declared (`xmlns="…"`) on `node`
 * itself: exc-c14n writes a namespace declaration on the first output element that uses it, and
 * never again below it. Empty elements are written as a start and an end tag.
 */
export function canonicalXml(node: XmlNode, namespace?: string): string {
  const out: string[] = [];
  write(node, namespace, out);
  return out.join('');
}

function write(node: XmlNode, namespace: string | undefined, out: string[]): void {
  if (typeof node === 'string') {
    out.push(canonicalText(node));
    return;
  }
  out.push('<', node.name);
  if (namespace !== undefined) out.push(' xmlns="', canonicalAttribute(namespace), '"');
  const attributes = Object.entries(node.attributes);
  if (attributes.length > 1) attributes.sort(byName);
  for (const [key, value] of attributes) out.push(' ', key, '="', canonicalAttribute(value), '"');
  out.push('>');
  for (const child of node.children) write(child, undefined, out);
  out.push('</', node.name, '>');
}
