import type { IpcMain } from 'electron';
import { describe, expect, it } from 'vitest';
import { DESKTOP_API, desktopRequestNames } from './desktopApi.js';
import type { DesktopConnection } from './desktopApi.js';
import { DesktopIpc, pushToWindow } from './ipc.js';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

/** ipcMain's handle/removeHandler as Electron documents them: one handler per channel, a second one throws. */
function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipc = {
    handle: (channel: string, h: Handler) => {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, h);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  return { ipc: ipc as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>, handlers };
}

const APP = 'app://alicia';
const frame = (url: string, parent: object | null = null) => ({ senderFrame: { url, parent } });
const connection: DesktopConnection = { ws_url: 'ws://127.0.0.1:1/mqtt', username: 'window', password: 'pw', version: '1.2.3' };

function started() {
  const { ipc, handlers } = fakeIpcMain();
  const calls: unknown[][] = [];
  const desktop = new DesktopIpc(
    ipc,
    {
      getConnection: (...args) => {
        calls.push(args);
        return connection;
      },
      openDataFolder: () => Promise.resolve(''),
    },
    [APP],
  );
  desktop.start();
  const call = (name: keyof typeof DESKTOP_API, event: unknown, ...args: unknown[]) =>
    handlers.get(DESKTOP_API[name].channel)!(event, ...args);
  return { desktop, handlers, calls, call };
}

describe('the bridge in the main process', () => {
  it('handles every request of the declaration on its channel, and stop() removes them (twice is fine)', () => {
    const { desktop, handlers } = started();
    expect([...handlers.keys()].sort()).toEqual(
      desktopRequestNames()
        .map((name) => DESKTOP_API[name].channel)
        .sort(),
    );
    desktop.start();
    desktop.stop();
    desktop.stop();
    expect(handlers.size).toBe(0);
  });

  it("answers the app's own main frame, passing the page's arguments as they came", async () => {
    const { call, calls } = started();
    expect(call('getConnection', frame(`${APP}/index.html`), 'extra')).toEqual(connection);
    expect(calls).toEqual([['extra']]);
    expect(await call('openDataFolder', frame(`${APP}/index.html#/services`))).toBe('');
  });

  it('refuses a subframe, another origin and a destroyed frame', () => {
    const { call, calls } = started();
    expect(() => call('getConnection', frame(`${APP}/index.html`, { url: `${APP}/index.html` }))).toThrow('not allowed');
    expect(() => call('getConnection', frame('https://evil.example/'))).toThrow('not allowed');
    expect(() => call('getConnection', { senderFrame: null })).toThrow('not allowed');
    expect(calls).toEqual([]);
  });

  it('sends a push on its declared channel', () => {
    const sent: unknown[][] = [];
    pushToWindow({ send: (...a: unknown[]) => void sent.push(a) }, 'showView', 'devices');
    expect(sent).toEqual([[DESKTOP_API.showView.channel, 'devices']]);
  });
});
