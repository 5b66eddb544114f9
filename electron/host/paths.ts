import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where things are. The compiled host runs from dist/electron/*.js and tests run from electron/*.ts,
 * so the app root is found by walking up to the folder that holds package.json and resources/
 * (in a packaged Electron app that is the app.asar root, which Electron's fs reads transparently).
 */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the app root (package.json + resources/) above ${fileURLToPath(import.meta.url)}`);
}

/** The compiled services: <root>/dist/services/<name>/main.js */
export function servicesDir(root = appRoot()): string {
  return join(root, 'dist', 'services');
}

/** The renderer as built by Vite */
export function rendererDir(root = appRoot()): string {
  return join(root, 'dist', 'renderer');
}

export function defaultConfigPath(root = appRoot()): string {
  return join(root, 'resources', 'config.default.json');
}

/**
 * The data dir of the headless host: --data-dir, else $ALICIA_DATA_DIR, else ~/.alicia.
 * (The Electron app uses its userData folder instead.) Holds config.json, credentials.json,
 * runtime.json, recorder.db, logs/ and services/<name>/.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ALICIA_DATA_DIR;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.alicia');
}

export const RUNTIME_FILE = 'runtime.json';
export const CONFIG_FILE = 'config.json';
export const RECORDER_DB = 'recorder.db';
