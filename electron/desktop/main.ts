/**
 * Electron entry: the desktop app. Thin glue around the same core the headless host runs
 * (../host/core.ts: broker, recorder, supervisor + services), with the services as Electron utility
 * processes, one sandboxed window, a tray icon, a menu and OS notifications. This file only holds the
 * app's lifecycle (one instance, quit, startup failure) and starts its parts in order: the core, the
 * window session's security, the bridge's IPC handlers, the menu, the window, the tray; quit stops
 * them in reverse. Each part is its own module, and every decision that can be made without Electron
 * lives in a pure, unit-tested one (security/*, windowState, tray, menu, serviceNotices,
 * serviceStatusFeed, startupErrors, shutdown, partStack).
 * Electron cannot run on the project's build machines (its binary download needs GitHub, which they
 * cannot reach), so the shell is type-checked against electron.d.ts and exercised by
 * e2e/browser/electron.spec.ts wherever a binary exists.
 */
import { app, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess } from 'electron';
import { accessSync, constants as fsConstants, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../services/lib/runtime/logger.js';
import { loadConfig } from '../host/config.js';
import { startCore } from '../host/core.js';
import type { Core } from '../host/core.js';
import { appRoot, CONFIG_FILE, defaultConfigPath, rendererDir, servicesDir } from '../host/paths.js';
import { createDesktopLog } from './desktopLog.js';
import { DesktopIpc } from './ipc.js';
import { MainWindow } from './mainWindow.js';
import { appMenuTemplate } from './menu.js';
import type { ViewId } from './menu.js';
import { PartStack } from '../host/partStack.js';
import type { Part } from '../host/partStack.js';
import { APP_INDEX_URL, APP_ORIGIN } from './security/appProtocol.js';
import { originOf } from './security/permissions.js';
import { guardWebContents, registerAppScheme, secureSession } from './security/sessionSecurity.js';
import { stopWithin } from './shutdown.js';
import { describeStartupError } from './startupErrors.js';
import { PRODUCT_NAME } from './tray.js';
import { TrayController } from './trayController.js';
import { UtilityLauncher } from './utilityLauncher.js';

/** Quit gives the core this long (supervisor grace 3 s + recorder flush + broker close), then exits anyway. */
const QUIT_TIMEOUT_MS = 10_000;

// --- before 'ready' (these calls are only honoured before the app is ready: protocol and app docs) ---

registerAppScheme(protocol);
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
let mainWindow: MainWindow | undefined;
let quitState: 'running' | 'stopping' | 'done' = 'running';
let startupFailed = false;
let log: Logger | undefined;
const parts = new PartStack((part, e) =>
  log?.error(`quit: stopping ${part} failed`, { error: e instanceof Error ? e.message : String(e) }),
);

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
    const desktopLog = createDesktopLog(logFile, 'info', !app.isPackaged);
    log = desktopLog;
    desktopLog.info('starting', { version: appVersion, electron: process.versions.electron, dataDir, dev });
    const config = loadConfig(dataDir, {}, defaultConfigPath(root));
    const running = await startCore({
      dataDir,
      host: config.host,
      mqttPort: config.ports.mqtt,
      wsPort: config.ports.ws,
      // utilityProcess.fork exists only after 'ready', which is why the launcher is made here.
      launcher: new UtilityLauncher((modulePath, args, options) => utilityProcess.fork(modulePath, args, options)),
      servicesDir: servicesDir(root),
      config,
      log: desktopLog,
      // The broker's WebSocket listener refuses every browser Origin it is not given, so no other
      // web page the user opens can reach the bus: the window's own origin is app://alicia.
      allowedOrigins: appOrigins,
      version: appVersion,
    });
    core = running;
    desktopLog.info('core started', { mqtt: running.addresses.mqttUrl, ws: running.addresses.wsUrl });
    // The core (already running: startCore undoes its own half-done start) is the first part, so it stops last.
    await parts.start([
      { name: 'core', start: () => undefined, stop: () => stopCore(running) },
      ...desktopParts(running, dataDir, desktopLog),
    ]);
  } catch (e) {
    fail(e, context);
  }
}

