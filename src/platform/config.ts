import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

/** Every service a process can run; `--services` picks a subset (DESIGN.md: scale MESH and PDS apart). */
export const SERVICE_NAMES = [
  'identity',
  'directory',
  'audit',
  'demographics',
  'messaging',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

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
  services: ServiceName[];
  logLevel: string;
  /** NHS-sandbox-like mode: calls without a token act as a built-in app and user. Loopback only. */
  sandbox: boolean;
  tls: TlsConfig | undefined;
  /** Base URL clients use to reach us; the OAuth2 `aud` claim must equal `<publicBaseUrl>/oauth2/token`. */
  publicBaseUrl: string;
  /** MESH environment shared secret used in the NHSMESH HMAC. */
  meshSharedKey: string;
  /** Seed demo data when the store is empty. */
  seedDemo: boolean;
  /** Database pool size and timeouts (0 = no limit): a fault answers 503 instead of hanging. */
  pool: { max: number; connectTimeoutMs: number; statementTimeoutMs: number };
  /** Load shedding: past any of these a request is refused at once with 503 and Retry-After. */
  overload: { maxInFlight: number; maxEventLoopDelayMs: number; maxHeapUsedBytes: number };
}

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  dataDir?: string;
  services?: string;
  sandbox?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  publicBaseUrl?: string;
  seedDemo?: boolean;
}

export class ConfigError extends Error {}

function parsePort(raw: string | number | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`port must be an integer from 0 to 65535, not '${raw}'`);
  }
  return port;
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

function parseCount(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${name} must be a whole number, not '${raw}'`);
  return value;
}

function readOptional(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} '${path}': ${(err as Error).message}`);
  }
}

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
  const sandbox = flags.sandbox ?? env.OPENSPINE_SANDBOX === 'true';
  return {
    port,
    host,
    dataDir: resolve(flags.dataDir ?? env.OPENSPINE_DATA_DIR ?? './.openspine'),
    databaseUrl: env.DATABASE_URL || undefined,
    services: parseServices(flags.services ?? env.OPENSPINE_SERVICES),
    logLevel: env.LOG_LEVEL ?? 'info',
    sandbox,
    tls,
    publicBaseUrl: (flags.publicBaseUrl ?? env.OPENSPINE_PUBLIC_URL ?? `${scheme}://${host}:${port}`).replace(/\/$/, ''),
    meshSharedKey: env.MESH_SHARED_KEY ?? 'TestKey',
    seedDemo: flags.seedDemo ?? env.OPENSPINE_SEED_DEMO !== 'false',
    pool: {
      max: parsePort(env.OPENSPINE_DB_POOL_MAX, 20),
      connectTimeoutMs: parseCount('OPENSPINE_DB_CONNECT_TIMEOUT_MS', env.OPENSPINE_DB_CONNECT_TIMEOUT_MS, 2_000),
      statementTimeoutMs: parseCount('OPENSPINE_DB_STATEMENT_TIMEOUT_MS', env.OPENSPINE_DB_STATEMENT_TIMEOUT_MS, 5_000),
    },
    overload: {
      maxInFlight: parseCount('OPENSPINE_MAX_IN_FLIGHT', env.OPENSPINE_MAX_IN_FLIGHT, 256),
      maxEventLoopDelayMs: parseCount('OPENSPINE_MAX_EVENT_LOOP_DELAY_MS', env.OPENSPINE_MAX_EVENT_LOOP_DELAY_MS, 1_000),
      maxHeapUsedBytes: parseCount('OPENSPINE_MAX_HEAP_MB', env.OPENSPINE_MAX_HEAP_MB, 1_024) * 1024 * 1024,
    },
  };
}
