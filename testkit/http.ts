import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
}

/**
 * A raw HTTP(S) request: unlike fetch it sends the path as written (for traversal tests), any method,
 * and trusts a given CA (for the self-signed certificate).
 */
export function send(base: string, method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string>; ca?: Buffer } = {}): Promise<Response> {
  const url = new URL(base);
  const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn({
      host: url.hostname, port: url.port, method, path,
      headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
      ...(opts.ca ? { ca: opts.ca } : {}),
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export const json = (value: unknown, extra: Record<string, string> = {}) => ({ body: typeof value === 'string' ? value : JSON.stringify(value), headers: { 'content-type': 'application/json', ...extra } });
export const sdp = (text: string, extra: Record<string, string> = {}) => ({ body: text, headers: { 'content-type': 'application/sdp', ...extra } });
