import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/platform/config.js';
import { parseEventRelayConfig } from '../../src/platform/events/relay-config.js';

/** The event relay's settings, as an operator writes them in the environment. */
const SETTINGS = ['OPENSPINE_EVENTS_RELAY', 'OPENSPINE_EVENTS_POLL_MS', 'OPENSPINE_EVENTS_BATCH', 'OPENSPINE_EVENTS_BACKOFF_MS',
  'OPENSPINE_EVENTS_MAX_BACKOFF_MS', 'OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S', 'OPENSPINE_EVENTS_RETENTION_HOURS',
  'OPENSPINE_EVENTS_WEBHOOK_TIMEOUT_MS', 'OPENSPINE_EVENTS_WEBHOOK_NETWORKS'] as const;
/** Where each count lands, and in what unit. */
const FIELDS = {
  OPENSPINE_EVENTS_POLL_MS: ['pollMs', 1], OPENSPINE_EVENTS_BATCH: ['batchSize', 1], OPENSPINE_EVENTS_BACKOFF_MS: ['baseBackoffMs', 1],
  OPENSPINE_EVENTS_MAX_BACKOFF_MS: ['maxBackoffMs', 1], OPENSPINE_EVENTS_DEAD_LETTER_AFTER_S: ['deadLetterAfterMs', 1000],
  OPENSPINE_EVENTS_RETENTION_HOURS: ['retentionMs', 3_600_000], OPENSPINE_EVENTS_WEBHOOK_TIMEOUT_MS: ['webhookTimeoutMs', 1],
} as const;
const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 10_000_000 }).map(String),
  fc.constantFrom('true', 'false', '0', '1', ' 5', '1e3', '0x10', '10.0.0.0/8', 'fd00::/8, 192.168.0.0/16', '10.0.0.0/33', 'localhost/8'));

describe('the event relay\'s settings', () => {
  it('any environment gives settings within their bounds or a ConfigError naming the setting, never another error', () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...SETTINGS), value), (env) => {
      let config;
      try {
        config = parseEventRelayConfig(env);
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(SETTINGS.some((name) => (err as Error).message.startsWith(name)), (err as Error).message);
        return;
      }
      for (const n of [config.pollMs, config.batchSize, config.baseBackoffMs, config.maxBackoffMs, config.deadLetterAfterMs, config.retentionMs, config.webhookTimeoutMs]) {
        assert.ok(Number.isSafeInteger(n) && n >= 1, String(n));
      }
      for (const network of config.webhookNetworks) assert.match(network, /^[0-9a-fA-F.:]+\/[0-9]{1,3}$/);
    }));
  });

  it('each count is the whole number written when it is at least 1, and refused by name when it is 0 or not a whole number', () => {
    const counts = Object.keys(FIELDS);
    fc.assert(fc.property(fc.constantFrom(...counts), fc.oneof(fc.integer({ min: 0, max: 3 }).map(String), fc.integer({ min: 0, max: 10_000_000 }).map(String), value), (name, text) => {
      const whole = /^[0-9]{1,15}$/.test(text) && Number(text) >= 1;
      if (text === '') return;
      if (!whole) {
        assert.throws(() => parseEventRelayConfig({ [name]: text }), (err: Error) => err instanceof ConfigError && err.message.startsWith(`${name} must be a whole number of at least 1`));
        return;
      }
      const config = parseEventRelayConfig({ [name]: text });
      const [field, scale] = FIELDS[name as keyof typeof FIELDS];
      assert.equal(config[field], Number(text) * scale, `${name}=${text}`);
    }));
  });

  it('the defaults, when nothing is set', () => {
    assert.deepEqual(parseEventRelayConfig({}), {
      enabled: true, pollMs: 200, batchSize: 500, baseBackoffMs: 1_000, maxBackoffMs: 900_000, deadLetterAfterMs: 432_000_000,
      retentionMs: 604_800_000, webhookTimeoutMs: 10_000, webhookNetworks: [],
    });
  });
});
