import { httpCall, type HttpOptions } from './httpClient.js';

export { httpCall, type HttpOptions, type HttpReply } from './httpClient.js';

/**
 * A browser's side of the headless host's sign-in, spoken with plain HTTP(S) requests for the
 * whole-host tests: open the login link (runtime.json http.url), keep the session cookie, call the
 * API with it.
 */

export interface WindowSession {
  /** "alicia_session_<port>=<value>", for a Cookie header */
  cookie: string;
  /** the Set-Cookie header the host answered */
  setCookie: string;
  /** where the sign-in redirected */
  location: string;
}

/** Open the login link like a browser does: the 302 and its cookie. */
export async function signIn(loginUrl: string, opts: HttpOptions = {}): Promise<WindowSession> {
  const r = await httpCall(loginUrl, opts);
  if (r.status !== 302) throw new Error(`signing in answered ${r.status}: ${r.body.slice(0, 200)}`);
  const setCookie = String(r.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, setCookie, location: String(r.headers.location) };
}

export interface WindowConnectionInfo {
  ws_url: string;
  username: string;
  password: string;
  version: string;
  session_id: string;
}

/** GET /api/connection with a session: this browser's own broker credential. */
export async function connectionInfo(baseUrl: string, session: WindowSession, opts: HttpOptions = {}): Promise<WindowConnectionInfo> {
  const r = await httpCall(new URL('/api/connection', baseUrl).toString(), {
    ...opts,
    headers: { ...opts.headers, cookie: session.cookie },
  });
  if (r.status !== 200) throw new Error(`GET /api/connection answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as WindowConnectionInfo;
}
