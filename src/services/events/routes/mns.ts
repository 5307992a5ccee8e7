import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../../platform/service.js';
import { SpineError } from '../../../platform/http/errors.js';
import { enqueueEvent } from '../../../platform/events/outbox.js';
import { directoryApi } from '../../directory/api.js';
import { auditEvents } from '../audit.js';
import { MNS_ERRORS } from '../errors.js';
import { MNS_EVENT_TYPES, PUBLISHED_MNS_EVENT, SPINE_EVENT_TYPES } from '../domain/event-types.js';
import { parseMnsCriteria } from '../domain/mns-criteria.js';
import { UUID4, decodeCursor, encodeCursor } from '../domain/mns-cursor.js';
import { newSigningSecret } from '../domain/signing.js';
import type { CloudEvent } from '../domain/mns-signal.js';
import { deleteSubscription, findSubscription, listSubscriptions, saveUnlessMatching, type SubscriptionRow } from '../store/subscriptions.js';
import { mnsErrorHandler } from './mns-errors.js';
import { unstorable } from './nems-wire.js';
import { containsNulInJson, nulInBodyError } from '../../../platform/http/nul-guard.js';
import { parseChannel } from './subscription-channel.js';
import { webhookReachOf } from '../domain/webhook-reach.js';
import { CLOUD_EVENT_BODY, CORRELATION_HEADERS, LIST_QUERY, MNS_SUBSCRIPTION_BODY, SUBSCRIPTION_ID_PARAMS } from './mns-schemas.js';

const PAGE = 50;
/** Event types the Spine raises itself: nobody else may publish them. */
const SPINE_RAISED = new Set(SPINE_EVENT_TYPES.map((t) => t.mns));

interface MnsSubscriptionBody {
  resourceType: 'Subscription';
  status: 'requested';
  end?: string;
  reason: string;
  criteria: string;
  channel: { type: 'message' | 'rest-hook'; endpoint: string; payload: 'application/json' | 'application/fhir+json' };
  hydration?: { enabled: boolean; headers?: Record<string, string> };
}

const invalid = (field: string, message: string) => new SpineError(MNS_ERRORS.VALIDATION, `${field}: ${message}`);

