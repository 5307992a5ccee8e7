import { isUuid } from '../../../platform/uuids.js';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { directoryApi } from '../../directory/api.js';
import { auditEvents } from '../audit.js';
import { NEMS_ERRORS, nemsError } from '../errors.js';
import { NEMS_EVENT_CODES, PUBLISHED_NEMS_EVENT, SPINE_ONLY_NEMS_CODES } from '../domain/event-types.js';
import { isCriteriaProblem, parseNemsCriteria } from '../domain/nems-criteria.js';
import { deleteSubscription, findSubscription, saveUnlessMatching, subscriptionAsRead } from '../store/subscriptions.js';
import { ID_PARAMS, NEMS_SUBSCRIPTION_BODY, PUBLISHED_EVENT_BODY } from './nems-schemas.js';
import { XML_TYPES, nemsErrorHandler, nemsXmlDocument, unstorable, publishedEventSummary, sendNemsResource, subscriptionFromXml, type PublishedEventSummary } from './nems-wire.js';

const ORGANIZATION_URL = /^https:\/\/directory\.spineservices\.nhs\.uk\/STU3\/Organization\/([A-Za-z0-9]{1,12})$/;
/** NEMS: "The maximum event size is 3 MB". */
const MAX_EVENT_BYTES = 3 * 1024 * 1024;

interface NemsSubscription {
  resourceType: 'Subscription';
  id?: string;
  meta?: Record<string, unknown>;
  status: 'requested';
  contact: Array<{ system: string; value: string; use: string }>;
  end?: string;
  reason: string;
  criteria: string;
  channel: { type: 'message'; endpoint: string; payload?: string };
}

