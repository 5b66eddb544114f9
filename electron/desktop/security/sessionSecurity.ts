import { readFile } from 'node:fs/promises';
import type { App, Protocol, Session } from 'electron';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { contentTypeOf } from '../../host/http/contentType.js';
import { APP_SCHEME, resolveAppFile } from './appProtocol.js';
import { buildCsp } from './csp.js';
import { externalUrlToOpen, isAllowedNavigation } from './navigation.js';
import { allowPermissionCheck, allowPermissionRequest } from './permissions.js';
import { isPinnedCertificate, type PinnedCertificate } from './pinnedCertificate.js';

/**
 * The window's locks, wired to Electron: the app:// scheme and its file handler, the CSP on every
 * page, the permission rules, and the navigation, new-window and <webview> refusals for every
 * web contents. The decisions are the pure, unit-tested modules next to this file; this one only
 * hands them to Electron's hooks.
 */
export interface SessionSecurityOptions {
  /** the origins the window's pages may have: app://alicia, plus the Vite dev server in development */
  appOrigins: readonly string[];
  log: Logger;
}

export interface SecureSessionOptions extends SessionSecurityOptions {
  /** the broker's WebSocket URL, the one place the page may connect to */
  wsUrl: string;
  /** the Vite dev server, only from a source checkout */
  devServerUrl: string | undefined;
  /** the built renderer, served as app://alicia/ */
  rendererRoot: string;
  /** with `tls` on, the broker's WSS certificate (self-signed): trusted at the broker's address only */
  pinned: PinnedCertificate | null;
}

/**
 * app://alicia is a standard, secure scheme so the page gets a real origin, a secure context
 * (getUserMedia requires one) and fetch() for its AudioWorklet module. No corsEnabled: other origins
 * must not be able to read it, and no bypassCSP. Electron honours this only before 'ready'.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/**
 * For every web contents the app creates: no <webview> (Electron security checklist, "Verify WebView
 * options before creation"), no navigation off the app's origins, no new windows (a plain https link
 * opens in the user's browser instead). Registered before the first window exists.
 */
export function guardWebContents(
  app: Pick<App, 'on'>,
  openExternal: (url: string) => Promise<void>,
  { appOrigins, log }: SessionSecurityOptions,
): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.on('will-navigate', (e) => {
      if (!isAllowedNavigation(e.url, appOrigins)) {
        e.preventDefault();
        log.warn('navigation blocked', { url: e.url.slice(0, 200) });
      }
    });
    contents.on('will-redirect', (e) => {
      if (!isAllowedNavigation(e.url, appOrigins)) e.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      const external = externalUrlToOpen(url);
      if (external) openExternal(external).catch((err: unknown) => log.warn('cannot open link', { error: String(err) }));
      return { action: 'deny' };
    });
  });
}

/** The window session's app:// file handler, CSP and permission rules. */
export function secureSession(ses: Session, { appOrigins, log, wsUrl, devServerUrl, rendererRoot, pinned }: SecureSessionOptions): void {
  const csp = buildCsp({ wsUrl, devServerUrl });

  // 0: trusted; -3: Chromium's own verification decides (Electron docs, setCertificateVerifyProc)
  if (pinned)
    ses.setCertificateVerifyProc((req, callback) => callback(isPinnedCertificate(req.hostname, req.certificate.data, pinned) ? 0 : -3));

  ses.protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(request.url, rendererRoot);
    if (!file) return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'content-type': contentTypeOf(file),
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });

  // The dev server's responses get the same policy (plus its dev relaxations) through the header hook.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') return callback({});
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy'),
    );
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } });
  });

  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    const granted = allowPermissionRequest(
      permission,
      { isMainFrame: details.isMainFrame, requestingUrl: details.requestingUrl, mediaTypes },
      appOrigins,
    );
    if (!granted) log.info('permission refused', { permission, url: details.requestingUrl.slice(0, 200) });
    callback(granted);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    allowPermissionCheck(
      permission,
      requestingOrigin,
      {
        isMainFrame: details.isMainFrame,
        requestingUrl: details.requestingUrl,
        securityOrigin: details.securityOrigin,
        mediaType: details.mediaType,
      },
      appOrigins,
    ),
  );
}
