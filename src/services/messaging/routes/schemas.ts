import { Type, type TSchema } from '@sinclair/typebox';
import { SEND_HEADER_LIMITS } from '../protocol/send-headers.js';

/**
 * What MESH routes accept, declared for the door (platform/http/validation.ts) and published in
 * MESH's OpenAPI document. Limits are the MESH spec's parameter schemas (mesh-api.yaml); a refusal
 * is rendered in MESH's error shape by `meshRefusal` (refusals.ts).
 */

/** Path parameters under their Fastify names; `PARAMETER_NAMES` gives the spec's. */
const mailbox = Type.String({ minLength: 1, maxLength: 100, description: 'mailbox identifier' });
const messageId = Type.String({ minLength: 1, maxLength: 100, description: 'message identifier' });
// "The index number of the chunk": a whole number from 1 (at most nine digits, as MESH chunk totals go).
const chunk = Type.Integer({ minimum: 1, maximum: 999_999_999, description: 'The index number of the chunk' });

export const MailboxParamsSchema = Type.Object({ mailbox });
export const MessageParamsSchema = Type.Object({ mailbox, messageId });
export const ChunkParamsSchema = Type.Object({ mailbox, messageId, chunk });
export const LocalIdParamsSchema = Type.Object({ mailbox, localId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-localid'], description: 'The user supplied (local ID) of the message' }) });
export const EndpointLookupParamsSchema = Type.Object({
  odsCode: Type.String({ minLength: 1, maxLength: 100, description: 'The ODS code of the organisation' }),
  workflowId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-workflowid'], description: 'The Workflow ID of the message' }),
});
export const WorkflowSearchParamsSchema = Type.Object({
  workflowId: Type.String({ minLength: 1, maxLength: SEND_HEADER_LIMITS['mex-workflowid'], description: 'The Workflow ID of the message' }),
});

/** Fastify's parameter names → the spec's, as MESH names them in an error's `loc`. */
export const PARAMETER_NAMES: Record<string, string> = {
  mailbox: 'mailbox_id', messageId: 'message_id', chunk: 'chunk_number', localId: 'local_id', odsCode: 'ods_code', workflowId: 'workflow_id',
};

/** `GET …/outbox/tracking?messageID=`: required by the spec. */
export const TrackingQuerySchema = Type.Object({ messageID: Type.String({ minLength: 1, maxLength: 100, description: 'message identifier' }) });

// MESH refuses control characters in any control header, and a URL where an address belongs
// (mesh-sandbox mex_headers.py: "MalformedControlFile"). JSON Schema patterns have no flags: the
// scheme is matched letter by letter in either case.
const NO_CONTROL = '[^\\u0000-\\u001f\\u007f]*';
const NOT_A_URL = '(?!\\s*[hH][tT][tT][pP][sS]?://)';
const URL_CHECKED = new Set(['mex-to', 'mex-workflowid', 'mex-content-checksum']);

const DESCRIPTIONS: Record<keyof typeof SEND_HEADER_LIMITS, string> = {
  'mex-to': 'Recipient mailbox ID',
  'mex-workflowid': 'Identifies the type of message being sent e.g. Pathology, GP Capitation.',
  'mex-subject': 'additional message subject',
  'mex-localid': 'local identifier, your reference',
  'mex-partnerid': 'partner identifier',
  'mex-filename': 'local filename',
  'mex-content-checksum': 'Checksum of the original message contents, as provided by the message sender',
  'mex-content-type': 'content type of the message when decoded',
  'mex-chunk-range': 'chunk range for the current chunk',
};

const names = Object.keys(SEND_HEADER_LIMITS) as Array<keyof typeof SEND_HEADER_LIMITS>;

/**
 * The control headers of `POST /{mailbox}/outbox`, checked in MESH's order: every header free of
 * control characters (and URLs), then every header within its length, then `mex-To`, then
 * `mex-WorkflowID` present. The `allOf` sets that order; `properties`/`required` document them.
 */
export const SendHeadersSchema: TSchema = {
  type: 'object',
  required: ['mex-to', 'mex-workflowid'],
  properties: Object.fromEntries(names.map((name) => [name, {
    type: 'string', maxLength: SEND_HEADER_LIMITS[name], pattern: `^${URL_CHECKED.has(name) ? NOT_A_URL : ''}${NO_CONTROL}$`, description: DESCRIPTIONS[name],
  }])),
  allOf: [
    { properties: Object.fromEntries(names.map((name) => [name, { type: 'string', pattern: `^${URL_CHECKED.has(name) ? NOT_A_URL : ''}${NO_CONTROL}$` }])) },
    { properties: Object.fromEntries(names.map((name) => [name, { type: 'string', maxLength: SEND_HEADER_LIMITS[name] }])) },
    { required: ['mex-to'] },
    { required: ['mex-workflowid'] },
  ],
} as unknown as TSchema;

/** `POST /{mailbox}/outbox/{id}/{n}`: the chunk's own headers, within the spec's limits. */
export const ChunkHeadersSchema: TSchema = Type.Object({
  'mex-chunk-range': Type.Optional(Type.String({ maxLength: SEND_HEADER_LIMITS['mex-chunk-range'], description: DESCRIPTIONS['mex-chunk-range'] })),
});
