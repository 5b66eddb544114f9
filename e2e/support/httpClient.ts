import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Plain HTTP(S) requests for tests of the window's web server (its unit tests, the whole-host
 * tests): no redirect followed, no connection reused, any header set. node:http, not fetch:
 * the tests send foreign Host headers, which fetch does not allow.
 */
export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  /** trust this certificate (the host's self-signed one) for https:// URLs; it names localhost */
  ca?: string;
}

export function httpCall(url: string, opts: HttpOptions = {}): Promise<HttpReply> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: Number(u.port),
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        agent: false,
        headers: opts.headers ?? {},
        ...(tls ? { ca: opts.ca, servername: 'localhost' } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
