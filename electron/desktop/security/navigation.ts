import { originOf } from './permissions.js';

/**
 * Navigation rules of the window. The renderer is a single-page app that switches views without
 * navigating, so a real navigation is either a reload of the app itself or something the app never
 * intended (a dropped file, a link in a payload, an injected script): the latter is refused
 * (Electron security checklist, "Disable or limit navigation" and "Disable or limit creation of new windows").
 */

/** will-navigate / will-redirect / will-frame-navigate: stay on the app's own origin(s). */
export function isAllowedNavigation(url: string, appOrigins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && appOrigins.includes(o);
}

/**
 * setWindowOpenHandler: no new Electron windows ever. A plain https link (e.g. to documentation)
 * is what a person expects to open in their own browser, so that URL is returned for
 * shell.openExternal; every other scheme (file:, smb:, custom protocol handlers that launch local
 * programs) is refused, as the checklist's "Do not use shell.openExternal with untrusted content" asks.
 */
export function externalUrlToOpen(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.username || u.password) return null;
  return u.href;
}
