import path from 'node:path';

/**
 * The window loads the built renderer from a privileged custom scheme, app://alicia/, instead of
 * file://. Reasons (Electron security checklist, "Use a custom protocol instead of file://"):
 * file:// pages can read any file the user can, have an opaque origin (so no per-origin permission
 * rule and no CSP response header), and Chromium treats every file as same-site. A standard, secure
 * scheme gives the page a real origin ("app://alicia") that the CSP, permission and navigation rules
 * and the broker's WebSocket Origin check can name.
 *
 * This module maps a request URL to a file under the renderer's build directory and nothing else.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'alicia';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * The file under `rootDir` that an app:// request URL names, or null if the URL is not ours or tries
 * to leave the root (`..`, encoded `%2e%2e`, `%2f`, backslashes, NUL). A path without an extension
 * is a client-side route and gets index.html (single-page app fallback).
 */
export function resolveAppFile(requestUrl: string, rootDir: string): string | null {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const segments = rel.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  if (segments.length === 0 || path.extname(segments[segments.length - 1] ?? '') === '') segments.splice(0, segments.length, 'index.html');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  // Belt and braces: after resolution the file must still be inside the root.
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}
