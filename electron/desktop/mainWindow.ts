import path from 'node:path';
import { BrowserWindow, nativeTheme, screen } from 'electron';
import type { Logger } from '../../services/lib/runtime/logger.js';
import { VERSION_ARG } from './desktopApi.js';
import { pushToWindow } from './ipc.js';
import type { ViewId } from './menu.js';
import { PRODUCT_NAME } from './tray.js';
import { fitToDisplays, loadWindowState, MIN_HEIGHT, MIN_WIDTH, saveWindowState, windowStateFile } from './windowState.js';
import type { WindowState } from './windowState.js';

export interface MainWindowOptions {
  /** the app folder (package.json, resources/) */
  root: string;
  userDataDir: string;
  /** app://alicia/index.html, or the Vite dev server in development */
  url: string;
  /** development build: devtools allowed */
  dev: boolean;
  appVersion: string;
  log: Logger;
}

/**
 * The one sandboxed control center window: opened where it was last closed (fitted onto today's
 * displays: windowState.ts), its size and place saved when it closes. Closing it destroys it;
 * show() makes a new one. stop() saves and destroys every window and can run twice.
 */
export class MainWindow {
  private win: BrowserWindow | undefined;
  /** Saves the open window's bounds; set while a window exists (BrowserWindow.destroy() emits no 'close'). */
  private saveState: (() => void) | undefined;

  constructor(private readonly o: MainWindowOptions) {}

  start(): void {
    this.open();
  }

  /** Bring the window to the front (making it again if it was closed), optionally on one view. */
  show(view?: ViewId): void {
    const w = this.open();
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
    if (view) pushToWindow(w.webContents, 'showView', view);
  }

  stop(): void {
    this.saveState?.();
    for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.destroy();
  }

  private open(): BrowserWindow {
    if (this.win && !this.win.isDestroyed()) return this.win;
    const { root, log } = this.o;
    const stateFile = windowStateFile(this.o.userDataDir);
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
        devTools: this.o.dev,
        additionalArguments: [`${VERSION_ARG}${this.o.appVersion}`],
      },
    });
    this.win = w;
    if (fitted.maximized) w.maximize();
    w.once('ready-to-show', () => w.show());
    // A page that fails to load never becomes ready-to-show: show the window anyway, never an invisible app.
    w.webContents.on('did-fail-load', (_e, code, description, url) => {
      log.error('window failed to load', { code, description, url: url.slice(0, 200) });
      if (!w.isDestroyed() && !w.isVisible()) w.show();
    });
    const save = () => {
      if (w.isDestroyed()) return;
      const b = w.getNormalBounds();
      const state: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: w.isMaximized() };
      try {
        saveWindowState(stateFile, state);
      } catch (e) {
        log.warn('cannot save window state', { error: (e as Error).message });
      }
    };
    this.saveState = save;
    w.on('close', save);
    w.on('closed', () => {
      if (this.win === w) this.win = undefined;
      if (this.saveState === save) this.saveState = undefined;
    });
    w.webContents.on('render-process-gone', (_e, details) =>
      log.error('window renderer gone', { reason: details.reason, exitCode: details.exitCode }),
    );
    w.loadURL(this.o.url).catch((e: unknown) => log.error('cannot load the window', { url: this.o.url, error: String(e) }));
    return w;
  }
}
