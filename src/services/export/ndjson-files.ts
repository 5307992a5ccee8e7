import type { Queryable } from '../../platform/db/pool.js';
import { insertSegment, type ExportFile } from './store.js';

/**
 * Writes ndjson files a segment at a time: lines are encoded into one buffer of SEGMENT_BYTES and
 * go to the store when the next would not fit, so memory is bounded by bytes whatever the
 * number of resources. A file is closed and the next begun past `fileBytes`.
 */
export const SEGMENT_BYTES = 1024 * 1024;

export class NdjsonFileWriter {
  readonly files: ExportFile[] = [];
  // One reused segment buffer: lines are encoded straight into it, so writing makes no garbage per line.
  private readonly segment = Buffer.allocUnsafe(SEGMENT_BYTES);
  private pendingBytes = 0;
  private current: ExportFile | undefined;

  constructor(private readonly db: Queryable, private readonly jobId: string, private readonly fileBytes = 256 * 1024 * 1024) {}

  async write(type: string, json: string): Promise<void> {
    if (this.current && (this.current.type !== type || this.current.bytes >= this.fileBytes)) await this.closeFile();
    if (!this.current) {
      this.current = { fileNo: this.files.length + 1, type, count: 0, bytes: 0, segments: 0 };
    }
    const length = Buffer.byteLength(json) + 1;
    if (this.pendingBytes + length > SEGMENT_BYTES) await this.flush();
    if (length > SEGMENT_BYTES) {
      // A record larger than a segment is a segment of its own.
      await this.store(Buffer.from(`${json}\n`));
    } else {
      this.pendingBytes += this.segment.write(json, this.pendingBytes);
      this.segment[this.pendingBytes++] = 0x0a;
    }
    this.current.count += 1;
    this.current.bytes += length;
  }

  private async store(data: Buffer): Promise<void> {
    await insertSegment(this.db, this.jobId, this.current!.fileNo, this.current!.segments, data);
    this.current!.segments += 1;
  }

  private async flush(): Promise<void> {
    if (!this.current || this.pendingBytes === 0) return;
    const data = this.segment.subarray(0, this.pendingBytes);
    this.pendingBytes = 0;
    // The statement has sent the bytes when it resolves, so the buffer may be reused after.
    await this.store(data);
  }

  async closeFile(): Promise<void> {
    if (!this.current) return;
    await this.flush();
    this.files.push(this.current);
    this.current = undefined;
  }
}
