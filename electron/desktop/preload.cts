/**
 * Preload of the control center window. Sandboxed (sandbox: true) and context-isolated, so it must be
 * a single CommonJS file (Electron docs, "Process Sandboxing" and "ES Modules in Electron": sandboxed
 * preloads cannot be ESM and can only require electron's renderer modules and a few Node polyfills).
 *
 * It exposes exactly what desktopApi.ts declares on window.alicia (AliciaDesktopApi), each a narrow
 * function, never ipcRenderer itself (Electron security checklist, "Do not expose Electron APIs to
 * untrusted web content").
 */
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';
import type { AliciaDesktopApi, DesktopChannels, DesktopRequestName } from './desktopApi.js';

// The main-process tsconfig has no DOM lib; the preload touches exactly this much of the page.
declare const window: { location: { hash: string } };

// desktopApi.ts cannot be loaded here (a sandboxed preload has no require() for its own files), so
// its run-time values are repeated once: the compiler checks the names, desktopApi.test.ts the values.
const CHANNELS: DesktopChannels = {
  getConnection: 'alicia:get-connection',
  openDataFolder: 'alicia:open-data-folder',
  showView: 'alicia:show-view',
};
const VERSION_ARG = '--alicia-version=';
const VIEW_ID_PATTERN = /^[a-z][a-z-]{0,31}$/;

const versionArg = process.argv.find((a) => a.startsWith(VERSION_ARG));

const invoke = <K extends DesktopRequestName>(name: K) =>
  ((...args: unknown[]) => electron.ipcRenderer.invoke(CHANNELS[name], ...args)) as AliciaDesktopApi[K];

const api: AliciaDesktopApi = {
  platform: process.platform,
  version: versionArg ? versionArg.slice(VERSION_ARG.length) : '',
  getConnection: invoke('getConnection'),
  openDataFolder: invoke('openDataFolder'),
};

electron.contextBridge.exposeInMainWorld('alicia', api);

// View menu (Ctrl+1..6): switch views through the renderer's own hash route. The isolated world
// shares the page's location, and the page follows 'hashchange' (renderer/src/App.tsx), so no
// callback has to cross the bridge. Only a plain view id is ever written.
electron.ipcRenderer.on(CHANNELS.showView, (_event: IpcRendererEvent, view: unknown) => {
  if (typeof view === 'string' && VIEW_ID_PATTERN.test(view)) window.location.hash = `#/${view}`;
});
