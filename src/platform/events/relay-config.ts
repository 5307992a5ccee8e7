import { isIP } from 'node:net';
import { ConfigError, parseSwitch, parseWholeNumber } from '../config.js';

/** How the event relay delivers what the outbox holds (see services/events/README.md). */
export interface EventRelayConfig {
  /** Run the relay in this process (several processes may: they share the work). */
  enabled: boolean;
  /** Idle poll interval when there is nothing to route or deliver. */
  pollMs: number;
  /** Deliveries claimed per round. */
  batchSize: number;
  /** First retry after this long, doubling per attempt up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** A delivery still failing this long after it was routed is dead-lettered (visible, replayable). */
  deadLetterAfterMs: number;
  /** Routed outbox rows (and delivered deliveries) are pruned after this long; replay reaches this far back. */
  retentionMs: number;
  /** A webhook that has not answered within this long has failed (and is retried). */
  webhookTimeoutMs: number;
  /**
   * Networks (`address/prefix`) a webhook may reach although they are private or otherwise
   * special-purpose: where a deployment's own receivers are. None by default (services/events/README.md).
   */
  webhookNetworks: string[];
}

export type Network = [address: string, prefix: number, type: 'ipv4' | 'ipv6'];

/** `a.b.c.d/n` or `x::y/n`; undefined if the text is not one. */
export function parseNetwork(text: string): Network | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (version === 4 ? 32 : 128)) return undefined;
  return [address, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

function networks(env: NodeJS.ProcessEnv, name: string): string[] {
  const listed = (env[name] ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of listed) {
    if (!parseNetwork(item)) throw new ConfigError(`${name} must list networks as address/prefix (10.20.0.0/16, fd00::/8), not '${item}'`);
  }
  return listed;
}

const whole = (env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1) => parseWholeNumber(name, env[name], fallback, min);

export function parseEventRelayConfig(env: NodeJS.ProcessEnv): EventRelayConfig {
  return {
    enabled: parseSwitch('OPENSPINE_EVENTS_RELAY', env.OPENSPINE_EVENTS_RELAY, true),
    pollMs: whole(env, 'OPENSPINE_EVENTS_POLL_MS', 200),
    // Rounds of up to 500: when deliveries queue up, a larger round shares its claim, audit flush and
    // commit among more of them (at 200, the events bench fell behind at 3,500 deliveries/s in two
    // runs of six; at 500 in none of three). An idle relay sends what is due, however few.
    batchSize: whole(env, 'OPENSPINE_EVENTS_BATCH', 500),
    baseBackoffMs: whole(env, 'OPENSPINE_EVENTS_BACKOFF_MS', 1_000),
    maxBackoffMs: whole(env, 'OPENSPINE_EVENTS_MAX_BACKOFF_MS', 15 * 60_000),
    // MESH keeps an undelivered message 5 days; a webhook gets as long before it is dead-lettered.
    deadLetterAfterMs: whole(env, 'OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S', 5 * 24 * 3600) * 1000,
    retentionMs: whole(env, 'OPENSPINE_EVENTS_RETENTION_HOURS', 7 * 24) * 3600_000,
    webhookTimeoutMs: whole(env, 'OPENSPINE_EVENTS_WEBHOOK_TIMEOUT_MS', 10_000),
    webhookNetworks: networks(env, 'OPENSPINE_EVENTS_WEBHOOK_NETWORKS'),
  };
}
