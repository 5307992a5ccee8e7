/**
 * The load client's one HTTP request, over a keep-alive agent. An answer with status `drain` is
 * read off the socket and dropped (the caller reads only its status, as the EPS cycle does for
 * every answer but `$prepare`'s): joining large answers nobody reads cost the client CPU the server
 * could have had. Any other answer's body is kept, so a failure is still reported with its body.
 */
import { request, type Agent } from 'node:http';

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

const EMPTY = Buffer.alloc(0);

export function httpCall(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: Buffer | string, drain?: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const status = res.statusCode ?? 0;
      res.on('error', reject);
      if (status === drain) {
        res.on('end', () => resolve({ status, headers: res.headers, body: EMPTY }));
        res.resume();
        return;
      }
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
