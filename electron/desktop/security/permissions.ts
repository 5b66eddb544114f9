/**
 * Which permission requests and checks the window's session grants: the microphone (and writing to
 * the clipboard), only to the app's own main frame. Electron grants every permission by default unless a handler says otherwise
 * (Electron security checklist, "Handle session permission requests from remote content"), and the
 * check handler must agree with the request handler or Chromium asks again / reports "denied"
 * (Session docs, setPermissionCheckHandler).
 *
 * The shapes below are the parts of Electron's PermissionRequest / MediaAccessPermissionRequest /
 * PermissionCheckHandlerHandlerDetails this decision reads, so the rule is testable without Electron.
 */
export interface PermissionRequestInfo {
  isMainFrame: boolean;
  requestingUrl: string;
  /** media requests only: 'audio' and/or 'video' */
  mediaTypes?: readonly string[] | undefined;
}

export interface PermissionCheckInfo {
  isMainFrame: boolean;
  requestingUrl?: string | undefined;
  securityOrigin?: string | undefined;
  /** media checks only: 'audio' | 'video' | 'unknown' */
  mediaType?: string | undefined;
}

/**
 * The origin "scheme://host[:port]" of a URL, or null when it has none (file:, data:, blob:, about:).
 * Not `URL.origin`: WHATWG URL gives "null" for schemes it does not know, such as the app's own
 * `app://alicia`, which Chromium treats as a standard scheme with a real origin
 * (protocol.registerSchemesAsPrivileged({standard:true})).
 */
export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!u.host || ['file:', 'data:', 'blob:', 'about:', 'javascript:'].includes(u.protocol)) return null;
  return `${u.protocol}//${u.host}`.toLowerCase();
}

function trusted(url: string | undefined, appOrigins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && appOrigins.includes(o);
}

/**
 * Write-only clipboard access: the topic view's "copy topic" button calls navigator.clipboard.writeText
 * (renderer/src/views/TopicDetail.tsx), which Chromium gates behind 'clipboard-sanitized-write'.
 * Writing cannot read anything of the user's, so it is granted to the app; 'clipboard-read' is not.
 */
const CLIPBOARD_WRITE = 'clipboard-sanitized-write';

/**
 * setPermissionRequestHandler: grant getUserMedia({audio}) (and clipboard writes) to the app's main
 * frame; refuse video (the control center never films anyone), screen capture, notifications,
 * geolocation, MIDI, HID/serial/USB, clipboard reads and everything else.
 */
export function allowPermissionRequest(permission: string, info: PermissionRequestInfo, appOrigins: readonly string[]): boolean {
  if (permission !== 'media' && permission !== CLIPBOARD_WRITE) return false;
  if (!info.isMainFrame || !trusted(info.requestingUrl, appOrigins)) return false;
  if (permission === CLIPBOARD_WRITE) return true;
  const types = info.mediaTypes ?? [];
  // An empty list would be a request for nothing in particular: refuse rather than guess.
  return types.length > 0 && types.every((t) => t === 'audio');
}

/**
 * setPermissionCheckHandler: answers "is the microphone already allowed?" the same way, so the
 * renderer's navigator.permissions / device enumeration agree with what a request would get.
 * `requestingOrigin` is the origin Electron passes as the handler's third argument.
 */
export function allowPermissionCheck(
  permission: string,
  requestingOrigin: string,
  info: PermissionCheckInfo,
  appOrigins: readonly string[],
): boolean {
  if (permission === CLIPBOARD_WRITE) return info.isMainFrame && trusted(requestingOrigin, appOrigins);
  if (permission !== 'media') return false;
  if (info.mediaType !== 'audio') return false;
  // Electron passes an origin string; parse it rather than compare text (a trailing "/" may appear).
  if (!trusted(requestingOrigin, appOrigins)) return false;
  // securityOrigin/requestingUrl are absent for some checks; when present they must agree.
  if (info.securityOrigin !== undefined && !trusted(info.securityOrigin, appOrigins)) return false;
  if (info.requestingUrl !== undefined && !trusted(info.requestingUrl, appOrigins)) return false;
  return info.isMainFrame;
}
