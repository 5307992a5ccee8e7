import type { WebhookReach } from '../domain/webhook-reach.js';

/**
 * Where an MNS subscription delivers (`channel.endpoint`): a MESH mailbox and the workflow the
 * subscriber picked (`mesh://MAILBOX?workflow_id=WF`, MNS's form), or, OpenSpine's extension, a
 * webhook (`channel.type` `rest-hook`): an `https://` URL, or in sandbox mode also a loopback
 * `http://` URL so a supplier can receive events on a laptop. Either only to a host the relay may
 * reach (`WebhookReach`: no loopback, private or link-local address outside sandbox mode and the
 * deployment's own networks). MNS's SQS channel needs AWS, which OpenSpine does not run.
 */
export type Channel = { channel: 'mesh'; mailbox: string; workflowId: string } | { channel: 'rest-hook'; url: string };

const MESH = /^mesh:\/\/([A-Za-z0-9_]{1,20})\?workflow_id=([\w.-]{1,64})$/;
/**
 * The characters a URI may hold (RFC 3986: unreserved, reserved and `%` of percent-encodings).
 * WHATWG's `URL` is lenient where RFC 3986 is not: it drops spaces and controls around the text and
 * tabs and newlines inside it, and percent-encodes the rest, so without this an endpoint such as
 * `" https://…"` was taken and echoed back with its space.
 */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;

export function parseChannel(type: string, endpoint: string, sandbox: boolean, reach: WebhookReach): Channel | { problem: string } {
  if (type === 'message') {
    const match = MESH.exec(endpoint);
    if (match) return { channel: 'mesh', mailbox: match[1]!.toUpperCase(), workflowId: match[2]! };
    if (endpoint.startsWith('arn:aws:sqs:')) return { problem: 'SQS delivery is not offered by OpenSpine: use a mesh:// endpoint or a rest-hook channel' };
    return { problem: 'Please provide a valid endpoint: mesh://{MAILBOX}?workflow_id={WORKFLOW}' };
  }
  const notUrl = { problem: 'Please provide a valid endpoint: an https:// URL' };
  if (!URI_CHARACTERS.test(endpoint)) return notUrl;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return notUrl;
  }
  if (url.username || url.password || url.hash) return { problem: 'A webhook URL may not carry credentials or a fragment' };
  if ((url.protocol === 'https:' || url.protocol === 'http:') && !reach.allowsHost(url.hostname)) {
    return { problem: 'Please provide a valid endpoint: a webhook may not be sent to a loopback, private, link-local or other internal address' };
  }
  if (url.protocol === 'https:') return { channel: 'rest-hook', url: url.href };
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol === 'http:' && loopback && sandbox) return { channel: 'rest-hook', url: url.href };
  return { problem: sandbox ? 'Please provide a valid endpoint: an https:// URL, or http:// on loopback' : 'Please provide a valid endpoint: an https:// URL' };
}
