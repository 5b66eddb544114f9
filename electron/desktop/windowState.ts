import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The window's size and position, remembered across launches in userData/window-state.json, and
 * made visible again when the display it was on is gone (a laptop undocked from its monitor would
 * otherwise open the window off-screen, out of reach).
 *
 * Pure logic plus two small file functions; the Electron glue in mainWindow.ts passes in the displays'
 * work areas (screen.getAllDisplays()[i].workArea) and reads the window's normal bounds.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** undefined: let the OS place the window (first launch) */
  x?: number | undefined;
  y?: number | undefined;
  width: number;
  height: number;
  maximized: boolean;
}

export const MIN_WIDTH = 800;
export const MIN_HEIGHT = 560;
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 820, maximized: false };
/** How much of the window must show on some display for its position to be kept (a title bar's worth). */
export const MIN_VISIBLE = { width: 120, height: 40 };

const stateSchema = z.object({
  x: z.number().int().min(-100_000).max(100_000).optional(),
  y: z.number().int().min(-100_000).max(100_000).optional(),
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
  maximized: z.boolean().default(false),
});

/** Validate a stored state; anything malformed is null (fall back to defaults, never crash at start). */
export function parseWindowState(value: unknown): WindowState | null {
  const r = stateSchema.safeParse(value);
  return r.success ? r.data : null;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Fit a stored state onto the current displays:
 *  - size is at least MIN_* and at most the work area of the display it lands on;
 *  - if a title bar's worth of the window is visible on some display, it stays on the display it
 *    overlaps most, moved just enough to be fully inside that display's work area;
 *  - otherwise (display unplugged, resolution lowered) it is centred on the primary display.
 * `workAreas` must be non-empty; `primary` is the primary display's work area.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rect[], primary: Rect): WindowState {
  const sizeFor = (area: Rect) => ({
    width: Math.min(Math.max(state.width, MIN_WIDTH), area.width),
    height: Math.min(Math.max(state.height, MIN_HEIGHT), area.height),
  });
  const centred = (area: Rect): WindowState => {
    const { width, height } = sizeFor(area);
    return {
      x: Math.round(area.x + (area.width - width) / 2),
      y: Math.round(area.y + (area.height - height) / 2),
      width,
      height,
      maximized: state.maximized,
    };
  };
  if (state.x === undefined || state.y === undefined) {
    const { width, height } = sizeFor(primary);
    return { width, height, maximized: state.maximized };
  }
  const rect: Rect = { x: state.x, y: state.y, width: state.width, height: state.height };
  let best: Rect | undefined;
  let bestArea = 0;
  for (const area of workAreas) {
    const o = overlap(rect, area);
    if (
      o.width >= Math.min(MIN_VISIBLE.width, rect.width) &&
      o.height >= Math.min(MIN_VISIBLE.height, rect.height) &&
      o.width * o.height > bestArea
    ) {
      best = area;
      bestArea = o.width * o.height;
    }
  }
  if (!best) return centred(primary);
  const { width, height } = sizeFor(best);
  const x = Math.min(Math.max(rect.x, best.x), best.x + best.width - width);
  const y = Math.min(Math.max(rect.y, best.y), best.y + best.height - height);
  return { x, y, width, height, maximized: state.maximized };
}

export function windowStateFile(userDataDir: string): string {
  return path.join(userDataDir, 'window-state.json');
}

/** Read the stored state; a missing, unreadable or malformed file gives the defaults. */
export function loadWindowState(file: string): WindowState {
  try {
    return parseWindowState(JSON.parse(readFileSync(file, 'utf8'))) ?? { ...DEFAULT_WINDOW_STATE };
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

/**
 * Write atomically (temp file + rename) so a crash or power loss mid-write leaves the previous
 * state, not a truncated JSON file. Called on close, not on every move, so this cost is once per run.
 */
export function saveWindowState(file: string, state: WindowState): void {
  const clean = parseWindowState(state);
  if (!clean) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(clean, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
