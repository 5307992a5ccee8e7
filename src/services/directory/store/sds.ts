import type { Queryable } from '../../../platform/db/pool.js';
import type { AccreditedSystem, DeviceQuery, EndpointQuery, MhsEndpoint, ReliabilityConfiguration } from '../sds/model.js';

interface DeviceRow {
  id: string;
  asid: string;
  party_key: string;
  owner_ods_code: string;
  manufacturing_ods_code: string | null;
  interactions: string[];
}

const DEVICE_COLUMNS = 'id, asid, party_key, owner_ods_code, manufacturing_ods_code, interactions';
// A system can list hundreds of interactions; pg's JSON parsing of them is several times faster than its text[] parser.
const DEVICE_SELECT = 'id, asid, party_key, owner_ods_code, manufacturing_ods_code, to_json(interactions) AS interactions';

function toAccreditedSystem(row: DeviceRow): AccreditedSystem {
  return {
    id: row.id.toUpperCase(),
    asid: row.asid,
    partyKey: row.party_key,
    ownerOdsCode: row.owner_ods_code,
    ...(row.manufacturing_ods_code ? { manufacturingOdsCode: row.manufacturing_ods_code } : {}),
    interactions: row.interactions,
  };
}

/**
 * How much of a search's matches is read: at most `records` rows, and no row once those before it list
 * more than `interactions` ids between them (a record may list thousands, so a thousand records could
 * be a gigabyte of answer). The caller asks for one more than it answers, and sees a search that
 * matched too much (sds/search-bound.ts) without reading it all.
 */
export interface SearchBound { records: number; interactions: number }

/** Rows in order while the interactions of the rows before each are within the bound (a running sum, streamed). */
const withinInteractions = (select: string, order: string) =>
  `SELECT ${select} FROM (SELECT *, sum(cardinality(interactions)) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING) - cardinality(interactions) AS listed_before`;

/** SDS Device search: owner and interaction always; party key and manufacturer when given; in ASID order, within `bound`. */
export async function searchAccreditedSystems(db: Queryable, query: DeviceQuery, bound: SearchBound): Promise<AccreditedSystem[]> {
  const { rows } = await db.query<DeviceRow>(
    `${withinInteractions(DEVICE_SELECT, 'asid')} FROM directory.devices
      WHERE owner_ods_code = $1 AND interactions @> ARRAY[$2::text]
        AND ($3::text IS NULL OR party_key = $3) AND ($4::text IS NULL OR manufacturing_ods_code = $4)
      ORDER BY asid LIMIT $5) matched
      WHERE listed_before <= $6 ORDER BY asid`,
    [query.organization, query.interactionId, query.partyKey ?? null, query.manufacturingOrganization ?? null, bound.records, bound.interactions]);
  return rows.map(toAccreditedSystem);
}

export async function findAccreditedSystem(db: Queryable, id: string): Promise<AccreditedSystem | undefined> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${DEVICE_SELECT} FROM directory.devices WHERE id = $1`, [id]);
  return rows[0] ? toAccreditedSystem(rows[0]) : undefined;
}

export async function findAccreditedSystemByAsid(db: Queryable, asid: string): Promise<AccreditedSystem | undefined> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${DEVICE_SELECT} FROM directory.devices WHERE asid = $1`, [asid]);
  return rows[0] ? toAccreditedSystem(rows[0]) : undefined;
}

export async function listAccreditedSystems(
  db: Queryable, filter: { ownerOdsCode?: string; limit?: number; offset?: number },
): Promise<AccreditedSystem[]> {
  const { rows } = await db.query<DeviceRow>(
    `SELECT ${DEVICE_SELECT} FROM directory.devices WHERE ($1::text IS NULL OR owner_ods_code = $1)
      ORDER BY asid LIMIT $2 OFFSET $3`,
    [filter.ownerOdsCode ?? null, clampLimit(filter.limit), Math.max(filter.offset ?? 0, 0)]);
  return rows.map(toAccreditedSystem);
}

/** Keyed by id; the ASID is unique too, so a clash on it surfaces as a unique violation (23505). */
export async function upsertAccreditedSystem(db: Queryable, system: AccreditedSystem): Promise<void> {
  await db.query(
    `INSERT INTO directory.devices (${DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET asid = EXCLUDED.asid, party_key = EXCLUDED.party_key,
       owner_ods_code = EXCLUDED.owner_ods_code, manufacturing_ods_code = EXCLUDED.manufacturing_ods_code,
       interactions = EXCLUDED.interactions, updated_at = now()`,
    [system.id, system.asid, system.partyKey, system.ownerOdsCode, system.manufacturingOdsCode ?? null, system.interactions]);
}

