/**
 * The desktop bridge, declared once: what the window may ask the Electron main process for (the
 * only things it cannot get over MQTT) and what main tells the window. Every user derives its types
 * from DESKTOP_API:
 *  - preload.cts builds `window.alicia` (AliciaDesktopApi);
 *  - ipc.ts registers one ipcMain handler per request (DesktopHandlers) and sends the pushes;
 *  - the window types `window.alicia` with it (renderer/src/bus/connectionInfo.ts; renderer/tsconfig.json
 *    includes this file). In a browser against the headless host `window.alicia` is absent and the
 *    window fetches GET /api/connection instead, which answers the same DesktopConnection shape.
 * So this module imports nothing: no Node, no Electron, no DOM.
 *
 * The sandboxed preload cannot import it at run time (a sandboxed preload's require() only loads
 * electron and a few polyfills: Electron docs, "Process Sandboxing"), so the preload repeats the
 * channel strings in one table typed `DesktopChannels`: the compiler checks its names against
 * DESKTOP_API, desktopApi.test.ts its values.
 */

/** Where the bus is and which credential the window uses; same shape as the headless host's GET /api/connection. */
export interface DesktopConnection {
  ws_url: string;
  username: string;
  password: string;
  version: string;
  /**
   * The public id of this window's session (its broker username is `window:<id>`): the Health view
   * marks it "this window". Absent from hosts before window sessions.
   */
  session_id?: string;
}

/** A request from the window (ipcRenderer.invoke) that main answers (ipcMain.handle). */
export interface Invoke<Call extends (...args: never[]) => unknown> {
  readonly kind: 'invoke';
  readonly channel: string;
  /** Never set: carries the call's type for the compiler. */
  readonly call?: Call;
}

/** A message from main to the window (webContents.send). */
export interface Push<Payload> {
  readonly kind: 'push';
  readonly channel: string;
  /** Never set: carries the payload's type for the compiler. */
  readonly payload?: Payload;
}

const invoke = <Call extends (...args: never[]) => unknown>(channel: string): Invoke<Call> => ({ kind: 'invoke', channel });
const push = <Payload>(channel: string): Push<Payload> => ({ kind: 'push', channel });

export const DESKTOP_API = {
  /** the bus address and the window's credential */
  getConnection: invoke<() => DesktopConnection>('alicia:get-connection'),
  /** opens the data folder in the OS file manager; resolves to '' or an error message (shell.openPath's result) */
  openDataFolder: invoke<() => string>('alicia:open-data-folder'),
  /**
   * A view id from the View menu (menu.ts VIEWS). The preload turns it into the window's own route,
   * location.hash = '#/<view>' (renderer/src/stores/uiStore.ts reads the hash, App.tsx follows
   * 'hashchange'), so the page needs no extra API for it. Only ids matching VIEW_ID_PATTERN are written.
   */
  showView: push<string>('alicia:show-view'),
} as const;

type Api = typeof DESKTOP_API;
export type DesktopApiName = keyof Api;
export type DesktopRequestName = { [K in DesktopApiName]: Api[K]['kind'] extends 'invoke' ? K : never }[DesktopApiName];
export type DesktopPushName = { [K in DesktopApiName]: Api[K]['kind'] extends 'push' ? K : never }[DesktopApiName];
type CallOf<K extends DesktopRequestName> = Api[K] extends Invoke<infer C> ? C : never;
type ArgsOf<K extends DesktopRequestName> = Parameters<CallOf<K>>;
type ResultOf<K extends DesktopRequestName> = ReturnType<CallOf<K>>;
export type PayloadOf<K extends DesktopPushName> = Api[K] extends Push<infer P> ? P : never;

/** `window.alicia`: every request as an async function, plus two facts the preload knows by itself. */
export type AliciaDesktopApi = { readonly platform: string; readonly version: string } & {
  readonly [K in DesktopRequestName]: (...args: ArgsOf<K>) => Promise<ResultOf<K>>;
};

/**
 * Main's side: one handler per request. Arguments arrive from the page, so a handler gets each one
 * as `unknown` and validates it before use.
 */
export type DesktopHandlers = {
  readonly [K in DesktopRequestName]: (...args: Unvalidated<ArgsOf<K>>) => ResultOf<K> | Promise<ResultOf<K>>;
};
type Unvalidated<Args extends readonly unknown[]> = { [I in keyof Args]: unknown };

/** The channel of every entry by name: the table the preload has to repeat. */
export type DesktopChannels = { readonly [K in DesktopApiName]: string };

export function desktopChannels(): DesktopChannels {
  return Object.fromEntries(Object.entries(DESKTOP_API).map(([name, entry]) => [name, entry.channel])) as DesktopChannels;
}

/** The names of the requests, for registering their handlers. */
export function desktopRequestNames(): DesktopRequestName[] {
  return (Object.keys(DESKTOP_API) as DesktopApiName[]).filter((k): k is DesktopRequestName => DESKTOP_API[k].kind === 'invoke');
}

/** Passed to the preload through webPreferences.additionalArguments (visible in its process.argv). */
export const VERSION_ARG = '--alicia-version=';

/** View ids the preload accepts from main before writing them into location.hash. */
export const VIEW_ID_PATTERN = /^[a-z][a-z-]{0,31}$/;
