/**
 * Reads PostgreSQL's binary COPY format (PostgreSQL docs, "COPY", "Binary Format") as it streams in:
 * an 11-byte signature, flags and a header extension; then per row a 16-bit field count and per
 * field a 32-bit length (-1 for NULL) and its bytes; then a count of -1. A download streams a file's
 * segments this way, so the fields' bytes are handed on as views into the chunks they came in,
 * never gathered into a whole value (nor decoded into a string, as the driver's rows would be).
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
// PostgreSQL writes no header extension today; one far larger than any would be is malformed.
const MAX_EXTENSION_BYTES = 1024 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

export class CopyFormatError extends Error {}

type State = 'header' | 'count' | 'length' | 'data' | 'done';

export class CopyBinaryReader {
  /** Rows read so far. */
  rows = 0;
  private state: State = 'header';
  // The bytes of a header or a count or length split across chunks (a few bytes, copied).
  private pending = EMPTY;
  private extensionBytes = 0;
  private fieldsLeft = 0;
  private dataLeft = 0;

  /** The bytes of every non-NULL field in `chunk` (views into it), in order; a field split across chunks comes in pieces. */
  read(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'data') {
        const n = Math.min(this.dataLeft, chunk.length - at);
        pieces.push(chunk.subarray(at, at + n));
        at += n;
        this.dataLeft -= n;
        if (this.dataLeft === 0) this.state = this.fieldsLeft > 0 ? 'length' : 'count';
        continue;
      }
      if (this.state === 'done') throw new CopyFormatError('bytes after the end of the COPY data');
      const want = this.state === 'header' ? HEADER_BYTES + this.extensionBytes : this.state === 'count' ? 2 : 4;
      const n = Math.min(want - this.pending.length, chunk.length - at);
      this.pending = Buffer.concat([this.pending, chunk.subarray(at, at + n)]);
      at += n;
      if (this.pending.length < want) break;
      const bytes = this.pending;
      this.pending = EMPTY;
      this.advance(bytes);
    }
    return pieces;
  }

  /** Throws unless the data ended where the format says it ends. */
  end(): void {
    if (this.state !== 'done') throw new CopyFormatError('the COPY data ended early');
  }

  private advance(bytes: Buffer) {
    switch (this.state) {
      case 'header': {
        if (!bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyFormatError('not binary COPY data (no signature)');
        const extension = bytes.readUInt32BE(SIGNATURE.length + 4);
        if (extension > MAX_EXTENSION_BYTES) throw new CopyFormatError(`a header extension of ${extension} bytes`);
        if (bytes.length < HEADER_BYTES + extension) {
          this.extensionBytes = extension;
          this.pending = bytes;
        } else {
          this.state = 'count';
        }
        return;
      }
      case 'count': {
        const count = bytes.readInt16BE(0);
        if (count === -1) this.state = 'done';
        else if (count < 0) throw new CopyFormatError(`a row of ${count} fields`);
        else {
          this.rows += 1;
          this.fieldsLeft = count;
          if (count > 0) this.state = 'length';
        }
        return;
      }
      case 'length': {
        const length = bytes.readInt32BE(0);
        if (length < -1) throw new CopyFormatError(`a field of ${length} bytes`);
        this.fieldsLeft -= 1;
        if (length > 0) {
          this.dataLeft = length;
          this.state = 'data';
        } else if (this.fieldsLeft === 0) {
          this.state = 'count';
        }
        return;
      }
      default:
        throw new CopyFormatError(`unexpected state ${this.state}`);
    }
  }
}
