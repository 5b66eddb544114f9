/**
 * Electron entry: the desktop app. Thin glue around the same core the headless host runs
 * (core.ts: broker, recorder, supervisor + services), with the services as Electron utility
 * processes, one sandboxed window, a tray icon, a menu and OS notifications. Every decision that
 * can be made without Electron lives in a pure, unit-tested module (security/*, windowState,
 * tray, menu, serviceNotices, startupErrors, shutdown); this file only wires them to Electron's API.
 * It cannot run on the project's build machines (no Electron binary: PLATFORM.md), so it is
 * type-checked against electron.d.ts and exercised by e2e/electron.spec.ts where a binary exists.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  protocol,
  screen,
  session,
  shell,
  Tray,
  utilityProcess,
} from 'electron';
import type { IpcMainInvokeEvent, MenuItemConstructorOptions, Session } from 'electron';
import { accessSync, constants as fsConstants, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decode } from '../../services/lib/protocol/decode.js';
import type { TopicPattern } from '../../services/lib/protocol/topics.js';
import { loadConfig } from '../host/config.js';
import { startCore } from '../host/core.js';
import type { Core } from '../host/core.js';
import { IPC_CHANNELS, VERSION_ARG } from './desktopApi.js';
import type { DesktopConnection } from './desktopApi.js';
import { createDesktopLog } from './desktopLog.js';
import { appMenuTemplate } from './menu.js';
import type { ViewId } from './menu.js';
import { appRoot, CONFIG_FILE, defaultConfigPath, rendererDir, servicesDir } from '../host/paths.js';
import { contentTypeOf } from '../host/http/contentType.js';
import { APP_INDEX_URL, APP_ORIGIN, APP_SCHEME, resolveAppFile } from './security/appProtocol.js';
import { buildCsp } from './security/csp.js';
import { externalUrlToOpen, isAllowedNavigation } from './security/navigation.js';
import { allowPermissionCheck, allowPermissionRequest, originOf } from './security/permissions.js';
import { ServiceNotices } from './serviceNotices.js';
import { stopWithin } from './shutdown.js';
import { describeStartupError } from './startupErrors.js';
import { UtilityLauncher } from './utilityLauncher.js';
import { PRODUCT_NAME, trayIconFile, trayMenuTemplate, trayStatus } from './tray.js';
import type { HealthAggregate, ServiceState } from './tray.js';
import { fitToDisplays, loadWindowState, MIN_HEIGHT, MIN_WIDTH, saveWindowState, windowStateFile } from './windowState.js';
import type { WindowState } from './windowState.js';

/** Quit gives the core this long (supervisor grace 3 s + recorder flush + broker close), then exits anyway. */
const QUIT_TIMEOUT_MS = 10_000;
const SERVICES_FILTER: TopicPattern = 'alicia/system/services/+';
const HEALTH_TOPIC: TopicPattern = 'alicia/health/status';

// --- before 'ready' (these calls are only honoured before the app is ready: protocol and app docs) ---

// app://alicia is a standard, secure scheme so the page gets a real origin, a secure context
// (getUserMedia requires one) and fetch() for its AudioWorklet module. No corsEnabled: other origins
// must not be able to read it, and no bypassCSP.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
// One data folder whatever the launch (packaged app, or `electron .` from a checkout where the
// default name would come from package.json's "name"): <appData>/Alicia Control Center. An explicit
// --user-data-dir (Chromium's switch: a second profile, or a test's temporary folder) wins.
app.setName(PRODUCT_NAME);
if (!app.commandLine.hasSwitch('user-data-dir')) app.setPath('userData', path.join(app.getPath('appData'), PRODUCT_NAME));

/** The Vite dev server, only from a source checkout: a packaged app never loads a page named by the environment. */
const devServerUrl = (() => {
  const raw = process.env.ALICIA_DEV_SERVER_URL;
  if (!raw || app.isPackaged) return undefined;
  const o = originOf(raw);
  return o && /^https?:/.test(o) ? raw : undefined;
})();
const dev = !app.isPackaged;
/**
 * The folder holding package.json, dist/ and resources/ (inside app.asar when packaged). Found from
 * this file rather than app.getAppPath(), which is the script's folder when Electron is started with
 * a script path instead of the app folder; the version is read from the same package.json for the
 * same reason (app.getVersion() then reports Electron's own version).
 */
