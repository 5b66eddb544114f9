/**
 * Levels the user sets on a device card (brightness, volume, a thermostat's setpoint): which key
 * moves them how far, and the sender that turns a burst of changes into few commands. Pure (timers
 * only), tested in deviceLevels.test.ts.
 */

export interface LevelRange {
  min: number;
  max: number;
  /** Arrow keys move one step */
  step: number;
  /** Page Up / Page Down move this far */
  bigStep: number;
}

/** Ten steps for the Page keys (10 % on a percent slider), the way native range inputs do it. */
export function rangeOf(min: number, max: number, step: number): LevelRange {
  return { min, max, step, bigStep: step * 10 };
}

/** A value on the step grid from `min`, inside the range (float noise from 0.5 steps removed). */
export function snap(v: number, r: LevelRange): number {
  const n = Math.round((v - r.min) / r.step);
  const snapped = r.min + n * r.step;
  const clamped = Math.min(r.max, Math.max(r.min, snapped));
  return Number(clamped.toFixed(6));
}

/**
 * The value a key press moves `value` to, or null for keys that do not move it (Tab, letters):
 * Right/Up one step up, Left/Down one step down, Page Up/Down ten steps, Home/End the ends (WAI-ARIA
 * slider and spinbutton patterns).
 */
export function levelAfterKey(key: string, value: number, r: LevelRange): number | null {
  // from an off-grid value (a device that reports 21.3 °C), the first step lands on the grid
  const pos = (value - r.min) / r.step;
  const up = (steps: number) => snap(r.min + (Math.floor(pos + 1e-9) + steps) * r.step, r);
  const down = (steps: number) => snap(r.min + (Math.ceil(pos - 1e-9) - steps) * r.step, r);
  const big = Math.round(r.bigStep / r.step);
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return up(1);
    case 'ArrowLeft':
    case 'ArrowDown':
      return down(1);
    case 'PageUp':
      return up(big);
    case 'PageDown':
      return down(big);
    case 'Home':
      return r.min;
    case 'End':
      return r.max;
    default:
      return null;
  }
}

interface Slot {
  wanted: number;
  /** the value of the command in flight, if any */
  inFlight: number | null;
  /** the value last sent and settled */
  settled: number | null;
  timer: ReturnType<typeof setTimeout> | null;
  /** when `wanted` last changed */
  changedAt: number;
}

/**
 * Sends the latest wanted value per key, not one command per change: a value is sent once the user
 * has paused for `quietMs` (or at once when asked, e.g. on pointer release), never while an earlier
 * command for the same key is still in flight; what changed meanwhile follows when it settles.
 * `onIdle` runs when a key has nothing left to send (the window then shows the device's own state
 * again).
 */
export class LatestValueSender {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly send: (key: string, value: number) => Promise<void>,
    private readonly onIdle: (key: string) => void,
    private readonly quietMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The user wants `value` for `key`; `immediate` skips the quiet period (a released pointer). */
  want(key: string, value: number, immediate = false): void {
    const slot = this.slots.get(key) ?? { wanted: value, inFlight: null, settled: null, timer: null, changedAt: 0 };
    this.slots.set(key, slot);
    slot.wanted = value;
    slot.changedAt = this.now();
    this.schedule(key, slot, immediate ? 0 : this.quietMs);
  }

  /** Send what is waiting for `key` now (if nothing is in flight). */
  flush(key: string): void {
    const slot = this.slots.get(key);
    if (slot) this.schedule(key, slot, 0);
  }

  /** Whether a value for `key` is waiting or in flight. */
  busy(key: string): boolean {
    return this.slots.has(key);
  }

  private schedule(key: string, slot: Slot, delayMs: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (slot.inFlight !== null) return; // sent when the flight lands
    if (delayMs <= 0) {
      this.fire(key, slot);
      return;
    }
    slot.timer = setTimeout(() => {
      slot.timer = null;
      this.fire(key, slot);
    }, delayMs);
  }

  private fire(key: string, slot: Slot): void {
    if (slot.wanted === slot.settled) {
      this.slots.delete(key);
      this.onIdle(key);
      return;
    }
    const value = slot.wanted;
    slot.inFlight = value;
    // send() reports its own failure (the card shows it); either way the flight has landed
    void this.send(key, value)
      .catch(() => undefined)
      .then(() => {
        slot.inFlight = null;
        slot.settled = value;
        // more changes came in meanwhile: wait out what is left of their quiet period
        const left = this.quietMs - (this.now() - slot.changedAt);
        this.schedule(key, slot, slot.wanted === value ? 0 : left);
      });
  }
}
