import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, SERVICE_NAMES, loadConfig, parseServices, type Config } from './config.js';

describe('configuration', () => {
  it('defaults: port 9000 on loopback, all services, embedded database in ./.openspine', () => {
    const config = loadConfig({}, {});
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.services, [...SERVICE_NAMES]);
    assert.equal(config.databaseUrl, undefined);
    assert.match(config.dataDir, /\.openspine$/);
    assert.equal(config.publicBaseUrl, 'http://127.0.0.1:9000');
    assert.equal(config.sandbox, false);
  });

  it('flags win over the environment', () => {
    const config = loadConfig({ port: '9100', services: 'demographics' }, { PORT: '9200', OPENSPINE_SERVICES: 'messaging', DATABASE_URL: 'postgres://x/y' });
    assert.equal(config.port, 9100);
    assert.deepEqual(config.services, ['demographics']);
    assert.equal(config.databaseUrl, 'postgres://x/y');
  });

  it('refuses an unknown service, naming the known ones', () => {
    assert.throws(() => parseServices('demographics,nope'), (err: Error) =>
      err instanceof ConfigError && err.message.includes("unknown service 'nope'") && err.message.includes('messaging'));
  });

  it('refuses TLS with a key but no certificate', () => {
    assert.throws(() => loadConfig({ tlsKey: '/dev/null' }, {}), ConfigError);
  });

  it('any port string is either a valid port or a ConfigError, never anything else', () => {
    fc.assert(fc.property(fc.string(), (raw) => {
      try {
        const { port } = loadConfig({ port: raw }, {});
        assert.ok(Number.isInteger(port) && port >= 0 && port <= 65535);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
      }
    }));
  });

  it('database timeouts and shedding limits: defaults, and any value is a whole number or a ConfigError', () => {
    const config = loadConfig({}, {});
    assert.deepEqual(config.pool, { max: 20, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 });
    assert.deepEqual(config.overload, { maxInFlight: 256, maxEventLoopDelayMs: 1_000, maxHeapUsedBytes: 1_024 * 1024 * 1024 });
    const names = ['OPENSPINE_DB_CONNECT_TIMEOUT_MS', 'OPENSPINE_DB_STATEMENT_TIMEOUT_MS', 'OPENSPINE_MAX_IN_FLIGHT', 'OPENSPINE_MAX_EVENT_LOOP_DELAY_MS'] as const;
    fc.assert(fc.property(fc.constantFrom(...names), fc.oneof(fc.string(), fc.nat().map(String)), (name, raw) => {
      let parsed: Config;
      try {
        parsed = loadConfig({}, { [name]: raw });
      } catch (err) {
        assert.ok(err instanceof ConfigError && err.message.includes(name), String(err));
        return;
      }
      const value = { OPENSPINE_DB_CONNECT_TIMEOUT_MS: parsed.pool.connectTimeoutMs, OPENSPINE_DB_STATEMENT_TIMEOUT_MS: parsed.pool.statementTimeoutMs,
        OPENSPINE_MAX_IN_FLIGHT: parsed.overload.maxInFlight, OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: parsed.overload.maxEventLoopDelayMs }[name];
      assert.ok(Number.isSafeInteger(value) && value >= 0, `${name}=${JSON.stringify(raw)} gave ${value}`);
      if (raw !== '') assert.equal(value, Number(raw));
    }));
  });
});