const root = appRoot();
const appVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? app.getVersion();
const appOrigins = devServerUrl ? [APP_ORIGIN, originOf(devServerUrl)!] : [APP_ORIGIN];

let core: Core | undefined;
let win: BrowserWindow | undefined;
let tray: Tray | undefined;
let quitState: 'running' | 'stopping' | 'done' = 'running';
let startupFailed = false;
let log: ReturnType<typeof createDesktopLog> | undefined;
/** Saves the open window's bounds; set while a window exists (BrowserWindow.destroy() emits no 'close'). */
let saveWindow: (() => void) | undefined;

if (!app.requestSingleInstanceLock()) {
  // A second launch hands over to the first (which shows its window: 'second-instance' below) and
  // ends here: two apps would fight over the same ports, data folder and SQLite file.
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('window-all-closed', () => {
    // macOS convention: the app stays in the Dock without windows; elsewhere closing the window quits,
    // since not every Linux desktop shows tray icons and the user must always have a way to quit.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showWindow());
  app.on('before-quit', (event) => {
    if (quitState === 'done') return;
    event.preventDefault();
    if (quitState === 'stopping') return;
    quitState = 'stopping';
    void shutdown();
  });
  // Ctrl+C in the terminal that ran `npm start`, or a service manager stopping the app: quit cleanly.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  app.on('web-contents-created', (_event, contents) => {
    // No <webview> anywhere (Electron security checklist, "Verify WebView options before creation").
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.on('will-navigate', (e) => {
      if (!isAllowedNavigation(e.url, appOrigins)) {
        e.preventDefault();
        log?.warn('navigation blocked', { url: e.url.slice(0, 200) });
      }
    });
    contents.on('will-redirect', (e) => {
      if (!isAllowedNavigation(e.url, appOrigins)) e.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      const external = externalUrlToOpen(url);
      if (external) void shell.openExternal(external).catch((err: unknown) => log?.warn('cannot open link', { error: String(err) }));
      return { action: 'deny' };
    });
  });
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => fail(e));
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  const logFile = path.join(dataDir, 'logs', 'desktop.log');
  const context = { dataDir, configFile: path.join(dataDir, CONFIG_FILE), logFile };
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, fsConstants.W_OK);
    log = createDesktopLog(logFile, 'info', !app.isPackaged);
    log.info('starting', { version: appVersion, electron: process.versions.electron, dataDir, dev });

    const config = loadConfig(dataDir, {}, defaultConfigPath(root));
    core = await startCore({
      dataDir,
      host: config.host,
      mqttPort: config.ports.mqtt,
      wsPort: config.ports.ws,
      // utilityProcess.fork exists only after 'ready', which is why the launcher is made here.
      launcher: new UtilityLauncher((modulePath, args, options) => utilityProcess.fork(modulePath, args, options)),
      servicesDir: servicesDir(root),
      config,
      log,
      // The broker's WebSocket listener refuses browser Origins not listed (issue 7): the window's is app://alicia.
      allowedOrigins: appOrigins,
      version: appVersion,
    });
    log.info('core started', { mqtt: core.addresses.mqttUrl, ws: core.addresses.wsUrl });
  } catch (e) {
    fail(e, context);
    return;
  }

  const running = core;
  secureSession(session.defaultSession, running.addresses.wsUrl);
  registerIpc(running, dataDir);
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(menuOptions(running, dataDir))));
  createWindow();
  await watchServices(running, dataDir);
}

