/**
 * Coalesce store commits to at most one per animation frame (the zigbee2mqtt windfront pattern):
 * the bus connection mutates plain buffers per message and asks for a flush; all flushes queued
 * during a frame run together right before the next paint. When the page is hidden, browsers pause
 * requestAnimationFrame, so a timer fallback keeps the stores (and the e2e tests reading them) fresh.
 */
const queued = new Map<string, () => void>();
let scheduled = false;
let rafId = 0;
let timerId: ReturnType<typeof setTimeout> | undefined;

function run(): void {
  scheduled = false;
  cancelAnimationFrame(rafId);
  if (timerId !== undefined) clearTimeout(timerId);
  timerId = undefined;
  const fns = [...queued.values()];
  queued.clear();
  for (const fn of fns) {
    try {
      fn();
    } catch (e) {
      console.warn('store flush failed', e);
    }
  }
}

/** Run `flush` once before the next frame, however many times it is asked for under the same key. */
export function onNextFrame(key: string, flush: () => void): void {
  queued.set(key, flush);
  if (scheduled) return;
  scheduled = true;
  rafId = requestAnimationFrame(run);
  timerId = setTimeout(run, 250);
}
