/**
 * An `http.Agent` whose connections are stand-ins, not sockets: each answers every whole request
 * with the agent's canned answer. For timing the load client's own HTTP work (node:http writing the
 * request, parsing the answer, keep-alive bookkeeping) in one process, without a server and without
 * the kernel (whose send and receive are therefore not in the figures).
 */
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** An answer as raw HTTP/1.1 bytes, with the headers the server sends on a keep-alive connection. */
export function cannedAnswer(status: number, body: string): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Error'}\r\n`
    + 'content-type: application/fhir+json; fhirVersion=4.0\r\n'
    + `content-length: ${bytes.length}\r\n`
    + 'x-request-id: 0d7b1c6c-6f3e-4c43-9f0a-4b9a1f0f7d2a\r\nx-correlation-id: 0d7b1c6c-6f3e-4c43-9f0a-4b9a1f0f7d2a\r\n'
    + `date: ${new Date().toUTCString()}\r\nconnection: keep-alive\r\nkeep-alive: timeout=72\r\n\r\n`), bytes]);
}

const HEADER_END = '\r\n\r\n';

class CannedConnection extends Duplex {
  /** Body bytes of the request still to come; undefined while its header is. */
  private remaining: number | undefined;
  /** The request's header so far (until its blank line). */
  private header = '';

  constructor(private readonly agent: CannedAgent) {
    super();
  }

  override _read() {}

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void) {
    this.receive(chunk);
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer | string }>, done: () => void) {
    for (const { chunk } of chunks) this.receive(chunk);
    done();
  }

  private receive(chunk: Buffer | string) {
    let bytes = Buffer.byteLength(chunk);
    if (this.remaining === undefined) {
      const before = this.header.length;
      this.header += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      const end = this.header.indexOf(HEADER_END);
      if (end < 0) return;
      this.remaining = Number(/\r\ncontent-length: *(\d+)/i.exec(this.header.slice(0, end))?.[1] ?? 0);
      this.header = '';
      // The header is ASCII (its characters are its bytes); what follows it in this chunk is body.
      bytes -= end + HEADER_END.length - before;
    }
    this.remaining -= bytes;
    if (this.remaining > 0) return;
    this.remaining = undefined;
    const answer = this.agent.answer;
    // As a socket delivers it: later, in reads of at most 64 KB.
    setImmediate(() => {
      for (let at = 0; at < answer.length; at += 65_536) this.push(answer.subarray(at, at + 65_536));
    });
  }

  // What node:http and a keep-alive agent ask of a socket.
  setKeepAlive() { return this; }
  setNoDelay() { return this; }
  setTimeout() { return this; }
  ref() { return this; }
  unref() { return this; }
}

export class CannedAgent extends Agent {
  /** What the next request is answered. */
  answer: Buffer = cannedAnswer(200, '{}');

  constructor() {
    super({ keepAlive: true, maxSockets: 1 });
  }

  override createConnection(): Socket {
    return new CannedConnection(this) as unknown as Socket;
  }
}