interface EndpointRow {
  id: string;
  party_key: string;
  managing_ods_code: string;
  address: string;
  fqdn: string;
  cpa_id: string;
  mhs_id: string;
  status: 'active';
  interactions: string[];
  reliability: ReliabilityConfiguration | null;
}

const ENDPOINT_COLUMNS = 'id, party_key, managing_ods_code, address, fqdn, cpa_id, mhs_id, status, interactions, reliability';

function toMhsEndpoint(row: EndpointRow): MhsEndpoint {
  return {
    id: row.id.toUpperCase(),
    partyKey: row.party_key,
    managingOdsCode: row.managing_ods_code,
    address: row.address,
    fqdn: row.fqdn,
    cpaId: row.cpa_id,
    mhsId: row.mhs_id,
    status: row.status,
    interactions: row.interactions,
    ...(row.reliability ? { reliability: row.reliability } : {}),
  };
}

/** SDS Endpoint search: any of organisation, interaction and party key (the caller checks the combination); within `bound`, as for Device. */
export async function searchMhsEndpoints(db: Queryable, query: EndpointQuery, bound: SearchBound): Promise<MhsEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `${withinInteractions(ENDPOINT_COLUMNS, 'party_key, id')} FROM directory.endpoints
      WHERE ($1::text IS NULL OR managing_ods_code = $1)
        AND ($2::text IS NULL OR interactions @> ARRAY[$2::text])
        AND ($3::text IS NULL OR party_key = $3)
      ORDER BY party_key, id LIMIT $4) matched
      WHERE listed_before <= $5 ORDER BY party_key, id`,
    [query.organization ?? null, query.interactionId ?? null, query.partyKey ?? null, bound.records, bound.interactions]);
  return rows.map(toMhsEndpoint);
}

export async function findMhsEndpoint(db: Queryable, id: string): Promise<MhsEndpoint | undefined> {
  const { rows } = await db.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM directory.endpoints WHERE id = $1`, [id]);
  return rows[0] ? toMhsEndpoint(rows[0]) : undefined;
}

export async function listMhsEndpoints(
  db: Queryable, filter: { managingOdsCode?: string; limit?: number; offset?: number },
): Promise<MhsEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM directory.endpoints WHERE ($1::text IS NULL OR managing_ods_code = $1)
      ORDER BY party_key, id LIMIT $2 OFFSET $3`,
    [filter.managingOdsCode ?? null, clampLimit(filter.limit), Math.max(filter.offset ?? 0, 0)]);
  return rows.map(toMhsEndpoint);
}

export async function upsertMhsEndpoint(db: Queryable, endpoint: MhsEndpoint): Promise<void> {
  await db.query(
    `INSERT INTO directory.endpoints (${ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET party_key = EXCLUDED.party_key, managing_ods_code = EXCLUDED.managing_ods_code,
       address = EXCLUDED.address, fqdn = EXCLUDED.fqdn, cpa_id = EXCLUDED.cpa_id, mhs_id = EXCLUDED.mhs_id,
       status = EXCLUDED.status, interactions = EXCLUDED.interactions, reliability = EXCLUDED.reliability,
       updated_at = now()`,
    [endpoint.id, endpoint.partyKey, endpoint.managingOdsCode, endpoint.address, endpoint.fqdn, endpoint.cpaId,
      endpoint.mhsId, endpoint.status, endpoint.interactions,
      endpoint.reliability ? JSON.stringify(endpoint.reliability) : null]);
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? 100), 1), 1000);
}

/** Creates the MHS record unless its id is taken; false when it was. */
export async function insertMhsEndpointIfAbsent(db: Queryable, endpoint: MhsEndpoint): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO directory.endpoints (${ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO NOTHING`,
    [endpoint.id, endpoint.partyKey, endpoint.managingOdsCode, endpoint.address, endpoint.fqdn, endpoint.cpaId,
      endpoint.mhsId, endpoint.status, endpoint.interactions,
      endpoint.reliability ? JSON.stringify(endpoint.reliability) : null]);
  return rowCount === 1;
}

/** Creates the accredited system unless its id or ASID is taken; false when one was. */
export async function insertAccreditedSystemIfAbsent(db: Queryable, system: AccreditedSystem): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO directory.devices (${DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [system.id, system.asid, system.partyKey, system.ownerOdsCode, system.manufacturingOdsCode ?? null, system.interactions]);
  return rowCount === 1;
}