/** NEMS (STU3) under `/nems/STU3`: the Subscription API and the publish API. */
export async function nemsRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.setErrorHandler(nemsErrorHandler);
  // A path or method NEMS does not have (a search, a PUT: NEMS has neither) answers in NEMS's
  // shape, as its other refusals do; it was the platform's R4 OperationOutcome.
  app.setNotFoundHandler((request, reply) =>
    nemsErrorHandler(nemsError(NEMS_ERRORS.NO_RECORD_FOUND, `No such endpoint: ${request.method} ${request.url.split('?')[0]}`), request, reply));
  const read = { activity: 'events:subscribe' as const };
  const location = (id: string) => `${ctx.config.publicBaseUrl}/nems/STU3/Subscription/${id}`;

  await app.register(async (subscriptions) => {
    for (const type of XML_TYPES) {
      subscriptions.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 64 * 1024 }, (request, body, done) => {
        // A coded body (Content-Encoding) is refused by the door in its turn, not read as XML.
        if (request.bodyRefusal) return done(null, undefined);
        const doc = nemsXmlDocument(body as string);
        if (doc instanceof Error) return done(doc, undefined);
        const read = subscriptionFromXml(doc);
        const refused = unstorable(body as string, read);
        return refused ? done(refused, undefined) : done(null, read);
      });
    }

    subscriptions.post('/Subscription', { schema: { body: NEMS_SUBSCRIPTION_BODY }, config: read }, async (request, reply) => {
      const body = request.body as NemsSubscription;
      if (body.id !== undefined) throw nemsError(NEMS_ERRORS.INVALID_RESOURCE, 'A Subscription to create may not carry an id');
      // explore_create_subscription: `end` ends a temporary subscription. The spec is silent on an end
      // already passed; such a subscription could never deliver an event, so its maker hears of the mistake.
      if (body.end !== undefined && !(new Date(body.end) > ctx.clock.now())) {
        throw nemsError(NEMS_ERRORS.INVALID_RESOURCE, `Subscription.end (${body.end}) has passed: a subscription must end in the future`);
      }
      const criteria = parseNemsCriteria(body.criteria);
      if (isCriteriaProblem(criteria)) throw nemsError(NEMS_ERRORS[criteria.code], criteria.diagnostics);
      const contactOds = ORGANIZATION_URL.exec(body.contact[0]!.value)?.[1]?.toUpperCase();
      if (!contactOds) throw nemsError(NEMS_ERRORS.INVALID_RESOURCE, 'contact value must be https://directory.spineservices.nhs.uk/STU3/Organization/{ODS code}');
      if (contactOds !== request.principal!.odsCode.toUpperCase()) {
        throw nemsError(NEMS_ERRORS.ASID_CHECK_FAILED, `The requesting system is not authorised for organisation ${contactOds}`);
      }
      const mailbox = await directoryApi(ctx.db).getMailbox(body.channel.endpoint);
      if (!mailbox || !mailbox.active) throw nemsError(NEMS_ERRORS.INVALID_RESOURCE, `MESH mailbox ${body.channel.endpoint} is not registered`);
      // explore_create_subscription: the mailbox's ODS code must match the first contact's.
      if (mailbox.odsCode.toUpperCase() !== contactOds) {
        throw nemsError(NEMS_ERRORS.INVALID_RESOURCE, `The ODS code of the contact (${contactOds}) does not match the ODS code of MESH mailbox ${mailbox.mailboxId} (${mailbox.odsCode})`);
      }
      const id = randomUUID();
      const at = ctx.clock.now();
      const resource = {
        resourceType: 'Subscription', id, meta: { versionId: '1', lastUpdated: at.toISOString(), profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/EMS-Subscription-1'] },
        status: 'active', contact: body.contact, ...(body.end ? { end: body.end } : {}), reason: body.reason, criteria: body.criteria,
        channel: { type: 'message', endpoint: mailbox.mailboxId },
      };
      // An identical subscription (same criteria, same mailbox) the organisation already has is Spine
      // Core's DUPLICATE_REJECTED (409, Spine-ErrorOrWarningCode-1: "Create would lead to creation of a
      // duplicate resource"; NEMS answers its errors with these codes, explore_create_subscription.md).
      const saved = await saveUnlessMatching(ctx.db, {
        id, api: 'nems', ownerAppId: request.principal!.appId, ownerOds: contactOds, criteria: body.criteria, rule: { ...criteria },
        eventTypes: criteria.events, nhsNumber: criteria.nhsNumber, channel: 'mesh', endpoint: mailbox.mailboxId, mailbox: mailbox.mailboxId,
        tag: criteria.tag, resource, createdAt: at, endsAt: body.end ? new Date(body.end) : undefined,
      });
      if ('matching' in saved) throw nemsError(NEMS_ERRORS.DUPLICATE_REJECTED, `A matching subscription already exists with id: ${saved.matching}`);
      await auditEvents(ctx, request, { action: 'subscription.create', resource: `Subscription/${id}`, nhsNumbers: criteria.nhsNumber ? [criteria.nhsNumber] : [], detail: { api: 'nems', criteria: body.criteria, mailbox: mailbox.mailboxId } });
      return reply.code(201).header('Location', location(id)).header('ETag', 'W/"1"').header('Last-Modified', at.toUTCString()).send();
    });
  });

  const own = async (request: FastifyRequest, id: string) => {
    const found = isUuid(id) ? await findSubscription(ctx.db, 'nems', id.toLowerCase()) : undefined;
    // An organisation sees its own subscriptions only.
    if (!found || found.ownerOds !== request.principal!.odsCode.toUpperCase()) throw nemsError(NEMS_ERRORS.NO_RECORD_FOUND, `No Subscription ${id}`);
    return found;
  };

  app.get<{ Params: { id: string } }>('/Subscription/:id', { schema: { params: ID_PARAMS }, config: read }, async (request, reply) => {
    const found = await own(request, request.params.id);
    await auditEvents(ctx, request, { action: 'subscription.read', resource: `Subscription/${found.id}`, nhsNumbers: found.nhsNumber ? [found.nhsNumber] : [], detail: { api: 'nems' } });
    return sendNemsResource(request, reply, subscriptionAsRead(found, ctx.clock.now()));
  });

  app.delete<{ Params: { id: string } }>('/Subscription/:id', { schema: { params: ID_PARAMS }, config: read }, async (request, reply) => {
    const found = await own(request, request.params.id);
    await deleteSubscription(ctx.db, 'nems', found.id, ctx.clock.now());
    await auditEvents(ctx, request, { action: 'subscription.delete', resource: `Subscription/${found.id}`, nhsNumbers: found.nhsNumber ? [found.nhsNumber] : [], detail: { api: 'nems' } });
    return reply.code(200).send();
  });

  await app.register(async (publish) => {
    // The publish API takes XML only (publication_general_api_guidance): JSON is an unsupported media type.
    publish.removeAllContentTypeParsers();
    for (const type of XML_TYPES) {
      publish.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_EVENT_BYTES }, (request, body, done) => {
        if (request.bodyRefusal) return done(null, undefined);
        const doc = nemsXmlDocument(body as string);
        if (doc instanceof Error) return done(doc, undefined);
        const summary = publishedEventSummary(body as string, doc);
        const refused = unstorable(body as string, summary);
        return refused ? done(refused, undefined) : done(null, summary);
      });
    }
    publish.post('/Events/1/$process-message', { schema: { body: PUBLISHED_EVENT_BODY }, config: { activity: 'events:publish' } }, async (request, reply) => {
      const event = request.body as PublishedEventSummary;
      const header = event.header!;
      if (!NEMS_EVENT_CODES.has(header.eventCode!)) throw nemsError(NEMS_ERRORS.INVALID_CODE_VALUE, `Unknown MessageHeader.event code '${header.eventCode}'`);
      if (SPINE_ONLY_NEMS_CODES.has(header.eventCode!)) throw nemsError(NEMS_ERRORS.ACCESS_DENIED, `${header.eventCode} events are published by the Spine (PDS) only`);
      await enqueueEvent(ctx.db, {
        type: PUBLISHED_NEMS_EVENT, source: 'events', nhsNumber: header.nhsNumber,
        payload: { eventId: header.id, code: header.eventCode, xml: event.xml, nhsNumber: header.nhsNumber, birthDate: header.birthDateTime?.slice(0, 10) },
      });
      await auditEvents(ctx, request, { action: 'event.publish', resource: `MessageHeader/${header.id}`, nhsNumbers: [header.nhsNumber!], detail: { api: 'nems', event: header.eventCode, messageEventType: header.messageEventType } });
      return reply.code(202).send();
    });
  });
}
