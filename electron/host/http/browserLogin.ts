import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signing a browser in to the headless host, the way Jupyter does: the host makes a random login
 * token at each start and prints the window's URL with it (`alicia serve`, runtime.json http.url).
 * A request carrying the token gets a session cookie; the cookie, not the token, names the browser's
 * window session from then on (broker/windowSessions.ts holds the session and its broker credential).
 *
 * The cookie value is 32 random bytes; only its SHA-256 is kept, so the lookup's timing reveals
 * nothing about a guess and a memory dump holds no usable cookie. Sessions live in memory only: a
 * host restart signs every browser out (the new token is needed).
 */
export class BrowserLogin {
  /** the login token: 32 random bytes, base64url */
  readonly token: string;
  private readonly tokenHash: Buffer;
  /** SHA-256 (hex) of a cookie value -> window session id, and back */
  private readonly byCookie = new Map<string, string>();
  private readonly cookieOf = new Map<string, string>();

  constructor(token: string = randomBytes(32).toString('base64url')) {
    this.token = token;
    this.tokenHash = sha256(token);
  }

  /** Timing-safe: both sides are hashed to 32 bytes, so the compare costs the same for any guess. */
  tokenMatches(given: string): boolean {
    return timingSafeEqual(sha256(given), this.tokenHash);
  }

  /** A new cookie value for window session `id`. */
  issueCookie(id: string): string {
    const value = randomBytes(32).toString('base64url');
    const key = sha256(value).toString('hex');
    this.byCookie.set(key, id);
    this.cookieOf.set(id, key);
    return value;
  }

  /** The window session a cookie value names, or null. */
  sessionOf(cookieValue: string | undefined): string | null {
    if (!cookieValue) return null;
    return this.byCookie.get(sha256(cookieValue).toString('hex')) ?? null;
  }

  /** The session ended (signed out, idle, ended from the Health view): its cookie names nothing any more. */
  forget(id: string): void {
    const key = this.cookieOf.get(id);
    if (key === undefined) return;
    this.cookieOf.delete(id);
    this.byCookie.delete(key);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The session cookie's name carries the port: cookies ignore ports (RFC 6265 section 8.5), so two
 * hosts on one machine (127.0.0.1:8470 and :8471) would otherwise overwrite each other's.
 */
export function sessionCookieName(port: number): string {
  return `alicia_session_${port}`;
}

/**
 * HttpOnly: page scripts never see it (an injected script cannot carry it off). SameSite=Strict: no
 * other site's page or link sends it. Path=/ for the whole window. Secure under TLS. No Max-Age:
 * the server decides when it ends (idle timeout, sign-out, restart).
 */
export function sessionCookie(name: string, value: string, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The header that makes the browser drop the cookie (sign-out). */
export function clearedCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** One cookie's value from a Cookie header (RFC 6265 section 5.4: "name=value" pairs joined by "; "). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
