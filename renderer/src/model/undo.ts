import { deviceCommand } from '../../../services/lib/protocol/deviceActions.js';
import type { DeviceCommand } from '../../../services/lib/protocol/deviceActions.js';

/** A device a voice session acted on (alicia/voice/result `devices`), with its state before. */
export interface Touched {
  device_id: string;
  action: string;
  before: Record<string, unknown>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The commands that put one device back as it was before a voice command changed it, from the state
 * the router saw just before (`before`); [] when there is nothing to undo (a question, an unknown
 * prior state). Pure: the Voice view's undo button sends these in order.
 */
export function undoCommands(t: Touched): DeviceCommand[] {
  const b = t.before;
  const id = t.device_id;
  const onOff = (): DeviceCommand[] => (typeof b.on === 'boolean' ? [deviceCommand(id, b.on ? 'turn_on' : 'turn_off')] : []);
  switch (t.action) {
    case 'turn_on':
    case 'turn_off':
    case 'toggle':
      return onOff();
    case 'set_brightness':
    case 'brightness_up':
    case 'brightness_down': {
      const brightness = num(b.brightness);
      if (b.on === false) return [deviceCommand(id, 'turn_off')];
      return brightness === undefined ? [] : [deviceCommand(id, 'set_brightness', { brightness })];
    }
    case 'set_temperature':
    case 'temperature_up':
    case 'temperature_down': {
      const target = num(b.target);
      return target === undefined ? [] : [deviceCommand(id, 'set_temperature', { target })];
    }
    case 'set_mode':
      return b.mode === 'heat' || b.mode === 'cool' || b.mode === 'off' ? [deviceCommand(id, 'set_mode', { mode: b.mode })] : [];
    case 'lock':
    case 'unlock':
      return typeof b.locked === 'boolean' ? [deviceCommand(id, b.locked ? 'lock' : 'unlock')] : [];
    case 'set_volume':
    case 'volume_up':
    case 'volume_down': {
      const volume = num(b.volume);
      return volume === undefined ? [] : [deviceCommand(id, 'set_volume', { volume })];
    }
    case 'play':
    case 'pause':
      return typeof b.playing === 'boolean' ? [deviceCommand(id, b.playing ? 'play' : 'pause')] : [];
    default:
      return [];
  }
}

/** Undo a whole session: every device, last changed first. */
export function undoSession(devices: readonly Touched[]): DeviceCommand[] {
  return [...devices].reverse().flatMap(undoCommands);
}
