import type { Queryable } from '../../../platform/db/pool.js';
import { MESH_ERRORS } from '../errors.js';
import { meshError } from '../mesh-error.js';
import { MAX_CHUNK_BYTES } from '../protocol/limits.js';
import { BodyTooLargeError, type ChunkKey, type StoredChunk } from '../store/body-store.js';
import type { MeshDeps } from './deps.js';

/**
 * Streams a request body into the body store; an empty body is MESH's "MissingDataFile". A body
 * shorter than its Content-Length (a client that died mid-upload) is refused, so the transaction
 * rolls back even if the stream ended without an error.
 */
export async function storeChunkBody(deps: MeshDeps, tx: Queryable, key: ChunkKey, body: AsyncIterable<Buffer>, declaredLength?: string | string[], fresh = false): Promise<StoredChunk> {
  let stored: StoredChunk;
  try {
    stored = await deps.bodies.writeChunk(tx, key, body, MAX_CHUNK_BYTES, { fresh });
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw meshError(MESH_ERRORS.CHUNK_TOO_LARGE, { messageId: key.messageId });
    throw err;
  }
  const declared = typeof declaredLength === 'string' ? Number(declaredLength) : NaN;
  if (Number.isFinite(declared) && declared !== stored.bytes) {
    throw meshError(MESH_ERRORS.INVALID_PARAMETER, { messageId: key.messageId, diagnostics: `body ended after ${stored.bytes} of ${declared} declared bytes` });
  }
  if (stored.bytes === 0) throw meshError(MESH_ERRORS.MISSING_DATA_FILE, { messageId: key.chunkNo > 1 ? key.messageId : undefined });
  return stored;
}

