import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyErrorClipped } from '../../../platform/http/error-mapper.js';
import { nulInBodyError } from '../../../platform/http/nul-guard.js';
import { RequestValidationError, fieldPath, findIllFormedString } from '../../../platform/http/validation-failure.js';
import { operationOutcome } from '../../../platform/fhir/operation-outcome.js';
import { NEMS_ERRORS, nemsError } from '../errors.js';
import { child, children, extension, readXmlDocument, resourceIn, toFhirXml, valueOf, type XmlDocument, type XmlNode } from '../domain/fhir-xml.js';

/**
 * NEMS on the wire: XML by default (`application/xml+fhir`), JSON when the client asks for it
 * (`Accept` or `_format`, or a JSON request body); errors as the Spine-OperationOutcome-1.
 */
export const XML_TYPES = ['application/fhir+xml', 'application/xml+fhir', 'application/xml', 'text/xml'];

export function wantsJson(request: FastifyRequest): boolean {
  const format = (request.query as { _format?: unknown } | undefined)?._format;
  const accept = `${typeof format === 'string' ? format : ''} ${request.headers.accept ?? ''}`;
  if (/xml/i.test(accept)) return false;
  if (/json/i.test(accept)) return true;
  return /json/i.test(request.headers['content-type'] ?? '');
}

export function sendNemsResource(request: FastifyRequest, reply: FastifyReply, resource: Record<string, unknown>) {
  return wantsJson(request)
    ? reply.type('application/fhir+json;charset=utf-8').send(resource)
    : reply.type('application/fhir+xml;charset=utf-8').send(toFhirXml(resource));
}

export function nemsErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  // A refused value is quoted by its first 100 characters and its length, never whole: a body may be
  // 3 MB, and the whole of a 50 kB criteria came back in the OperationOutcome.
  let classified = classifyErrorClipped(err, request);
  // Refusals at the door and the framework's own, in NEMS's codes.
  // NEMS reads no query: a query refused at the door (not valid percent-encoded UTF-8) is a bad value, not a bad resource.
  if (classified.failure) classified = { ...classified, spec: classified.failure.part === 'querystring' ? NEMS_ERRORS.INVALID_VALUE : NEMS_ERRORS.INVALID_RESOURCE };
  else if (classified.spec.code === 'MESSAGE_TOO_LARGE') classified = { ...classified, spec: NEMS_ERRORS.MESSAGE_TOO_LARGE };
  else if (classified.spec.status === 415) classified = { ...classified, spec: NEMS_ERRORS.UNSUPPORTED_MEDIA_TYPE };
  else if (classified.spec.status === 401) classified = { ...classified, spec: NEMS_ERRORS.UNAUTHENTICATED };
  else if (classified.spec.status === 403 && !classified.spec.system) classified = { ...classified, spec: NEMS_ERRORS.ACCESS_DENIED };
  else if (classified.spec.status === 400 && !classified.spec.system) classified = { ...classified, spec: NEMS_ERRORS.MESSAGE_NOT_WELL_FORMED };
  else if (classified.spec.status === 404 && !classified.spec.system) classified = { ...classified, spec: NEMS_ERRORS.NO_RECORD_FOUND };
  else if (classified.spec.status === 503) classified = { ...classified, spec: NEMS_ERRORS.SERVICE_UNAVAILABLE };
  else if (classified.spec.status === 500) classified = { ...classified, spec: NEMS_ERRORS.INTERNAL_SERVER_ERROR };
  else if (classified.spec.status === 429) classified = { ...classified, spec: NEMS_ERRORS.TOO_MANY_REQUESTS };
  // Any other of the door's refusals (405, 408, an unmet Expect's 417) keeps its status in NEMS's codes:
  // NOT_IMPLEMENTED for a method, else INVALID_REQUEST_MESSAGE (a choice: the NEMS spec names neither).
  else if (!classified.spec.system) {
    const like = classified.spec.status === 405 ? NEMS_ERRORS.NOT_IMPLEMENTED : NEMS_ERRORS.INVALID_REQUEST_MESSAGE;
    classified = { ...classified, spec: { ...like, status: classified.spec.status, issueCode: classified.spec.issueCode } };
  }
  if (classified.headers) reply.headers(classified.headers);
  const outcome = operationOutcome({ ...classified.spec, diagnostics: classified.diagnostics }) as unknown as Record<string, unknown>;
  outcome.meta = { profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1'] };
  reply.code(classified.spec.status);
  return sendNemsResource(request, reply, { resourceType: 'OperationOutcome', meta: outcome.meta, issue: outcome.issue });
}