/** What the desktop adds around the running core, in start order. */
function desktopParts(running: Core, dataDir: string, desktopLog: Logger): Part[] {
  const win = new MainWindow({
    root,
    userDataDir: dataDir,
    url: devServerUrl ?? APP_INDEX_URL,
    dev,
    appVersion,
    log: desktopLog,
  });
  // The app window's own window session, opened here at start and never idle-expired while the app
  // runs (a browser's is opened by signing in with the login token). Ended from a browser's Health
  // view, it is re-opened on the window's next ask: the window reconnects, nothing changes for the user.
  let appSession: { id: string; credential: { username: string; password: string } } | null = null;
  const appConnection = () => {
    if (!appSession || !running.windowSessions.has(appSession.id)) {
      appSession = running.windowSessions.open({
        kind: 'app',
        userAgent: `${PRODUCT_NAME} ${appVersion}`,
        remote: 'local',
        expires: false,
      });
    }
    const { id, credential } = appSession;
    return {
      ws_url: running.addresses.wsUrl,
      username: credential.username,
      password: credential.password,
      version: appVersion,
      session_id: id,
    };
  };
  appConnection();
  const ipc = new DesktopIpc(
    ipcMain,
    {
      getConnection: appConnection,
      openDataFolder: () => openFolder(dataDir),
    },
    appOrigins,
  );
  const actions = {
    showWindow: () => showWindow(),
    startAll: () => controlAll(running, 'start'),
    stopAll: () => controlAll(running, 'stop'),
    openDataFolder: () => void openFolder(dataDir),
    quit: () => app.quit(),
  };
  const tray = new TrayController({
    bus: running.bus,
    root,
    actions: { ...actions, showView: (view) => showWindow(view) },
    log: desktopLog,
  });
  return [
    {
      name: 'session security',
      start: () => {
        const security = { appOrigins, log: desktopLog };
        secureSession(session.defaultSession, {
          ...security,
          wsUrl: running.addresses.wsUrl,
          pinned: running.tls ? { hostname: new URL(running.addresses.wsUrl).hostname, fingerprint256: running.tls.fingerprint256 } : null,
          devServerUrl,
          rendererRoot: rendererDir(root),
        });
        guardWebContents(app, (url) => shell.openExternal(url), security);
      },
    },
    { name: 'ipc', start: () => ipc.start(), stop: () => ipc.stop() },
    {
      name: 'menu',
      start: () => {
        const template = appMenuTemplate({
          appName: PRODUCT_NAME,
          platform: process.platform,
          dev,
          showView: (view) => showWindow(view),
          openDataFolder: actions.openDataFolder,
          openLogsFolder: () => void openFolder(path.join(dataDir, 'logs')),
          startAll: actions.startAll,
          stopAll: actions.stopAll,
        });
        Menu.setApplicationMenu(Menu.buildFromTemplate(template));
      },
    },
    {
      name: 'window',
      start: () => {
        mainWindow = win;
        win.start();
      },
      stop: () => win.stop(),
    },
    { name: 'tray', start: () => tray.start(), stop: () => tray.stop() },
  ];
}

async function stopCore(running: Core): Promise<void> {
  const r = await stopWithin(() => running.stop(), QUIT_TIMEOUT_MS);
  if (r.outcome === 'timeout') throw new Error(`the core did not stop within ${QUIT_TIMEOUT_MS} ms`);
  if (r.outcome === 'failed') throw new Error(r.error);
  log?.info('stopped', { ms: r.ms });
}

function showWindow(view?: ViewId): void {
  if (quitState !== 'running' || !core) return;
  mainWindow?.show(view);
}

/** Opens a folder in the OS file manager; resolves to '' or shell.openPath's error message, which is logged. */
async function openFolder(dir: string): Promise<string> {
  const error = await shell.openPath(dir).catch((e: unknown) => String(e));
  if (error) log?.warn('cannot open folder', { dir, error });
  return error;
}

/** The same operation as a supervisor request for service "*", called in-process. */
function controlAll(running: Core, action: 'start' | 'stop'): void {
  running.supervisor.control(action, '*').then(
    (r) => log?.info(`${action} all services`, { states: Object.fromEntries(r.map((x) => [x.service, x.state])) }),
    (e: unknown) => log?.error(`${action} all services failed`, { error: String(e) }),
  );
}

async function shutdown(): Promise<void> {
  log?.info('quitting: stopping services, recorder and broker');
  const clean = await parts.stop();
  quitState = 'done';
  app.exit(clean && !startupFailed ? 0 : 1);
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
