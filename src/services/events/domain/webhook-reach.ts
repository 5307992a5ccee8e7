import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { parseNetwork, type Network } from '../../../platform/events/relay-config.js';
import type { Config } from '../../../platform/config.js';

/**
 * Where a webhook may be sent. A subscriber names the URL, and the relay then POSTs to it, with
 * retries, from inside the Spine's network: left open, any application allowed to subscribe could
 * make the Spine reach its own database, a cloud's metadata service (169.254.169.254) or anything
 * else on the private network, and learn from the deliveries' outcomes which ports answer.
 *
 * So a webhook reaches public addresses only: never loopback, private, link-local, shared (CGNAT),
 * documentation, multicast or otherwise special-purpose ones (IANA's special-purpose registries),
 * unless the deployment names the networks its own receivers are on
 * (`OPENSPINE_EVENTS_WEBHOOK_NETWORKS`). Sandbox mode also reaches loopback, so a supplier can
 * receive events on a laptop. Checked when the subscription is made (an address written in the
 * URL, or a name such as `localhost`) and again for every connection, on the addresses the name
 * resolves to then (a name that later resolves inward is refused at the connection).
 *
 * The list is the registries' blocks that are not globally reachable, among them the newer IPv6
 * documentation prefix (3fff::/20, RFC 9637), SRv6 SIDs (5f00::/16, RFC 9602) and the dummy prefix
 * (100:0:0:1::/64, RFC 9780); 192.0.0.0/24 and 2001::/23 are refused whole, though a few anycast
 * entries inside them are reachable, as no webhook receiver lives there.
 */
const SPECIAL_PURPOSE: readonly Network[] = [
  ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['198.18.0.0', 15, 'ipv4'], ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'], ['224.0.0.0', 4, 'ipv4'], ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'], ['::1', 128, 'ipv6'], ['64:ff9b::', 96, 'ipv6'], ['64:ff9b:1::', 48, 'ipv6'], ['100::', 64, 'ipv6'],
  ['100:0:0:1::', 64, 'ipv6'], ['2001::', 23, 'ipv6'], ['2001:db8::', 32, 'ipv6'], ['2002::', 16, 'ipv6'], ['3fff::', 20, 'ipv6'],
  ['5f00::', 16, 'ipv6'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
  // IPv4 written inside IPv6 the ways the registries do not list: IPv4-compatible (`::a.b.c.d`,
  // deprecated by RFC 4291) and IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765). IPv4-mapped
  // (`::ffff:a.b.c.d`) needs no entry: BlockList checks it against the IPv4 networks above, and an
  // entry would block every IPv4 address with it.
  ['::', 96, 'ipv6'], ['::ffff:0:0:0', 96, 'ipv6'],
];
const LOOPBACK: readonly Network[] = [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']];

function blockListOf(networks: readonly Network[]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, type] of networks) list.addSubnet(address, prefix, type);
  return list;
}
const SPECIAL = blockListOf(SPECIAL_PURPOSE);

/** An address without the brackets a URL's IPv6 host carries. */
const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

export class WebhookReach {
  private readonly allowed: BlockList;

  /** `networks`: CIDRs the deployment's own receivers are on; `loopback`: sandbox mode's laptop receivers. */
  constructor(networks: readonly string[], loopback: boolean) {
    const parsed = networks.map((network) => {
      const found = parseNetwork(network);
      if (!found) throw new Error(`not a network (address/prefix): '${network}'`);
      return found;
    });
    this.allowed = blockListOf([...parsed, ...(loopback ? LOOPBACK : [])]);
  }

  /** Whether a webhook may connect to this IP address. */
  allowsAddress(address: string): boolean {
    const version = isIP(address);
    if (version === 0) return false;
    const type = version === 4 ? 'ipv4' : 'ipv6';
    return !SPECIAL.check(address, type) || this.allowed.check(address, type);
  }

  /**
   * Whether a URL's host may be subscribed to: an address, by `allowsAddress`; a loopback name
   * (`localhost`, `*.localhost`, which resolvers answer without DNS) as loopback; any other name
   * for now (its addresses are checked at each connection).
   */
  allowsHost(hostname: string): boolean {
    const host = bare(hostname).toLowerCase();
    if (isIP(host) !== 0) return this.allowsAddress(host);
    if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.') return this.allowsAddress('127.0.0.1');
    return true;
  }

  /**
   * A `lookup` for `net.connect` and `tls.connect` (undici's `connect` options): the name resolved
   * as usual, refused when any of its addresses is one a webhook may not reach, so a name cannot be
   * pointed inward after the subscription was made.
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((found) => !this.allowsAddress(found.address));
      if (refused) {
        return callback(Object.assign(new Error(`${hostname} resolves to ${refused.address}, which a webhook may not reach`), { code: 'EWEBHOOKADDRESS' }), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** The reach of a Spine's webhooks: the deployment's networks, and loopback in sandbox mode. */
export const webhookReachOf = (config: Pick<Config, 'sandbox' | 'events'>) => new WebhookReach(config.events.webhookNetworks, config.sandbox);
