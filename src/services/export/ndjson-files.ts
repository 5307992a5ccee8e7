import type { Queryable } from '../../platform/db/pool.js';
import { insertSegment, type ExportFile } from './store.js';

/**
 * Writes ndjson files a segment at a time: lines gather in one buffer of at most SEGMENT_BYTES
 * (plus one line) and go to the store when it is full, so memory is bounded by bytes whatever the
 * number of resources. A file is closed and the next begun past `fileBytes`.
 */
export const SEGMENT_BYTES = 1024 * 1024;

export class NdjsonFileWriter {
  readonly files: ExportFile[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private current: ExportFile | undefined;

  constructor(private readonly db: Queryable, private readonly jobId: string, private readonly fileBytes = 256 * 1024 * 1024) {}

  async write(type: string, json: string): Promise<void> {
    if (this.current && (this.current.type !== type || this.current.bytes >= this.fileBytes)) await this.closeFile();
    if (!this.current) {
      this.current = { fileNo: this.files.length + 1, type, count: 0, bytes: 0, segments: 0 };
    }
    const line = Buffer.from(`${json}\n`);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.current.count += 1;
    this.current.bytes += line.length;
    if (this.pendingBytes >= SEGMENT_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.current || this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await insertSegment(this.db, this.jobId, this.current.fileNo, this.current.segments, data);
    this.current.segments += 1;
  }

  async closeFile(): Promise<void> {
    if (!this.current) return;
    await this.flush();
    this.files.push(this.current);
    this.current = undefined;
  }
}
