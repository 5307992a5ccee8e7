import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEventRelayConfig, type EventRelayConfig } from './events/relay-config.js';

/** Every service a process can run; `--services` picks a subset (DESIGN.md: scale MESH and PDS apart). */
export const SERVICE_NAMES = [
  'identity',
  'directory',
  'audit',
  'demographics',
  'messaging',
  'record-locator',
  'events',
  'consent',
  'export',
  'prescriptions',
  'console',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The p99 latency (in the server, waiting included) admitted requests are held to in overload (issue 9's target). */
const LATENCY_TARGET_MS = 50;

/** MESH spec, "Outbox workflow": "The upper limit of a single chunked message is 100GB". */
const MAX_MESSAGE_MB = 100 * 1024;

export interface TlsConfig {
  key: Buffer;
  cert: Buffer;
  /** When set, clients must present a certificate signed by this CA (mutual TLS, as MESH requires). */
  ca?: Buffer;
}

/** The one typed configuration object: parsed once at start-up, then passed down. Nothing else reads process.env. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** An external PostgreSQL; when absent the process starts its own embedded server in `<dataDir>/pg`. */
  databaseUrl: string | undefined;
  /** A streaming replica for lag-tolerant reads (`DATABASE_REPLICA_URL`), used while its lag stays
   * within `maxLagMs` (`OPENSPINE_REPLICA_MAX_LAG_MS`), measured every `checkIntervalMs`. */
  replica: { url: string | undefined; maxLagMs: number; checkIntervalMs: number };
  services: ServiceName[];
  logLevel: string;
  /**
   * Demo mode: demo data and its well-known credentials (demo apps, users and issuer, MESH sandbox
   * mailboxes and the shared key `TestKey`). Loopback only; sandbox mode implies it.
   */
  demo: boolean;
  /** NHS-sandbox-like mode: calls without a valid credential act as a built-in app and user. Loopback only. */
  sandbox: boolean;
  /**
   * NRL behind an API gateway that authenticates callers and injects who they are
   * (`NHSD-Connection-Metadata`), as NHS England's Apigee does. On in sandbox mode.
   */
  trustGateway: boolean;
  tls: TlsConfig | undefined;
  /** Base URL clients use to reach us; the OAuth2 `aud` claim must equal `<publicBaseUrl>/oauth2/token`. */
  publicBaseUrl: string;
  /**
   * MESH environment shared secret used in the NHSMESH HMAC. Empty when none was given outside demo
   * mode: `serve` then refuses to run MESH (see `checkServeConfig`).
   */
  /** SDS FHIR base that SDS Bundles advertise (`fullUrl`, self link); unset: `<publicBaseUrl>/spine-directory/FHIR/R4`. */
  sdsBaseUrl: string | undefined;
  meshSharedKey: string;
  /**
   * The most a MESH message may carry in all its chunks (`OPENSPINE_MESH_MAX_MESSAGE_MB`; default
   * 100 GB, the spec's "upper limit of a single chunked message"). Lowered only to test the cap.
   */
  meshMaxMessageBytes: number;
  /** Seed demo data on start (demo mode only; idempotent). */
  seedDemo: boolean;
  /** POST /oauth2/token requests a client address may make per minute (429 beyond). */
  tokenRateLimit: number;
  /** Database pool size and timeouts (0 = no limit): a fault answers 503 instead of hanging. */
  /** `startupWaitMs`: how long a starting process waits for a database that does not answer yet. */
  pool: { max: number; connectTimeoutMs: number; statementTimeoutMs: number; startupWaitMs: number };
  /** Load shedding: past any of these a request is refused at once with 503 and Retry-After. */
  /** In-flight admission: adaptive between `minInFlight` and `maxInFlight` (fixed when equal; 0: no limit). */
  overload: { minInFlight: number; maxInFlight: number; latencyTargetMs: number; maxEventLoopDelayMs: number; maxHeapUsedBytes: number };
  /** On SIGTERM, how long `/_status` reports "draining" (503) while requests are still served, so a
   * load balancer's health check takes the process out of rotation before it stops accepting. */
  drainMs: number;
  /** How long PDS replays a create or PATCH to a retry with the same X-Request-ID (then forgets it). */
  pdsReplayRetentionHours: number;
  /** The event relay (outbox → NEMS/MNS subscribers). */
  events: EventRelayConfig;
  /** EPS: a claim may be amended until the end of this day of the month after it was sent (NHSBSA: the 5th). */
  epsClaimAmendmentDay: number;
  /** How long EPS gives a retried state change (same application, same X-Request-ID) its first answer (then forgets it). */
  epsReplayRetentionHours: number;
  /** The OpenID Connect issuer the console signs people in with; unset, the demo issuer (demo mode only). */
  consoleOidc: ConsoleOidcConfig | undefined;
}

export interface ConsoleOidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /**
   * An issuer that is not CIS2 names roles in a claim of its own (e.g. `groups`): the claim, and
   * each of its values with the console role it gives (OPENSPINE_CONSOLE_OIDC_ROLES, `value=role,…`).
   */
  roleClaim?: string;
  roles?: Record<string, string>;
}

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  dataDir?: string;
  services?: string;
  demo?: boolean;
  sandbox?: boolean;
  trustGateway?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  publicBaseUrl?: string;
  seedDemo?: boolean;
  tokenRateLimit?: string | number;
}

