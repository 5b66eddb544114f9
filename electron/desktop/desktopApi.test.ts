import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Script, createContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DESKTOP_API, desktopChannels, desktopRequestNames, VERSION_ARG, VIEW_ID_PATTERN } from './desktopApi.js';
import type { AliciaDesktopApi, DesktopApiName, DesktopConnection, DesktopHandlers, PayloadOf } from './desktopApi.js';

/**
 * Runs the real preload (preload.cts, compiled exactly as tsc compiles it) the way a sandboxed
 * Electron renderer does: wrapped in `function (require, process, Buffer, global, setImmediate,
 * clearImmediate, exports, module)` (Electron lib/sandboxed_renderer/init.ts) with a require that
 * only knows 'electron'. A preload that required a local file or a Node module, or exposed more than
 * the four functions, fails here instead of on a user's machine with a blank window. Its copy of
 * desktopApi.ts's channels, version argument and view-id pattern is checked against the declaration here.
 */
function loadPreload(argv: string[]) {
  const source = readFileSync(fileURLToPath(new URL('./preload.cts', import.meta.url)), 'utf8');
  const tsconfig = JSON.parse(readFileSync(fileURLToPath(new URL('../../tsconfig.base.json', import.meta.url)), 'utf8')) as {
    compilerOptions: ts.CompilerOptions;
  };
  const { options } = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, '.');
  const js = ts.transpileModule(source, {
    fileName: 'preload.cts',
    compilerOptions: { ...options, sourceMap: false, declaration: false },
  }).outputText;

  const exposed = new Map<string, unknown>();
  const invoked: string[] = [];
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: (channel: string) => {
        invoked.push(channel);
        return Promise.resolve({ channel });
      },
      on: (channel: string, l: (...a: unknown[]) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
      removeListener: (channel: string, l: (...a: unknown[]) => void) =>
        listeners.set(
          channel,
          (listeners.get(channel) ?? []).filter((x) => x !== l),
        ),
    },
  };
  const required: string[] = [];
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name} (a sandboxed preload can only require electron and a few polyfills)`);
  };
  const window = { location: { hash: '#/services' } };
  const wrapped = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${js}\n})`, {
    filename: 'preload.cjs',
  });
  const run = wrapped.runInContext(createContext({ window })) as (...args: unknown[]) => void;
  const module = { exports: {} };
  run(sandboxRequire, { argv, platform: 'linux' }, undefined, {}, undefined, undefined, module.exports, module);
  const emit = (channel: string, ...args: unknown[]) => (listeners.get(channel) ?? []).forEach((l) => l({ sender: 'ipc-event' }, ...args));
  const listening = () => [...listeners].filter(([, ls]) => ls.length > 0).map(([channel]) => channel);
  return { exposed, invoked, required, emit, listening, window, js };
}

describe('preload bridge (window.alicia)', () => {
  it('runs in a sandboxed renderer: requires nothing but electron', () => {
    const { required, js } = loadPreload(['/opt/alicia/alicia', `${VERSION_ARG}1.2.3`]);
    expect(required).toEqual(['electron']);
    expect(js).not.toMatch(/\bimport\s|require\(["'](?!electron)/);
  });

  it('exposes exactly platform, version, getConnection and openDataFolder on window.alicia', () => {
    const { exposed } = loadPreload([`${VERSION_ARG}1.2.3`]);
    expect([...exposed.keys()]).toEqual(['alicia']);
    const api = exposed.get('alicia') as AliciaDesktopApi;
    expect(Object.keys(api).sort()).toEqual(['getConnection', 'openDataFolder', 'platform', 'version']);
    expect(api.platform).toBe('linux');
    expect(api.version).toBe('1.2.3');
  });

  it('uses the channels main handles (ipc.ts)', async () => {
    const { exposed, invoked } = loadPreload([]);
    const api = exposed.get('alicia') as AliciaDesktopApi;
    await api.getConnection();
    await api.openDataFolder();
    expect(invoked).toEqual([DESKTOP_API.getConnection.channel, DESKTOP_API.openDataFolder.channel]);
    expect(api.version).toBe('');
  });

  it('repeats every channel of the declaration: one function per request, one listener per push', async () => {
    const { exposed, invoked, listening } = loadPreload([]);
    const api = exposed.get('alicia') as Record<string, () => Promise<unknown>>;
    const requests = desktopRequestNames();
    expect(Object.keys(api).sort()).toEqual(['platform', 'version', ...requests].sort());
    for (const name of requests) await api[name]!();
    expect(invoked).toEqual(requests.map((name) => DESKTOP_API[name].channel));
    const pushes = (Object.keys(DESKTOP_API) as DesktopApiName[]).filter((name) => DESKTOP_API[name].kind === 'push');
    expect(listening()).toEqual(pushes.map((name) => DESKTOP_API[name].channel));
    expect(Object.values(desktopChannels()).sort()).toEqual([...invoked, ...listening()].sort());
  });

  it('turns View-menu messages into the renderer hash route, and ignores anything but a view id', () => {
    const { emit, window } = loadPreload([]);
    emit(DESKTOP_API.showView.channel, 'devices');
    expect(window.location.hash).toBe('#/devices');
    for (const bad of [{ not: 'a string' }, 'javascript:alert(1)', '../x', 'Devices', '', 'a'.repeat(40)]) {
      emit(DESKTOP_API.showView.channel, bad);
      expect(window.location.hash).toBe('#/devices');
    }
    // the preload's pattern is the one desktopApi.ts documents: it writes exactly the ids VIEW_ID_PATTERN accepts
    expect(VIEW_ID_PATTERN.test('devices')).toBe(true);
    for (const id of ['services', 'topic-tree', 'a', 'a'.repeat(32), 'a'.repeat(33), '-x', 'x1', 'x_y', 'x y', 'X']) {
      window.location.hash = '#/before';
      emit(DESKTOP_API.showView.channel, id);
      expect(window.location.hash, id).toBe(VIEW_ID_PATTERN.test(id) ? `#/${id}` : '#/before');
    }
  });

  it('gives the window, the preload and main one signature per entry (checked by the compiler)', () => {
    expectTypeOf<AliciaDesktopApi['getConnection']>().toEqualTypeOf<() => Promise<DesktopConnection>>();
    expectTypeOf<AliciaDesktopApi['openDataFolder']>().toEqualTypeOf<() => Promise<string>>();
    expectTypeOf<DesktopHandlers['getConnection']>().toEqualTypeOf<() => DesktopConnection | Promise<DesktopConnection>>();
    expectTypeOf<DesktopHandlers['openDataFolder']>().toEqualTypeOf<() => string | Promise<string>>();
    expectTypeOf<PayloadOf<'showView'>>().toEqualTypeOf<string>();
  });
});
