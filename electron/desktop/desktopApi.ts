/**
 * The preload bridge between the window and the Electron main process: the only things the renderer
 * cannot get over MQTT (ARCHITECTURE.md "Control plane"). The renderer sees it as `window.alicia`;
 * in a browser against the headless host it is absent and the renderer fetches /api/connection.
 *
 * The sandboxed preload (preload.cts) cannot import this module at run time (a sandboxed preload's
 * require() only loads electron, events, timers and url: Electron docs, "Process Sandboxing"), so it
 * repeats the channel names; desktopApi.test.ts checks the two agree.
 */
export const IPC_CHANNELS = {
  /** invoke -> DesktopConnection */
  getConnection: 'alicia:get-connection',
  /** invoke -> '' or an error message (shell.openPath's result) */
  openDataFolder: 'alicia:open-data-folder',
  /**
   * main -> preload: a view id from the View menu (menu.ts VIEWS). The preload turns it into the
   * renderer's own route, location.hash = '#/<view>' (renderer/src/stores/uiStore.ts reads the hash,
   * App.tsx follows 'hashchange'), so the page needs no extra API for it.
   */
  showView: 'alicia:show-view',
} as const;

/** Passed to the preload through webPreferences.additionalArguments (visible in its process.argv). */
export const VERSION_ARG = '--alicia-version=';

/** Same shape as the headless host's GET /api/connection, so the renderer has one code path. */
export interface DesktopConnection {
  ws_url: string;
  username: string;
  password: string;
  version: string;
}

export interface AliciaDesktopApi {
  readonly platform: string;
  readonly version: string;
  getConnection(): Promise<DesktopConnection>;
  /** opens the data folder in the OS file manager; resolves to '' or an error message */
  openDataFolder(): Promise<string>;
}

/** View ids the preload accepts from main before writing them into location.hash. */
export const VIEW_ID_PATTERN = /^[a-z][a-z-]{0,31}$/;