export class ConfigError extends Error {}

/**
 * A whole number as an operator writes one: decimal digits alone. `Number()` would also take
 * `0x10`, `1e3`, ` 5 ` and `5.0`, so a typo could pass for a setting.
 */
export function parseWholeNumber(name: string, raw: string | number | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === '') return fallback;
  const text = String(raw);
  const value = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be a whole number ${range}, not '${text}'`);
  }
  return value;
}

const parsePort = (raw: string | number | undefined, fallback: number) => parseWholeNumber('the port', raw, fallback, 0, 65535);

/** `true` or `false` (also `1`, `0`; any case); anything else is a typo, not "off". */
export function parseSwitch(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${name} must be true or false, not '${raw}'`);
}

function parsePositiveNumber(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, not '${raw}'`);
  return value;
}

export function parseServices(raw: string | undefined): ServiceName[] {
  if (!raw || raw === 'all') return [...SERVICE_NAMES];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown service '${name}'; known services: ${SERVICE_NAMES.join(', ')}`);
    }
  }
  return names as ServiceName[];
}

const parseCount = (name: string, raw: string | undefined, fallback: number) => parseWholeNumber(name, raw, fallback, 0);
const parsePositive = (raw: string | number | undefined, fallback: number, name: string) => parseWholeNumber(name, raw, fallback, 1);

function parseClaimAmendmentDay(raw: string | undefined): number {
  const day = parsePositive(raw, 5, 'OPENSPINE_EPS_CLAIM_AMEND_DAY');
  if (day > 28) throw new ConfigError(`OPENSPINE_EPS_CLAIM_AMEND_DAY must be a day every month has (1 to 28), not '${raw}'`);
  return day;
}

/** pino's levels: a level it does not know would stop the start with its own words. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not '${raw}'`);
  return raw;
}

/** The address as a URL's host: an IPv6 address in brackets. */
const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** The MESH sandbox's published shared key: fine for demos, never for a real deployment. */
export const MESH_SANDBOX_SHARED_KEY = 'TestKey';
/** Shared keys of MESH sandboxes seen in public material (API-NOTES §2): refused outside demo mode like TestKey. */
const PUBLISHED_MESH_SHARED_KEYS = [MESH_SANDBOX_SHARED_KEY, 'Banana'];
/** The MESH sandbox mailboxes' published password, which demo mode seeds: it authenticates no one outside demo mode. */
export const MESH_SANDBOX_PASSWORD = 'password';

/** `value=role,value=role`: which value of the issuer's role claim gives which console role (checked by the console). */
function parseRoleMap(raw: string): Record<string, string> {
  const pairs = raw.split(',').map((p) => p.trim()).filter(Boolean).map((pair) => {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new ConfigError(`OPENSPINE_CONSOLE_OIDC_ROLES must be 'value=role' pairs separated by commas, not '${pair}'`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const;
  });
  // Own properties only: a value named __proto__ is a value like any other.
  const map: Record<string, string> = Object.fromEntries(pairs);
  if (Object.keys(map).length === 0) throw new ConfigError('OPENSPINE_CONSOLE_OIDC_ROLE_CLAIM needs OPENSPINE_CONSOLE_OIDC_ROLES (value=role pairs)');
  return map;
}

/** By a loop: `/\/+$/` takes time quadratic in a run of slashes (test/door-patterns-source.test.ts). */
function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '/') end -= 1;
  return text.slice(0, end);
}

function parseBaseUrl(raw: string | undefined, what: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${what} must be an absolute http(s) URL, not '${raw}'`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`${what} must be an absolute http(s) URL without query or fragment, not '${raw}'`);
  }
  return withoutTrailingSlashes(url.href);
}

/** The public URL as written (it is the OAuth2 audience clients copy), once it is one, without trailing slashes. */
function parsePublicUrl(raw: string | undefined): string | undefined {
  return parseBaseUrl(raw, 'OPENSPINE_PUBLIC_URL') && withoutTrailingSlashes(raw!);
}

function readOptional(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} '${path}': ${(err as Error).message}`);
  }
}

