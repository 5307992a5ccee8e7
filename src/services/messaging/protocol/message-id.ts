import { randomBytes } from 'node:crypto';

/**
 * MESH message ids look like `20200529155357895317_3573F8`: the UTC time to the microsecond, then
 * six random hex digits. Clocks give milliseconds, so the last three "microsecond" digits are random too.
 */
export function newMessageId(at: Date): string {
  const iso = at.toISOString(); // 2020-05-29T15:53:57.895Z
  const digits = iso.slice(0, 23).replace(/[-:T.]/g, '');
  const random = randomBytes(5);
  const micros = String(random.readUInt16BE(0) % 1000).padStart(3, '0');
  const suffix = random.subarray(2).toString('hex').toUpperCase().slice(0, 6);
  return `${digits}${micros}_${suffix}`;
}

/** `yyyyMMddHHmmss` in UTC: MESH's timestamp format in headers and v1 bodies. */
export function meshTimestamp(at: Date): string {
  return at.toISOString().slice(0, 19).replace(/[-:T]/g, '');
}

/** Message ids in paths are matched case-insensitively, as MESH upper-cases them. */
export function normaliseMessageId(id: string): string {
  return id.trim().toUpperCase();
}