/** CSP, the app:// file handler and the permission rules, all on the window's session. */
function secureSession(ses: Session, wsUrl: string): void {
  const csp = buildCsp({ wsUrl, devServerUrl });
  const rendererRoot = rendererDir(root);

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
    if (!granted) log?.info('permission refused', { permission, url: details.requestingUrl.slice(0, 200) });
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

/** IPC handlers answer only the app's own main frame (Electron security checklist, "Validate the sender of all IPC messages"). */
function registerIpc(running: Core, dataDir: string): void {
  const trusted = (event: IpcMainInvokeEvent) => {
    const frame = event.senderFrame;
    return frame !== null && frame.parent === null && isAllowedNavigation(frame.url, appOrigins);
  };
  ipcMain.handle(IPC_CHANNELS.getConnection, (event): DesktopConnection => {
    if (!trusted(event)) throw new Error('not allowed');
    const cred = running.credentials.get('window');
    return { ws_url: running.addresses.wsUrl, username: cred.username, password: cred.password, version: appVersion };
  });
  ipcMain.handle(IPC_CHANNELS.openDataFolder, (event) => {
    if (!trusted(event)) throw new Error('not allowed');
    return shell.openPath(dataDir);
  });
}

function createWindow(): void {
  if (win && !win.isDestroyed()) return;
  const stateFile = windowStateFile(app.getPath('userData'));
  const workAreas = screen.getAllDisplays().map((d) => d.workArea);
  const fitted = fitToDisplays(loadWindowState(stateFile), workAreas, screen.getPrimaryDisplay().workArea);
  const w = new BrowserWindow({
    ...(fitted.x !== undefined && fitted.y !== undefined ? { x: fitted.x, y: fitted.y } : {}),
    width: fitted.width,
    height: fitted.height,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    show: false,
    title: PRODUCT_NAME,
    icon: path.join(root, 'resources', 'icons', 'png', '512x512.png'),
    // Matches the renderer's own background so the first frame does not flash white in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#14161a' : '#f6f7f9',
    webPreferences: {
      preload: path.join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: dev,
      additionalArguments: [`${VERSION_ARG}${appVersion}`],
    },
  });
  win = w;
  if (fitted.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  // A page that fails to load never becomes ready-to-show: show the window anyway, never an invisible app.
  w.webContents.on('did-fail-load', (_e, code, description, url) => {
    log?.error('window failed to load', { code, description, url: url.slice(0, 200) });
    if (!w.isDestroyed() && !w.isVisible()) w.show();
  });
  const save = () => {
    if (w.isDestroyed()) return;
    const b = w.getNormalBounds();
    const state: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: w.isMaximized() };
    try {
      saveWindowState(stateFile, state);
    } catch (e) {
      log?.warn('cannot save window state', { error: (e as Error).message });
    }
  };
  saveWindow = save;
  w.on('close', save);
  w.on('closed', () => {
    if (win === w) win = undefined;
    if (saveWindow === save) saveWindow = undefined;
  });
  w.webContents.on('render-process-gone', (_e, details) =>
    log?.error('window renderer gone', { reason: details.reason, exitCode: details.exitCode }),
  );
  const url = devServerUrl ?? APP_INDEX_URL;
  w.loadURL(url).catch((e: unknown) => log?.error('cannot load the window', { url, error: String(e) }));
}

function showWindow(view?: ViewId): void {
  if (quitState !== 'running' || !core) return;
  if (!win || win.isDestroyed()) createWindow();
  const w = win;
  if (!w) return;
  if (w.isMinimized()) w.restore();
  w.show();
  w.focus();
  if (view) w.webContents.send(IPC_CHANNELS.showView, view);
}

function menuOptions(running: Core, dataDir: string) {
  return {
    appName: PRODUCT_NAME,
    platform: process.platform,
    dev,
    showView: (view: ViewId) => showWindow(view),
    openDataFolder: () => openFolder(dataDir),
    openLogsFolder: () => openFolder(path.join(dataDir, 'logs')),
    startAll: () => controlAll(running, 'start'),
    stopAll: () => controlAll(running, 'stop'),
  };
}

function openFolder(dir: string): void {
  void shell.openPath(dir).then((err) => {
    if (err) log?.warn('cannot open folder', { dir, error: err });
  });
}

/** The same operation as a supervisor request for service "*", called in-process. */
function controlAll(running: Core, action: 'start' | 'stop'): void {
  running.supervisor.control(action, '*').then(
    (r) => log?.info(`${action} all services`, { states: Object.fromEntries(r.map((x) => [x.service, x.state])) }),
    (e: unknown) => log?.error(`${action} all services failed`, { error: String(e) }),
  );
}

/**
 * Tray health and failure notifications from the bus, subscribed in-process (no network client):
 * service process states (supervisor) and the health monitor's aggregate.
 */
async function watchServices(running: Core, dataDir: string): Promise<void> {
  const states = new Map<string, ServiceState>();
  let aggregate: HealthAggregate | null = null;
  const notices = new ServiceNotices();
  const iconsDir = path.join(root, 'resources', 'icons', 'tray');
  const icon = (file: string) => nativeImage.createFromPath(path.join(iconsDir, file));

  try {
    tray = new Tray(icon(trayIconFile('unknown')));
    tray.on('click', () => showWindow());
  } catch (e) {
    // Some Linux desktops have no status area; the app works without a tray.
    log?.warn('no tray icon', { error: String(e) });
  }

  let pending: NodeJS.Timeout | undefined;
  const refresh = () => {
    pending = undefined;
    if (!tray || tray.isDestroyed()) return;
    const status = trayStatus(states, aggregate);
    tray.setImage(icon(trayIconFile(status.level)));
    tray.setToolTip(status.tooltip);
    const template: MenuItemConstructorOptions[] = trayMenuTemplate(status, states, {
      showWindow: () => showWindow(),
      startAll: () => controlAll(running, 'start'),
      stopAll: () => controlAll(running, 'stop'),
      openDataFolder: () => openFolder(dataDir),
      quit: () => app.quit(),
    });
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };
  // Bus listeners run on the broker's publish path: only record and schedule (coalesced to 4/s).
  const schedule = () => {
    pending ??= setTimeout(refresh, 250);
  };
  refresh();

  await running.broker.subscribe(SERVICES_FILTER, (packet) => {
    if (packet.payload.length === 0) return;
    try {
      const state = decode('alicia/system/services/+', packet.payload);
      states.set(state.service, state);
      const notice = notices.observe(state, Date.now());
      if (notice && Notification.isSupported()) {
        const n = new Notification({
          title: notice.title,
          body: notice.body,
          urgency: notice.urgency,
          icon: path.join(root, 'resources', 'icons', 'png', '256x256.png'),
        });
        n.on('click', () => showWindow('services'));
        n.show();
      }
      schedule();
    } catch (e) {
      log?.warn('bad service state message', { topic: packet.topic, error: String(e) });
    }
  });
  await running.broker.subscribe(HEALTH_TOPIC, (packet) => {
    if (packet.payload.length === 0) return;
    try {
      aggregate = decode('alicia/health/status', packet.payload);
      schedule();
    } catch (e) {
      log?.warn('bad health status message', { error: String(e) });
    }
  });
}

async function shutdown(): Promise<void> {
  log?.info('quitting: stopping services, recorder and broker');
  if (tray && !tray.isDestroyed()) tray.destroy();
  saveWindow?.();
  for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.destroy();
  const running = core;
  const r = running ? await stopWithin(() => running.stop(), QUIT_TIMEOUT_MS) : { outcome: 'stopped' as const, ms: 0 };
  if (r.outcome === 'stopped') log?.info('stopped', { ms: r.ms });
  else log?.error(`quit: core ${r.outcome}`, { ...r });
  quitState = 'done';
  app.exit(r.outcome === 'stopped' && !startupFailed ? 0 : 1);
}

/** A startup failure: say what and where in a dialog (a packaged app has no terminal), then quit. */
function fail(e: unknown, context?: { dataDir: string; configFile: string; logFile: string }): void {
  const dataDir = context?.dataDir ?? app.getPath('userData');
  const ctx = context ?? { dataDir, configFile: path.join(dataDir, CONFIG_FILE), logFile: path.join(dataDir, 'logs', 'desktop.log') };
  startupFailed = true;
  const problem = describeStartupError(e, ctx);
  log?.error('startup failed', { title: problem.title, error: e instanceof Error ? e.message : String(e) });
  process.stderr.write(`${problem.title}\n${problem.detail}\n`);
  dialog.showErrorBox(problem.title, problem.detail);
  // Stop whatever did start (e.g. the broker, when a later step failed inside the window setup).
  app.quit();
}
