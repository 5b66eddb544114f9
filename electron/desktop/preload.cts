/**
 * Preload of the control center window. Sandboxed (sandbox: true) and context-isolated, so it must be
 * a single CommonJS file (Electron docs, "Process Sandboxing" and "ES Modules in Electron": sandboxed
 * preloads cannot be ESM and can only require electron's renderer modules and a few Node polyfills).
 *
 * It exposes exactly four things on window.alicia (desktopApi.ts AliciaDesktopApi), each a narrow
 * function, never ipcRenderer itself (Electron security checklist, "Do not expose Electron APIs to
 * untrusted web content"). The channel names repeat desktopApi.ts IPC_CHANNELS (a test checks it).
 */
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';
import type { AliciaDesktopApi, DesktopConnection } from './desktopApi.js';

// The main-process tsconfig has no DOM lib; the preload touches exactly this much of the page.
declare const window: { location: { hash: string } };

const CHANNELS = {
  getConnection: 'alicia:get-connection',
  openDataFolder: 'alicia:open-data-folder',
  showView: 'alicia:show-view',
} as const;
const VERSION_ARG = '--alicia-version=';

const versionArg = process.argv.find((a) => a.startsWith(VERSION_ARG));

const api: AliciaDesktopApi = {
  platform: process.platform,
  version: versionArg ? versionArg.slice(VERSION_ARG.length) : '',
  getConnection: () => electron.ipcRenderer.invoke(CHANNELS.getConnection) as Promise<DesktopConnection>,
  openDataFolder: () => electron.ipcRenderer.invoke(CHANNELS.openDataFolder) as Promise<string>,
};

electron.contextBridge.exposeInMainWorld('alicia', api);

// View menu (Ctrl+1..6): switch views through the renderer's own hash route. The isolated world
// shares the page's location, and the page follows 'hashchange' (renderer/src/App.tsx), so no
// callback has to cross the bridge. Only a plain view id is ever written.
electron.ipcRenderer.on(CHANNELS.showView, (_event: IpcRendererEvent, view: unknown) => {
  if (typeof view === 'string' && /^[a-z][a-z-]{0,31}$/.test(view)) window.location.hash = `#/${view}`;
});
