import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { clipForDiagnostics } from '../../../platform/http/validation-failure.js';

/**
 * FHIR's XML form (STU3 and R4 alike) for the two directions NEMS needs: writing a resource built as
 * FHIR JSON (element order is the object's key order, which the builders keep in XSD order), and
 * reading a posted document into a tree of elements. Primitives are `<name value="…"/>`, an
 * extension's `url` is an attribute, and a contained resource sits in an element named after its type.
 */
const escapeAttribute = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function element(name: string, value: unknown, indent: string, out: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) element(name, item, indent, out);
    return;
  }
  if (typeof value !== 'object') {
    out.push(`${indent}<${name} value="${escapeAttribute(String(value))}"/>`);
    return;
  }
  const object = value as Record<string, unknown>;
  if (name === 'resource' && typeof object.resourceType === 'string') {
    out.push(`${indent}<resource>`);
    resource(object, `${indent}  `, out, false);
    out.push(`${indent}</resource>`);
    return;
  }
  const url = name === 'extension' || name === 'modifierExtension' ? object.url : undefined;
  const children = Object.entries(object).filter(([key]) => !(url !== undefined && key === 'url'));
  const open = url === undefined ? `<${name}` : `<${name} url="${escapeAttribute(String(url))}"`;
  if (children.length === 0) {
    out.push(`${indent}${open}/>`);
    return;
  }
  out.push(`${indent}${open}>`);
  for (const [key, child] of children) element(key, child, `${indent}  `, out);
  out.push(`${indent}</${name}>`);
}

function resource(object: Record<string, unknown>, indent: string, out: string[], root: boolean): void {
  const type = String(object.resourceType);
  out.push(`${indent}<${type}${root ? ' xmlns="http://hl7.org/fhir"' : ''}>`);
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'resourceType') element(key, value, `${indent}  `, out);
  }
  out.push(`${indent}</${type}>`);
}

export function toFhirXml(fhirResource: Record<string, unknown>): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  resource(fhirResource, '', out, true);
  return `${out.join('\n')}\n`;
}