/**
 * A posted XML body as a document, or NEMS's refusal of a body that is not one well-formed XML
 * document (Spine-ErrorOrWarningCode-1 MESSAGE_NOT_WELL_FORMED, 400, as Spine Core answers a payload
 * it cannot parse): a DOCTYPE, a second root element, text after the root, an undefined entity. It
 * was read as an empty resource and refused "Missing value - 'status'", naming a field that was there.
 */
export function nemsXmlDocument(text: string): XmlDocument | Error {
  const read = readXmlDocument(text);
  return 'problem' in read ? nemsError(NEMS_ERRORS.MESSAGE_NOT_WELL_FORMED, `The message is not well-formed XML: ${read.problem}`) : read;
}

/** An EMS-Subscription-1 in XML, read into its JSON form (the elements the profile has). */
export function subscriptionFromXml(doc: XmlDocument): Record<string, unknown> {
  const root = doc.root;
  const channel = child(root, 'channel');
  const meta = child(root, 'meta');
  return strip({
    resourceType: doc.rootName,
    id: valueOf(root, 'id'),
    meta: meta ? strip({ profile: children(meta, 'profile').map((p) => p.value), versionId: valueOf(meta, 'versionId'), lastUpdated: valueOf(meta, 'lastUpdated') }) : undefined,
    status: valueOf(root, 'status'),
    contact: children(root, 'contact').map((c) => strip({ system: valueOf(c, 'system'), value: valueOf(c, 'value'), use: valueOf(c, 'use') })),
    end: valueOf(root, 'end'),
    reason: valueOf(root, 'reason'),
    criteria: valueOf(root, 'criteria'),
    channel: channel ? strip({ type: valueOf(channel, 'type'), endpoint: valueOf(channel, 'endpoint'), payload: valueOf(channel, 'payload') }) : undefined,
  });
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

/**
 * What the door checks of a published event (`explore_generic_event_requirements.md`): a `message`
 * Bundle whose first entry is a MessageHeader with an id, the event coding, the routing
 * demographics' NHS number, the message event type, a timestamp and the source's contact. The
 * document itself is kept as sent: NEMS forwards it unchanged.
 */
export interface PublishedEventSummary {
  xml: string;
  resourceType: string;
  type?: string;
  firstEntry?: string;
  header?: {
    id?: string;
    eventSystem?: string;
    eventCode?: string;
    messageEventType?: string;
    nhsNumberSystem?: string;
    nhsNumber?: string;
    birthDateTime?: string;
    timestamp?: string;
    sourceContact?: string;
  };
}

const ROUTING = 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-RoutingDemographics-1';
const EVENT_TYPE_EXT = 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-MessageEventType-1';

export function publishedEventSummary(text: string, doc: XmlDocument): PublishedEventSummary {
  const entries = children(doc.root, 'entry');
  const first = resourceIn(entries[0]);
  const summary: PublishedEventSummary = { xml: text, resourceType: doc.rootName, type: valueOf(doc.root, 'type'), firstEntry: first?.type };
  if (first?.type === 'MessageHeader') {
    const h: XmlNode = first.node;
    const routing = extension(h, ROUTING);
    const nhs = child(extension(routing, 'nhsNumber'), 'valueIdentifier');
    const coding = child(child(extension(h, EVENT_TYPE_EXT), 'valueCodeableConcept'), 'coding');
    const event = child(h, 'event');
    summary.header = Object.fromEntries(Object.entries({
      id: valueOf(h, 'id'),
      eventSystem: valueOf(event, 'system'),
      eventCode: valueOf(event, 'code'),
      messageEventType: valueOf(coding, 'code'),
      nhsNumberSystem: valueOf(nhs, 'system'),
      nhsNumber: valueOf(nhs, 'value'),
      birthDateTime: valueOf(extension(routing, 'birthDateTime'), 'valueDateTime'),
      timestamp: valueOf(h, 'timestamp'),
      sourceContact: valueOf(child(child(h, 'source'), 'contact'), 'value'),
    }).filter(([, v]) => v !== undefined));
  }
  return summary;
}

/**
 * PostgreSQL text holds neither U+0000 nor a lone surrogate, and XML can spell both (`&#0;`,
 * `&#xD800;`): a body whose raw text or read values hold one is refused at the door, never stored.
 */
export function unstorable(raw: string, read: unknown): Error | undefined {
  if (raw.includes('\u0000') || JSON.stringify(read).includes('\\u0000')) return nulInBodyError();
  const found = findIllFormedString(read);
  if (!found) return undefined;
  return new RequestValidationError({ part: 'body', kind: 'invalid', path: fieldPath(found.segments), value: found.value.replace(/\p{Surrogate}/gu, '\uFFFD'), keyword: 'unicode' });
}