/**
 * Token requests per minute per client address. A client needs one token per ten minutes, so this is
 * far above honest use, yet it stops one address from spending the Spine's CPU on signatures.
 */
export const DEFAULT_TOKEN_RATE_LIMIT = 6000;

/**
 * The most requests in progress per database connection the adaptive admission limit may reach
 * (src/platform/http/adaptive-limit.ts; it never goes below the pool size). Nearly every request
 * waits on the pool, but a request also parses, authenticates, waits for its audit commit and
 * serialises while the pool is busy, and how many such requests the machine keeps busy depends on
 * its CPU and its neighbours: the limit measures it. This only bounds memory; OPENSPINE_MAX_IN_FLIGHT
 * fixes the limit instead.
 */
export const MAX_IN_FLIGHT_PER_CONNECTION = 8;

/** Flags win over environment variables, which win over defaults (12-factor). */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = parsePort(flags.port ?? env.PORT, 9000);
  const host = flags.host ?? env.HOST ?? '127.0.0.1';
  const key = readOptional(flags.tlsKey ?? env.TLS_KEY, 'TLS key');
  const cert = readOptional(flags.tlsCert ?? env.TLS_CERT, 'TLS certificate');
  const ca = readOptional(flags.tlsCa ?? env.TLS_CA, 'TLS CA');
  if (Boolean(key) !== Boolean(cert)) throw new ConfigError('TLS needs both a key and a certificate');
  const tls = key && cert ? { key, cert, ca } : undefined;
  const scheme = tls ? 'https' : 'http';
  const sandbox = flags.sandbox ?? parseSwitch('OPENSPINE_SANDBOX', env.OPENSPINE_SANDBOX, false);
  // The sandbox datasets are demo data, so sandbox mode is demo mode too.
  const demo = sandbox || (flags.demo ?? parseSwitch('OPENSPINE_DEMO', env.OPENSPINE_DEMO, false));
  const poolMax = parseWholeNumber('OPENSPINE_DB_POOL_MAX', env.OPENSPINE_DB_POOL_MAX, 20, 1, 10_000);
  return {
    port,
    host,
    dataDir: resolve(flags.dataDir ?? env.OPENSPINE_DATA_DIR ?? './.openspine'),
    databaseUrl: env.DATABASE_URL || undefined,
    replica: {
      url: env.DATABASE_REPLICA_URL || undefined,
      maxLagMs: parsePositive(env.OPENSPINE_REPLICA_MAX_LAG_MS, 5_000, 'OPENSPINE_REPLICA_MAX_LAG_MS'),
      checkIntervalMs: parsePositive(env.OPENSPINE_REPLICA_CHECK_INTERVAL_MS, 1_000, 'OPENSPINE_REPLICA_CHECK_INTERVAL_MS'),
    },
    services: parseServices(flags.services ?? env.OPENSPINE_SERVICES),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    demo,
    sandbox,
    trustGateway: sandbox || (flags.trustGateway ?? parseSwitch('OPENSPINE_TRUST_GATEWAY', env.OPENSPINE_TRUST_GATEWAY, false)),
    tls,
    publicBaseUrl: parsePublicUrl(flags.publicBaseUrl ?? env.OPENSPINE_PUBLIC_URL) ?? `${scheme}://${urlHost(host)}:${port}`,
    sdsBaseUrl: parseBaseUrl(env.OPENSPINE_SDS_BASE_URL, 'OPENSPINE_SDS_BASE_URL'),
    meshSharedKey: env.MESH_SHARED_KEY || (demo ? MESH_SANDBOX_SHARED_KEY : ''),
    meshMaxMessageBytes: parseWholeNumber('OPENSPINE_MESH_MAX_MESSAGE_MB', env.OPENSPINE_MESH_MAX_MESSAGE_MB, MAX_MESSAGE_MB, 1, MAX_MESSAGE_MB) * 1024 * 1024,
    seedDemo: (flags.seedDemo ?? parseSwitch('OPENSPINE_SEED_DEMO', env.OPENSPINE_SEED_DEMO, true)) && demo,
    tokenRateLimit: parsePositive(flags.tokenRateLimit ?? env.OPENSPINE_TOKEN_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT, 'the token rate limit'),
    pool: {
      max: poolMax,
      connectTimeoutMs: parseCount('OPENSPINE_DB_CONNECT_TIMEOUT_MS', env.OPENSPINE_DB_CONNECT_TIMEOUT_MS, 2_000),
      statementTimeoutMs: parseCount('OPENSPINE_DB_STATEMENT_TIMEOUT_MS', env.OPENSPINE_DB_STATEMENT_TIMEOUT_MS, 5_000),
      startupWaitMs: parseCount('OPENSPINE_DB_STARTUP_WAIT_MS', env.OPENSPINE_DB_STARTUP_WAIT_MS, 60_000),
    },
    overload: {
      ...(env.OPENSPINE_MAX_IN_FLIGHT === undefined
        ? { minInFlight: poolMax, maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION * poolMax }
        : { minInFlight: parseCount('OPENSPINE_MAX_IN_FLIGHT', env.OPENSPINE_MAX_IN_FLIGHT, 0), maxInFlight: parseCount('OPENSPINE_MAX_IN_FLIGHT', env.OPENSPINE_MAX_IN_FLIGHT, 0) }),
      latencyTargetMs: parseCount('OPENSPINE_LATENCY_TARGET_MS', env.OPENSPINE_LATENCY_TARGET_MS, LATENCY_TARGET_MS),
      maxEventLoopDelayMs: parseCount('OPENSPINE_MAX_EVENT_LOOP_DELAY_MS', env.OPENSPINE_MAX_EVENT_LOOP_DELAY_MS, 1_000),
      maxHeapUsedBytes: parseCount('OPENSPINE_MAX_HEAP_MB', env.OPENSPINE_MAX_HEAP_MB, 1_024) * 1024 * 1024,
    },
    drainMs: parseCount('OPENSPINE_DRAIN_MS', env.OPENSPINE_DRAIN_MS, 0),
    pdsReplayRetentionHours: parsePositiveNumber(env.OPENSPINE_PDS_REPLAY_RETENTION_HOURS, 24, 'OPENSPINE_PDS_REPLAY_RETENTION_HOURS'),
    events: parseEventRelayConfig(env),
    epsClaimAmendmentDay: parseClaimAmendmentDay(env.OPENSPINE_EPS_CLAIM_AMEND_DAY),
    // NHS England's EPS asks a caller to retry with the same X-Request-ID after a 503 or a timeout:
    // such a retry comes within minutes, hours at most, so a day (PDS's window) keeps every real
    // retry while bounding the kept answers (a release's holds the whole signed order, ~19 kB).
    epsReplayRetentionHours: parsePositiveNumber(env.OPENSPINE_EPS_REPLAY_RETENTION_HOURS, 24, 'OPENSPINE_EPS_REPLAY_RETENTION_HOURS'),
    consoleOidc: env.OPENSPINE_CONSOLE_OIDC_ISSUER
      ? {
        issuer: parseBaseUrl(env.OPENSPINE_CONSOLE_OIDC_ISSUER, 'OPENSPINE_CONSOLE_OIDC_ISSUER')!, clientId: env.OPENSPINE_CONSOLE_OIDC_CLIENT_ID ?? 'openspine-console', clientSecret: env.OPENSPINE_CONSOLE_OIDC_CLIENT_SECRET || undefined,
        ...(env.OPENSPINE_CONSOLE_OIDC_ROLE_CLAIM ? { roleClaim: env.OPENSPINE_CONSOLE_OIDC_ROLE_CLAIM, roles: parseRoleMap(env.OPENSPINE_CONSOLE_OIDC_ROLES ?? '') } : {}),
      }
      : undefined,
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The rules a serving process must meet, checked before it opens anything: demo and sandbox modes
 * carry well-known credentials, so they listen on loopback only; outside them MESH needs the shared
 * key of its environment, which has no safe default.
 */
export function checkServeConfig(config: Config): void {
  if ((config.demo || config.sandbox) && !isLoopbackHost(config.host)) {
    const mode = config.sandbox ? 'sandbox mode answers calls without a valid credential' : 'demo mode has well-known credentials';
    throw new ConfigError(`${mode}, so it only listens on loopback, not '${config.host}'`);
  }
  if (config.services.includes('messaging') && !config.demo) {
    if (!config.meshSharedKey) {
      throw new ConfigError('MESH needs the shared secret of its environment: set MESH_SHARED_KEY (or run with --demo for the MESH sandbox key)');
    }
    if (PUBLISHED_MESH_SHARED_KEYS.includes(config.meshSharedKey)) {
      throw new ConfigError(`MESH_SHARED_KEY '${config.meshSharedKey}' is a MESH sandbox's published key: use it in demo or sandbox mode only`);
    }
  }
}
