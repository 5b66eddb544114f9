import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_STATE,
  MIN_HEIGHT,
  MIN_WIDTH,
  fitToDisplays,
  loadWindowState,
  saveWindowState,
  windowStateFile,
} from './windowState.js';

const laptop = { x: 0, y: 0, width: 1440, height: 870 };
const monitorRight = { x: 1440, y: 0, width: 2560, height: 1400 };

describe('window state fitted to the displays', () => {
  it('keeps a window that is fully on a display where it was', () => {
    const s = { x: 100, y: 80, width: 1200, height: 700, maximized: false };
    expect(fitToDisplays(s, [laptop], laptop)).toEqual(s);
  });

  it('re-centres on the primary display a window left on an unplugged monitor', () => {
    const onMonitor = { x: 2000, y: 200, width: 1600, height: 1000, maximized: true };
    const fitted = fitToDisplays(onMonitor, [laptop], laptop);
    expect(fitted.width).toBe(1440);
    expect(fitted.height).toBe(870);
    expect(fitted).toMatchObject({ x: 0, y: 0, maximized: true });
    const small = fitToDisplays({ x: 5000, y: 5000, width: 1000, height: 600, maximized: false }, [laptop], laptop);
    expect(small).toEqual({ x: 220, y: 135, width: 1000, height: 600, maximized: false });
  });

  it('pulls a window hanging off an edge fully onto the display it mostly overlaps', () => {
    const s = { x: 3500, y: -50, width: 1000, height: 800, maximized: false };
    const fitted = fitToDisplays(s, [laptop, monitorRight], laptop);
    expect(fitted).toEqual({ x: 3000, y: 0, width: 1000, height: 800, maximized: false });
  });

  it('treats a sliver (less than a title bar) as not visible', () => {
    const s = { x: 1400, y: 860, width: 1000, height: 700, maximized: false };
    const fitted = fitToDisplays(s, [laptop], laptop);
    expect(fitted.x).toBe(220);
    expect(fitted.y).toBe(85);
  });

  it('enforces a minimum size and never exceeds the work area', () => {
    expect(fitToDisplays({ x: 10, y: 10, width: 100, height: 50, maximized: false }, [laptop], laptop)).toMatchObject({
      width: MIN_WIDTH,
      height: MIN_HEIGHT,
    });
    expect(fitToDisplays({ x: 0, y: 0, width: 9000, height: 9000, maximized: false }, [laptop], laptop)).toMatchObject({
      x: 0,
      y: 0,
      width: 1440,
      height: 870,
    });
  });

  it('without a stored position leaves placement to the OS', () => {
    const fitted = fitToDisplays(DEFAULT_WINDOW_STATE, [laptop], laptop);
    expect(fitted.x).toBeUndefined();
    expect(fitted.y).toBeUndefined();
    expect(fitted.width).toBe(1280);
  });

  it('handles displays left of and above the primary (negative coordinates)', () => {
    const left = { x: -1920, y: -200, width: 1920, height: 1080 };
    const s = { x: -1800, y: -100, width: 1200, height: 800, maximized: false };
    expect(fitToDisplays(s, [laptop, left], laptop)).toEqual(s);
  });
});

describe('window state file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'alicia-ws-'));
    dirs.push(d);
    return d;
  };

  it('round-trips through userData/window-state.json, private to the user', () => {
    const file = windowStateFile(tmp());
    const s = { x: -30, y: 40, width: 1000, height: 700, maximized: true };
    saveWindowState(file, s);
    expect(loadWindowState(file)).toEqual(s);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(s);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('falls back to defaults for a missing, truncated or hostile file', () => {
    const dir = tmp();
    expect(loadWindowState(path.join(dir, 'none.json'))).toEqual(DEFAULT_WINDOW_STATE);
    const file = path.join(dir, 'w.json');
    writeFileSync(file, '{"x": 10, "y": 2');
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    writeFileSync(file, JSON.stringify({ width: 'huge', height: 1e12 }));
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('does not write an invalid state', () => {
    const file = windowStateFile(tmp());
    saveWindowState(file, { width: Number.NaN, height: 10, maximized: false });
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
  });
});
