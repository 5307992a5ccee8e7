import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, SERVICE_NAMES, checkServeConfig, isLoopbackHost, loadConfig, parseServices, parseSwitch, parseWholeNumber, type Config } from './config.js';

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

  it('webhook networks: none by default; address/prefix lists read, anything else refused', () => {
    assert.deepEqual(loadConfig({}, {}).events.webhookNetworks, []);
    assert.deepEqual(loadConfig({}, { OPENSPINE_EVENTS_WEBHOOK_NETWORKS: ' 10.20.0.0/16, fd00::/8 ,' }).events.webhookNetworks, ['10.20.0.0/16', 'fd00::/8']);
    for (const bad of ['10.20.0.0', '10.20.0.0/33', 'internal.example/8', '10.20.0.0/16,fd00::']) {
      assert.throws(() => loadConfig({}, { OPENSPINE_EVENTS_WEBHOOK_NETWORKS: bad }), ConfigError, bad);
    }
  });

  it('flags win over the environment', () => {
    const config = loadConfig({ port: '9100', services: 'demographics' }, { PORT: '9200', OPENSPINE_SERVICES: 'messaging', DATABASE_URL: 'postgres://x/y' });
    assert.equal(config.port, 9100);
    assert.deepEqual(config.services, ['demographics']);
    assert.equal(config.databaseUrl, 'postgres://x/y');
  });

  it('console OIDC role map: value=role pairs read back as given; a pair without both halves, or none, is refused', () => {
    const env = (roles: string) => ({ OPENSPINE_CONSOLE_OIDC_ISSUER: 'https://login.example/realm', OPENSPINE_CONSOLE_OIDC_ROLE_CLAIM: 'groups', OPENSPINE_CONSOLE_OIDC_ROLES: roles });
    const token = fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !/[,=]/.test(t) && t.trim() === t && t !== '');
    fc.assert(fc.property(fc.dictionary(token, token, { minKeys: 1, maxKeys: 5 }), (map) => {
      const raw = Object.entries(map).map(([value, role]) => `${value}=${role}`).join(', ');
      assert.deepEqual(loadConfig({}, env(raw)).consoleOidc?.roles, { ...map });
    }));
    for (const bad of ['', 'admins', '=operator', 'admins=', ' , ']) assert.throws(() => loadConfig({}, env(bad)), ConfigError, bad);
    assert.equal(loadConfig({}, { OPENSPINE_CONSOLE_OIDC_ISSUER: 'https://login.example' }).consoleOidc?.roleClaim, undefined);
  });

  it('PDS replay retention: 24 hours by default, any positive number of hours, anything else refused', () => {
    assert.equal(loadConfig({}, {}).pdsReplayRetentionHours, 24);
    fc.assert(fc.property(fc.double({ min: 0.001, max: 1e6, noNaN: true }), (hours) => {
      assert.equal(loadConfig({}, { OPENSPINE_PDS_REPLAY_RETENTION_HOURS: String(hours) }).pdsReplayRetentionHours, hours);
    }));
    fc.assert(fc.property(fc.oneof(fc.constantFrom('0', '-1', 'abc', 'Infinity', '1h'), fc.double({ max: 0 }).map(String)), (raw) => {
      assert.throws(() => loadConfig({}, { OPENSPINE_PDS_REPLAY_RETENTION_HOURS: raw }), ConfigError);
    }));
  });

  it('MESH message cap: 100 GB by default, 1 MB to 100 GB in whole MB, anything else refused', () => {
    assert.equal(loadConfig({}, {}).meshMaxMessageBytes, 100 * 1024 * 1024 * 1024);
    fc.assert(fc.property(fc.integer({ min: 1, max: 102_400 }), (mb) => {
      assert.equal(loadConfig({}, { OPENSPINE_MESH_MAX_MESSAGE_MB: String(mb) }).meshMaxMessageBytes, mb * 1024 * 1024);
    }));
    fc.assert(fc.property(fc.oneof(fc.constantFrom('0', '-1', 'abc', '1.5', '102401', '1e3'), fc.integer({ min: 102_401 }).map(String)), (raw) => {
      assert.throws(() => loadConfig({}, { OPENSPINE_MESH_MAX_MESSAGE_MB: raw }), ConfigError);
    }));
  });

  it('EPS replay retention: 24 hours by default, any positive number of hours, anything else refused', () => {
    assert.equal(loadConfig({}, {}).epsReplayRetentionHours, 24);
    fc.assert(fc.property(fc.double({ min: 0.001, max: 1e6, noNaN: true }), (hours) => {
      assert.equal(loadConfig({}, { OPENSPINE_EPS_REPLAY_RETENTION_HOURS: String(hours) }).epsReplayRetentionHours, hours);
    }));
    fc.assert(fc.property(fc.oneof(fc.constantFrom('0', '-1', 'abc', 'Infinity', '1h'), fc.double({ max: 0 }).map(String)), (raw) => {
      assert.throws(() => loadConfig({}, { OPENSPINE_EPS_REPLAY_RETENTION_HOURS: raw }), ConfigError);
    }));
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

  it('the SDS base URL is unset by default, else an absolute http(s) URL without a trailing slash', () => {
    assert.equal(loadConfig({}, {}).sdsBaseUrl, undefined);
    assert.equal(loadConfig({}, { OPENSPINE_SDS_BASE_URL: 'https://api.service.nhs.uk/spine-directory/FHIR/R4/' }).sdsBaseUrl,
      'https://api.service.nhs.uk/spine-directory/FHIR/R4');
    for (const bad of ['spine-directory/FHIR/R4', 'ftp://x/y', 'https://x/y?a=1', 'https://x/y#f']) {
      assert.throws(() => loadConfig({}, { OPENSPINE_SDS_BASE_URL: bad }), ConfigError, bad);
    }
    fc.assert(fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })), (raw) => {
      try {
        const { sdsBaseUrl } = loadConfig({}, { OPENSPINE_SDS_BASE_URL: raw });
        if (sdsBaseUrl !== undefined) assert.ok(/^https?:\/\//.test(sdsBaseUrl) && !sdsBaseUrl.endsWith('/'));
      } catch (err) {
        assert.ok(err instanceof ConfigError);
      }
    }));
  });

  it('demo and sandbox modes serve on a loopback address or not at all; a deployment on any address', () => {
    fc.assert(fc.property(fc.oneof(fc.constantFrom('127.0.0.1', '127.1.2.3', 'localhost', '::1', '0.0.0.0', '::'), fc.string({ maxLength: 30 })), fc.constantFrom('demo', 'sandbox', 'deployment'), (host, mode) => {
      const config = loadConfig({ host, demo: mode === 'demo', sandbox: mode === 'sandbox' }, { MESH_SHARED_KEY: 'an-environment-secret' });
      if (mode === 'deployment' || isLoopbackHost(host)) checkServeConfig(config);
      else assert.throws(() => checkServeConfig(config), ConfigError);
    }));
  });

  it('the token rate limit is a whole number of at least 1', () => {
    assert.equal(loadConfig({}, {}).tokenRateLimit, 6000);
    assert.equal(loadConfig({ tokenRateLimit: '10' }, { OPENSPINE_TOKEN_RATE_LIMIT: '20' }).tokenRateLimit, 10);
    for (const raw of ['0', '-1', '1.5', 'many']) assert.throws(() => loadConfig({}, { OPENSPINE_TOKEN_RATE_LIMIT: raw }), ConfigError);
  });

  it('database timeouts and shedding limits: defaults, and any value is a whole number or a ConfigError', () => {
    const config = loadConfig({}, {});
    assert.deepEqual(config.pool, { max: 20, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, startupWaitMs: 60_000 });
    assert.equal(config.drainMs, 0);
    assert.deepEqual(config.overload, { minInFlight: 20, maxInFlight: 160, latencyTargetMs: 50, maxEventLoopDelayMs: 1_000, maxHeapUsedBytes: 1_024 * 1024 * 1024 });
    const pool8 = loadConfig({}, { OPENSPINE_DB_POOL_MAX: '8' }).overload;
    assert.deepEqual([pool8.minInFlight, pool8.maxInFlight], [8, 64], 'the adaptive range follows the pool');
    const fixed = loadConfig({}, { OPENSPINE_MAX_IN_FLIGHT: '30' }).overload;
    assert.deepEqual([fixed.minInFlight, fixed.maxInFlight], [30, 30], 'OPENSPINE_MAX_IN_FLIGHT fixes the limit');
    const names = ['OPENSPINE_DB_CONNECT_TIMEOUT_MS', 'OPENSPINE_DB_STATEMENT_TIMEOUT_MS', 'OPENSPINE_DB_STARTUP_WAIT_MS', 'OPENSPINE_DRAIN_MS',
      'OPENSPINE_MAX_IN_FLIGHT', 'OPENSPINE_LATENCY_TARGET_MS', 'OPENSPINE_MAX_EVENT_LOOP_DELAY_MS'] as const;
    fc.assert(fc.property(fc.constantFrom(...names), fc.oneof(fc.string(), fc.nat().map(String)), (name, raw) => {
      let parsed: Config;
      try {
        parsed = loadConfig({}, { [name]: raw });
      } catch (err) {
        assert.ok(err instanceof ConfigError && err.message.includes(name), String(err));
        return;
      }
      const value = { OPENSPINE_DB_CONNECT_TIMEOUT_MS: parsed.pool.connectTimeoutMs, OPENSPINE_DB_STATEMENT_TIMEOUT_MS: parsed.pool.statementTimeoutMs,
        OPENSPINE_DB_STARTUP_WAIT_MS: parsed.pool.startupWaitMs, OPENSPINE_DRAIN_MS: parsed.drainMs,
        OPENSPINE_MAX_IN_FLIGHT: parsed.overload.maxInFlight, OPENSPINE_LATENCY_TARGET_MS: parsed.overload.latencyTargetMs,
        OPENSPINE_MAX_EVENT_LOOP_DELAY_MS: parsed.overload.maxEventLoopDelayMs }[name];
      assert.ok(Number.isSafeInteger(value) && value >= 0, `${name}=${JSON.stringify(raw)} gave ${value}`);
      if (raw !== '') assert.equal(value, Number(raw));
    }));
  });

  it('a whole number is decimal digits alone, within its range; anything else is a ConfigError naming the setting', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.nat(1000), fc.nat(100_000), (raw, min, span) => {
      const max = min + span;
      const digits = /^[0-9]{1,15}$/.test(raw);
      try {
        const value = parseWholeNumber('SETTING', raw, 7, min, max);
        assert.ok(raw === '' ? value === 7 : digits && value === Number(raw) && value >= min && value <= max, `${JSON.stringify(raw)} gave ${value}`);
      } catch (err) {
        assert.ok(err instanceof ConfigError && err.message.includes('SETTING'), String(err));
        assert.ok(!digits || Number(raw) < min || Number(raw) > max, `${JSON.stringify(raw)} refused`);
      }
    }));
    // What Number() takes and an operator did not mean.
    for (const raw of ['0x10', '1e3', ' 5', '5 ', '5.0', '+5', '-0', 'Infinity', '0b1']) {
      assert.throws(() => loadConfig({}, { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: raw }), /OPENSPINE_DB_STATEMENT_TIMEOUT_MS must be a whole number/, raw);
    }
    assert.equal(loadConfig({}, { OPENSPINE_DB_STATEMENT_TIMEOUT_MS: '007' }).pool.statementTimeoutMs, 7);
  });

  it('the pool size is named when refused: at least 1 (a pool of none would hang every request)', () => {
    for (const raw of ['0', '-1', '1.5', '20000']) {
      assert.throws(() => loadConfig({}, { OPENSPINE_DB_POOL_MAX: raw }), /OPENSPINE_DB_POOL_MAX must be a whole number from 1 to 10000/, raw);
    }
    assert.equal(loadConfig({}, { OPENSPINE_DB_POOL_MAX: '1' }).pool.max, 1);
  });

  it('a switch is true or false (1, 0, any case); a typo is refused, not taken for off', () => {
    fc.assert(fc.property(fc.string({ maxLength: 8 }), (raw) => {
      const word = raw.trim().toLowerCase();
      try {
        const on = parseSwitch('SWITCH', raw, true);
        assert.equal(on, raw === '' || word === 'true' || word === '1');
        assert.ok(raw === '' || ['true', 'false', '1', '0'].includes(word));
      } catch (err) {
        assert.ok(err instanceof ConfigError && err.message.includes('SWITCH') && raw !== '' && !['true', 'false', '1', '0'].includes(word));
      }
    }));
    for (const name of ['OPENSPINE_DEMO', 'OPENSPINE_SANDBOX', 'OPENSPINE_TRUST_GATEWAY', 'OPENSPINE_SEED_DEMO', 'OPENSPINE_EVENTS_RELAY']) {
      assert.throws(() => loadConfig({}, { [name]: 'yes' }), new RegExp(`${name} must be true or false`), name);
    }
    assert.equal(loadConfig({}, { OPENSPINE_DEMO: 'TRUE' }).demo, true);
    assert.equal(loadConfig({}, { OPENSPINE_TRUST_GATEWAY: '1' }).trustGateway, true);
    assert.equal(loadConfig({}, { OPENSPINE_DEMO: 'true', OPENSPINE_SEED_DEMO: 'false' }).seedDemo, false);
    assert.equal(loadConfig({}, { OPENSPINE_EVENTS_RELAY: '0' }).events.enabled, false);
  });

  it('LOG_LEVEL is one of pino\'s levels', () => {
    assert.equal(loadConfig({}, {}).logLevel, 'info');
    assert.equal(loadConfig({}, { LOG_LEVEL: 'warn' }).logLevel, 'warn');
    assert.throws(() => loadConfig({}, { LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not 'loud'/);
  });

  it('the public URL is an absolute http(s) URL, kept as written without trailing slashes; by default the listening address, IPv6 in brackets', () => {
    assert.equal(loadConfig({}, { OPENSPINE_PUBLIC_URL: 'https://Spine.example/base//' }).publicBaseUrl, 'https://Spine.example/base');
    for (const bad of ['spine.example', 'ftp://spine.example', 'https://spine.example/?a=1']) {
      assert.throws(() => loadConfig({}, { OPENSPINE_PUBLIC_URL: bad }), /OPENSPINE_PUBLIC_URL must be an absolute http\(s\) URL/, bad);
    }
    assert.equal(loadConfig({ host: '::1', port: 9100 }, {}).publicBaseUrl, 'http://[::1]:9100');
    assert.equal(new URL(`${loadConfig({ host: '::' }, {}).publicBaseUrl}/oauth2/token`).port, '9000');
  });
});
