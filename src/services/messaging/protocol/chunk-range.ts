import { MAX_CHUNKS } from './limits.js';

/** `mex-Chunk-Range: n:total` (spec: "Send chunked message"); at most 20 characters. */
export interface ChunkRange {
  chunk: number;
  total: number;
}

const CHUNK_RANGE = /^\s*(\d{1,9})\s*:\s*(\d{1,9})\s*$/;
export const CHUNK_RANGE_MAX_LENGTH = 20;

/** Parses `n:total` with 1 ≤ n ≤ total ≤ MAX_CHUNKS; undefined for anything else. */
export function parseChunkRange(value: string): ChunkRange | undefined {
  if (value.length > CHUNK_RANGE_MAX_LENGTH) return undefined;
  const match = CHUNK_RANGE.exec(value);
  if (!match) return undefined;
  const chunk = Number(match[1]);
  const total = Number(match[2]);
  if (chunk < 1 || chunk > total || total > MAX_CHUNKS) return undefined;
  return { chunk, total };
}

export function formatChunkRange(range: ChunkRange): string {
  return `${range.chunk}:${range.total}`;
}