/** An element of a parsed document: its `value` and `url` attributes, and its child elements by name. */
export interface XmlNode {
  value?: string;
  url?: string;
  children: Map<string, XmlNode[]>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  preserveOrder: true,
  // XML's own five entities and character references (&#65; &#x41;), which the parser decodes only
  // with htmlEntities on: off, a reference was kept as its text (a reason of 'A&#x26;B' stored so).
  // An HTML entity (&nbsp;) or any other XML does not define is refused before parsing
  // (referenceProblem), and a DOCTYPE before that, so nothing else is ever expanded.
  processEntities: true,
  htmlEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNode(entries: Ordered[], attributes: Record<string, string> | undefined): XmlNode {
  const node: XmlNode = { value: attributes?.['@value'], url: attributes?.['@url'], children: new Map() };
  for (const entry of entries) {
    const name = Object.keys(entry).find((k) => k !== ':@');
    // Text between elements, comments and processing instructions are not elements.
    if (!name || name === '#text' || name.startsWith('?') || name === '#comment') continue;
    // Namespace prefixes (xhtml:div) and the FHIR namespace are dropped: only the local name matters.
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    const child = toNode((entry[name] as Ordered[]) ?? [], entry[':@']);
    // Appended in place: copying the list at each sibling made 300,000 <entry/> (2.4 MB) hold the event loop for minutes.
    const siblings = node.children.get(local);
    if (siblings) siblings.push(child);
    else node.children.set(local, [child]);
  }
  return node;
}

/** A document read: its root element's local name and the element. */
export interface XmlDocument { rootName: string; root: XmlNode }

const XML_DECLARATION = /^\uFEFF?<\?xml[\t\n\r ][^>]*\?>/;
// A name no document can use for its own element: wrapping the document in it shows what lies outside its root.
const WRAPPER = 'openspine-document';
const PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const REFERENCE = /&(?:([A-Za-z_][A-Za-z0-9._-]*)|#([0-9]{1,8})|#x([0-9A-Fa-f]{1,7}));/y;
const MARKUP = /&|<!--|<!\[CDATA\[|<\?/g;

/** XML 1.0's Char production: what a character reference may name. */
const isXmlChar = (c: number) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

/**
 * XML 1.0's rule for `&`, which the parser does not hold to: without a DTD the only entities are the
 * five predefined ones, and a character reference names a character XML has. An `&` in a comment,
 * a CDATA section or a processing instruction is text. One pass, each section skipped by indexOf.
 */
function referenceProblem(text: string): string | undefined {
  MARKUP.lastIndex = 0;
  for (let found = MARKUP.exec(text); found; found = MARKUP.exec(text)) {
    const at = found.index;
    if (found[0] !== '&') {
      const close = found[0] === '<!--' ? '-->' : found[0] === '<?' ? '?>' : ']]>';
      const end = text.indexOf(close, at + found[0].length);
      if (end < 0) return `a ${found[0]} section is never closed`;
      MARKUP.lastIndex = end + close.length;
      continue;
    }
    REFERENCE.lastIndex = at;
    const ref = REFERENCE.exec(text);
    if (!ref) return 'an & that does not start an entity or character reference (write &amp;)';
    if (ref[1] !== undefined && !PREDEFINED.has(ref[1])) return `the entity &${clipForDiagnostics(ref[1], 40)}; is not defined (a NEMS message has no DTD)`;
    if (ref[1] === undefined && !isXmlChar(ref[2] !== undefined ? Number(ref[2]) : parseInt(ref[3]!, 16))) return `the character reference ${ref[0]} names no XML character`;
    MARKUP.lastIndex = at + ref[0].length;
  }
  return undefined;
}

/**
 * Reads a document: one root element, nothing but comments, processing instructions and white
 * space around it, every reference one XML defines. A DOCTYPE is refused before anything reads the
 * text, so no entity it declares is ever expanded. The problem found otherwise, in words for the
 * sender (the parser's message clipped: it may quote a name of any length).
 */
export function readXmlDocument(text: string): XmlDocument | { problem: string } {
  if (/<!DOCTYPE/i.test(text)) return { problem: 'a DOCTYPE is not allowed (a NEMS message has no DTD, and no entity is expanded)' };
  const body = text.replace(XML_DECLARATION, '');
  if (body.trim() === '') return { problem: 'the body has no root element' };
  const wrapped = `<${WRAPPER}>${body}</${WRAPPER}>`;
  const valid = XMLValidator.validate(wrapped);
  if (valid !== true) return { problem: clipForDiagnostics(valid.err.msg) };
  const reference = referenceProblem(body);
  if (reference) return { problem: reference };
  let top: XmlNode;
  let outside: Ordered[];
  try {
    const parsed = parser.parse(wrapped) as Ordered[];
    const wrappers = parsed.filter((entry) => Object.keys(entry).some((k) => k !== ':@'));
    if (wrappers.length !== 1 || !(WRAPPER in wrappers[0]!)) return { problem: 'the document must have exactly one root element' };
    outside = (wrappers[0]![WRAPPER] as Ordered[]) ?? [];
    top = toNode(outside, undefined);
  } catch {
    return { problem: 'the body could not be read as XML' };
  }
  for (const entry of outside) {
    const name = Object.keys(entry).find((k) => k !== ':@');
    if (name === '#text' && String(entry['#text']).trim() !== '') return { problem: 'text outside the root element' };
    if (name === '?xml') return { problem: 'an XML declaration is allowed only at the start of the document' };
  }
  const roots = [...top.children.entries()];
  if (roots.length !== 1 || roots[0]![1].length !== 1) return { problem: 'the document must have exactly one root element' };
  return { rootName: roots[0]![0], root: roots[0]![1][0]! };
}

/** `readXmlDocument`, undefined for anything that is not one well-formed document. */
export function parseXmlDocument(text: string): XmlDocument | undefined {
  const read = readXmlDocument(text);
  return 'problem' in read ? undefined : read;
}

export const child = (node: XmlNode | undefined, name: string): XmlNode | undefined => node?.children.get(name)?.[0];
export const children = (node: XmlNode | undefined, name: string): XmlNode[] => node?.children.get(name) ?? [];
export const valueOf = (node: XmlNode | undefined, name: string): string | undefined => child(node, name)?.value;
/** The extension of `node` with this url. */
export const extension = (node: XmlNode | undefined, url: string): XmlNode | undefined => children(node, 'extension').find((e) => e.url === url);
/** The one resource inside a `resource` element, with its type. */
export function resourceIn(node: XmlNode | undefined): { type: string; node: XmlNode } | undefined {
  const holder = child(node, 'resource');
  const entries = holder ? [...holder.children.entries()] : [];
  if (entries.length !== 1) return undefined;
  return { type: entries[0]![0], node: entries[0]![1][0]! };
}
