import { z } from 'zod';
import { pathParam } from '../../framework/index.ts';

export const WebServerParams = z.object({
  host: z.string().min(1).default('0.0.0.0').describe('address to listen on (0.0.0.0: every interface; 127.0.0.1: this machine only)'),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port; 0 picks a free one (the log says which)'),
  static_dir: pathParam().optional().describe('folder of the browser page the app serves (none: only the API)'),
  cert_file: pathParam().optional().describe('PEM certificate; with key_file the server speaks HTTPS'),
  key_file: pathParam().optional().describe('PEM private key for cert_file'),
  token: z.string().min(1).optional().describe('bearer token required by /offer, /whip and /stats (Authorization: Bearer <token>)'),
  body_limit: z.number().int().min(1024).default(64 * 1024).describe('largest request body in bytes (413 above)'),
  request_timeout_ms: z.number().int().min(100).default(30_000).describe('how long a client may take to send a whole request (headers and body) before 408; stops slow-body clients from holding connections'),
  reply_timeout_ms: z.number().int().min(1).default(10_000).describe('how long to wait for the WebRTC operator before answering 504'),
  cors_origin: z.string().min(1).optional().describe('origin allowed to call the API from another site (e.g. https://example.com or *); none by default'),
}).strict().refine((p) => (p.cert_file === undefined) === (p.key_file === undefined), {
  message: 'cert_file and key_file go together: give both for HTTPS, or neither for HTTP',
  path: ['cert_file'],
});

export type WebServerParams = z.output<typeof WebServerParams>;
