import type { Queryable } from '../../platform/db/pool.js';
import { insertSegments, type ExportFile } from './store.js';

/**
 * Writes ndjson files as stored segments of at most SEGMENT_BYTES, each whole lines, so a download
 * reads and sends a file a few small segments at a time (and each segment, being whole lines, is
 * whole UTF-8). Lines are encoded into one reused buffer of BATCH_BYTES, cut into segments at line
 * ends as they come, and the batch goes to the store in one statement when the next line would not
 * fit: memory is bounded by bytes whatever the number of resources, with a round trip per batch
 * rather than per segment. A file is closed and the next begun past `fileBytes`.
 */
export const SEGMENT_BYTES = 64 * 1024;
const BATCH_BYTES = 1024 * 1024;

export class NdjsonFileWriter {
  readonly files: ExportFile[] = [];
  // One reused batch buffer: lines are encoded straight into it, so writing makes no garbage per line.
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES);
  private pendingBytes = 0;
  // Where each full segment of the batch ends; the last one ends at pendingBytes.
  private readonly cuts: number[] = [];
  private segmentStart = 0;
  private current: ExportFile | undefined;

  constructor(private readonly db: Queryable, private readonly jobId: string, private readonly fileBytes = 256 * 1024 * 1024) {}

  async write(type: string, json: string): Promise<void> {
    if (this.current && (this.current.type !== type || this.current.bytes >= this.fileBytes)) await this.closeFile();
    if (!this.current) {
      this.current = { fileNo: this.files.length + 1, type, count: 0, bytes: 0, segments: 0 };
    }
    const length = Buffer.byteLength(json) + 1;
    if (length > SEGMENT_BYTES) {
      // A record larger than a segment is a segment of its own.
      await this.flush();
      await this.store([Buffer.from(`${json}\n`)]);
    } else {
      if (this.pendingBytes + length > BATCH_BYTES) await this.flush();
      if (this.pendingBytes - this.segmentStart + length > SEGMENT_BYTES) {
        this.cuts.push(this.pendingBytes);
        this.segmentStart = this.pendingBytes;
      }
      this.pendingBytes += this.batch.write(json, this.pendingBytes);
      this.batch[this.pendingBytes++] = 0x0a;
    }
    this.current.count += 1;
    this.current.bytes += length;
  }

  private async store(segments: Buffer[]): Promise<void> {
    await insertSegments(this.db, this.jobId, this.current!.fileNo, this.current!.segments, segments);
    this.current!.segments += segments.length;
  }

  private async flush(): Promise<void> {
    if (!this.current || this.pendingBytes === 0) return;
    const ends = [...this.cuts, this.pendingBytes];
    const segments = ends.map((end, i) => this.batch.subarray(i === 0 ? 0 : ends[i - 1], end));
    this.pendingBytes = 0;
    this.segmentStart = 0;
    this.cuts.length = 0;
    // The statement has sent the bytes when it resolves, so the buffer may be reused after.
    await this.store(segments);
  }
  async closeFile(): Promise<void> {
    if (!this.current) return;
    await this.flush();
    this.files.push(this.current);
    this.current = undefined;
  }
}
