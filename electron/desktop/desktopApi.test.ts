import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Script, createContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS, VERSION_ARG, VIEW_ID_PATTERN } from './desktopApi.js';
import type { AliciaDesktopApi } from './desktopApi.js';

/**
 * Runs the real preload (preload.cts, compiled exactly as tsc compiles it) the way a sandboxed
 * Electron renderer does: wrapped in `function (require, process, Buffer, global, setImmediate,
 * clearImmediate, exports, module)` (Electron lib/sandboxed_renderer/init.ts) with a require that
 * only knows 'electron'. A preload that required a local file or a Node module, or exposed more than
 * the four functions, fails here instead of on a user's machine with a blank window.
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
  return { exposed, invoked, required, emit, window, js };
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

  it('uses the channels main.ts handles', async () => {
    const { exposed, invoked } = loadPreload([]);
    const api = exposed.get('alicia') as AliciaDesktopApi;
    await api.getConnection();
    await api.openDataFolder();
    expect(invoked).toEqual([IPC_CHANNELS.getConnection, IPC_CHANNELS.openDataFolder]);
    expect(api.version).toBe('');
  });

  it('turns View-menu messages into the renderer hash route, and ignores anything but a view id', () => {
    const { emit, window } = loadPreload([]);
    emit(IPC_CHANNELS.showView, 'devices');
    expect(window.location.hash).toBe('#/devices');
    for (const bad of [{ not: 'a string' }, 'javascript:alert(1)', '../x', 'Devices', '', 'a'.repeat(40)]) {
      emit(IPC_CHANNELS.showView, bad);
      expect(window.location.hash).toBe('#/devices');
    }
    // the preload's pattern is the one desktopApi.ts documents
    expect(VIEW_ID_PATTERN.test('devices')).toBe(true);
  });
});