/** MNS (`multicast-notification-service.yaml`) under `/multicast-notification-service`. */
export async function mnsRoutes(app: FastifyInstance, ctx: PlatformContext) {
  app.setErrorHandler(mnsErrorHandler);
  // A path or method MNS does not have answers in MNS's shape (`{errors}`), as its other refusals do.
  app.setNotFoundHandler((request, reply) =>
    mnsErrorHandler(new SpineError(MNS_ERRORS.NOT_FOUND, `No such endpoint: ${request.method} ${request.url.split('?')[0]}`), request, reply));
  // CloudEvents are JSON under their own media type, with the platform's JSON door checks.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/cloudevents+json', { parseAs: 'string' }, (request, body, done) => {
    // A coded body (Content-Encoding) is refused by the door in its turn, not parsed.
    if (request.bodyRefusal) return done(null, undefined);
    if (containsNulInJson(body as string)) return done(nulInBodyError(), undefined);
    return parseJson(request, body as string, (err, parsed) => {
      if (err) return done(err, undefined);
      const refused = unstorable('', parsed);
      return refused ? done(refused, undefined) : done(null, parsed);
    });
  });
  const subscribe = { activity: 'events:subscribe' as const };
  const reach = webhookReachOf(ctx.config);
  const base = () => `${ctx.config.publicBaseUrl}/multicast-notification-service`;
  const owner = (request: FastifyRequest) => request.principal!.appId;

  const subscriptionFrom = async (request: FastifyRequest, id: string, body: MnsSubscriptionBody): Promise<SubscriptionRow> => {
    // `end` ("Optional expiry date/time for the subscription", create-or-update-subscription-body.yaml)
    // is kept and shown as given, and not acted on: the spec says MNS's implementation does not use it,
    // and its own example requests send 2022's, so a client written for MNS may send one long past and
    // still expects its events. (NEMS's `end` is acted on: its pages say the subscription stops then.)
    const criteria = parseMnsCriteria(body.criteria);
    if ('problem' in criteria) throw invalid('criteria', criteria.problem);
    // Hydration (create-or-update-subscription-body.yaml; fhirsignal.schema.json's hydrated-signal)
    // is offered "for selected event types": MNS GETs the event's dataref from the publisher's API and
    // delivers the answer beside the signal. OpenSpine hydrates no event type, so a subscription asking
    // for it is refused, naming the field, rather than stored and delivered without what it asked for
    // (its subscriber cannot reach the publisher's API, or it would not ask). `enabled: false`, MNS's
    // default, is accepted.
    if (body.hydration?.enabled === true) throw invalid('hydration.enabled', `Hydration is not available for eventType '${criteria.eventType}'`);
    const channel = parseChannel(body.channel.type, body.channel.endpoint, ctx.config.sandbox, reach);
    if ('problem' in channel) throw invalid('channel.endpoint', channel.problem);
    if (channel.channel === 'mesh') {
      const mailbox = await directoryApi(ctx.db).getMailbox(channel.mailbox);
      if (!mailbox) throw invalid('channel.endpoint', `MESH mailbox ${channel.mailbox} is not registered`);
      // MNS delivers to "your" MESH mailbox: as NEMS (explore_create_subscription), the mailbox must be
      // the subscriber's organisation's, or anyone could send events, NHS numbers and all, into
      // another organisation's mailbox on any workflow. Sandbox mode's caller may use the sandbox mailboxes.
      if (!ctx.config.sandbox && mailbox.odsCode.toUpperCase() !== request.principal!.odsCode.toUpperCase()) {
        throw invalid('channel.endpoint', `MESH mailbox ${mailbox.mailboxId} belongs to organisation ${mailbox.odsCode}, not to ${request.principal!.odsCode}`);
      }
    }
    const at = ctx.clock.now();
    return {
      id, api: 'mns', ownerAppId: owner(request), ownerOds: request.principal!.odsCode, criteria: body.criteria, rule: { ...criteria },
      eventTypes: [criteria.eventType], channel: channel.channel, endpoint: channel.channel === 'mesh' ? body.channel.endpoint : channel.url,
      mailbox: channel.channel === 'mesh' ? channel.mailbox : undefined, workflowId: channel.channel === 'mesh' ? channel.workflowId : undefined,
      payloadType: body.channel.payload, signingSecret: channel.channel === 'rest-hook' ? newSigningSecret() : undefined,
      resource: {
        resourceType: 'Subscription', id, status: 'active', reason: body.reason, criteria: body.criteria,
        channel: { type: body.channel.type, endpoint: body.channel.endpoint, payload: body.channel.payload },
        ...(body.end ? { end: body.end } : {}),
      },
      createdAt: at,
    };
  };

  app.post('/subscriptions', { schema: { headers: CORRELATION_HEADERS, body: MNS_SUBSCRIPTION_BODY }, config: subscribe }, async (request, reply) => {
    const body = request.body as MnsSubscriptionBody;
    const subscription = await subscriptionFrom(request, randomUUID(), body);
    const saved = await saveUnlessMatching(ctx.db, subscription);
    if ('matching' in saved) throw new SpineError(MNS_ERRORS.CONFLICT, `A matching subscription already exists with id: ${saved.matching}`);
    await auditEvents(ctx, request, { action: 'subscription.create', resource: `Subscription/${subscription.id}`, detail: { api: 'mns', criteria: subscription.criteria, channel: subscription.channel } });
    // The signing secret is shown once, here; it is never read back.
    return reply.code(201).header('Location', `${base()}/subscriptions/${subscription.id}`).type('application/json')
      .send({ id: subscription.id, ...(subscription.signingSecret ? { signingSecret: subscription.signingSecret } : {}) });
  });

  app.get('/subscriptions', { schema: { headers: CORRELATION_HEADERS, querystring: LIST_QUERY }, config: subscribe }, async (request, reply) => {
    const raw = (request.query as { continue_from?: string }).continue_from;
    const cursor = raw === undefined ? undefined : decodeCursor(raw);
    if (raw !== undefined && !cursor) throw new SpineError(MNS_ERRORS.BAD_CONTINUE_FROM, MNS_ERRORS.BAD_CONTINUE_FROM.display);
    const rows = await listSubscriptions(ctx.db, owner(request), cursor, PAGE + 1);
    const page = rows.slice(0, PAGE);
    const last = page[page.length - 1];
    const next = rows.length > PAGE && last ? encodeCursor({ at: last.createdAt, id: last.id }) : undefined;
    await auditEvents(ctx, request, { action: 'subscription.list', resource: 'Subscription', detail: { api: 'mns', returned: page.length } });
    return reply.type('application/fhir+json').send({
      // The spec's members only (get-all-subscriptions: resourceType, type, link, entry): no `total`, which
      // FHIR would have count every match, where this one counted the page.
      resourceType: 'Bundle', type: 'searchset',
      link: [{ relation: 'self', url: `${base()}/subscriptions` }, ...(next ? [{ relation: 'next', url: `${base()}/subscriptions?continue_from=${next}` }] : [])],
      // MNS (get-all-subscriptions) lists the Subscriptions themselves as the entries, not FHIR's
      // {fullUrl, resource}: a client written for MNS reads entry[i].id.
      entry: page.map((s) => s.resource),
    });
  });

  const byId = (id: string) => {
    if (!UUID4.test(id)) throw new SpineError(MNS_ERRORS.BAD_ID, MNS_ERRORS.BAD_ID.display);
    return id.toLowerCase();
  };
  const ownSubscription = async (request: FastifyRequest, id: string) => {
    const found = await findSubscription(ctx.db, 'mns', byId(id));
    // Another owner's subscription is not found: MNS lists and reads the caller's own only.
    if (!found || found.ownerAppId !== owner(request)) throw new SpineError(MNS_ERRORS.NOT_FOUND, 'Not found');
    return found;
  };

  app.get<{ Params: { id: string } }>('/subscriptions/:id', { schema: { headers: CORRELATION_HEADERS, params: SUBSCRIPTION_ID_PARAMS }, config: subscribe }, async (request, reply) => {
    const found = await ownSubscription(request, request.params.id);
    await auditEvents(ctx, request, { action: 'subscription.read', resource: `Subscription/${found.id}`, detail: { api: 'mns' } });
    return reply.type('application/fhir+json').send(found.resource);
  });

  app.put<{ Params: { id: string } }>('/subscriptions/:id', { schema: { headers: CORRELATION_HEADERS, params: SUBSCRIPTION_ID_PARAMS, body: MNS_SUBSCRIPTION_BODY }, config: subscribe }, async (request, reply) => {
    const found = await ownSubscription(request, request.params.id);
    const replacement = await subscriptionFrom(request, found.id, request.body as MnsSubscriptionBody);
    // A replace keeps the id and the signing secret (a webhook's receiver keeps verifying).
    const saved = await saveUnlessMatching(ctx.db, { ...replacement, createdAt: found.createdAt }, found.id);
    if ('matching' in saved) throw new SpineError(MNS_ERRORS.CONFLICT, `A matching subscription already exists with id: ${saved.matching}`);
    // Deleted meanwhile: not found, as a replace after the delete would be.
    if ('gone' in saved) throw new SpineError(MNS_ERRORS.NOT_FOUND, 'Not found');
    await auditEvents(ctx, request, { action: 'subscription.update', resource: `Subscription/${found.id}`, detail: { api: 'mns', criteria: replacement.criteria } });
    // MNS answers a replace 204. A replace that makes a webhook of a subscription that had none (a
    // MESH channel before) mints its signing secret, shown here once as a create shows it: a 204
    // left the receiver unable to verify a single delivery.
    if (saved.signingSecret !== undefined && found.signingSecret === undefined) {
      return reply.code(200).type('application/json').send({ id: found.id, signingSecret: saved.signingSecret });
    }
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>('/subscriptions/:id', { schema: { headers: CORRELATION_HEADERS, params: SUBSCRIPTION_ID_PARAMS }, config: subscribe }, async (request, reply) => {
    const found = await ownSubscription(request, request.params.id);
    await deleteSubscription(ctx.db, 'mns', found.id, ctx.clock.now());
    await auditEvents(ctx, request, { action: 'subscription.delete', resource: `Subscription/${found.id}`, detail: { api: 'mns' } });
    return reply.code(204).send();
  });

  app.post('/events', { schema: { headers: CORRELATION_HEADERS, body: CLOUD_EVENT_BODY }, config: { activity: 'events:publish' } }, async (request, reply) => {
    const event = request.body as CloudEvent;
    if (!MNS_EVENT_TYPES.has(event.type)) throw invalid('type', `Unknown event type '${event.type}'`);
    if (SPINE_RAISED.has(event.type)) throw new SpineError(MNS_ERRORS.FORBIDDEN_EVENT, MNS_ERRORS.FORBIDDEN_EVENT.display);
    await enqueueEvent(ctx.db, { type: PUBLISHED_MNS_EVENT, source: 'events', nhsNumber: event.subject, payload: { event } });
    await auditEvents(ctx, request, { action: 'event.publish', resource: `Event/${event.id}`, nhsNumbers: event.subject ? [event.subject] : [], detail: { api: 'mns', type: event.type } });
    return reply.code(200).type('application/json').send({ id: event.id });
  });
}
