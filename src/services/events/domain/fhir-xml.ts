import { XMLParser, XMLValidator } from 'fast-xml-parser';

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
  // No entity expansion beyond XML's own five: a NEMS document has no DTD.
  processEntities: true,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNode(entries: Ordered[], attributes: Record<string, string> | undefined): XmlNode {
  const node: XmlNode = { value: attributes?.['@value'], url: attributes?.['@url'], children: new Map() };
  for (const entry of entries) {
    const name = Object.keys(entry).find((k) => k !== ':@');
    if (!name || name === '#text' || name === '?xml' || name === '#comment') continue;
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

/** Parses a document; undefined when it is not well-formed XML with one root element. */
export function parseXmlDocument(text: string): { rootName: string; root: XmlNode } | undefined {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) return undefined;
  if (/<!DOCTYPE/i.test(text)) return undefined;
  let top: XmlNode;
  try {
    top = toNode(parser.parse(text) as Ordered[], undefined);
  } catch {
    return undefined;
  }
  const roots = [...top.children.entries()];
  if (roots.length !== 1 || roots[0]![1].length !== 1) return undefined;
  return { rootName: roots[0]![0], root: roots[0]![1][0]! };
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
