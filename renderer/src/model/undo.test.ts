import { describe, expect, it } from 'vitest';
import { undoCommands, undoSession } from './undo.js';

describe('undo of a voice command', () => {
  it('puts each kind of device back as the router saw it before', () => {
    expect(undoCommands({ device_id: 'l', action: 'turn_on', before: { on: false, brightness: 40 } })).toEqual([
      { device_id: 'l', action: 'turn_off', params: {} },
    ]);
    expect(undoCommands({ device_id: 'l', action: 'set_brightness', before: { on: true, brightness: 40 } })).toEqual([
      { device_id: 'l', action: 'set_brightness', params: { brightness: 40 } },
    ]);
    // dimming a light that was off turned it on: undo turns it off again
    expect(undoCommands({ device_id: 'l', action: 'set_brightness', before: { on: false, brightness: 40 } })).toEqual([
      { device_id: 'l', action: 'turn_off', params: {} },
    ]);
    expect(undoCommands({ device_id: 't', action: 'set_temperature', before: { target: 20.5, mode: 'heat' } })).toEqual([
      { device_id: 't', action: 'set_temperature', params: { target: 20.5 } },
    ]);
    expect(undoCommands({ device_id: 'd', action: 'unlock', before: { locked: true } })).toEqual([
      { device_id: 'd', action: 'lock', params: {} },
    ]);
    expect(undoCommands({ device_id: 's', action: 'play', before: { playing: false, volume: 30 } })).toEqual([
      { device_id: 's', action: 'pause', params: {} },
    ]);
  });

  it('does nothing when the state before is unknown, and undoes a whole session last change first', () => {
    expect(undoCommands({ device_id: 'l', action: 'turn_on', before: {} })).toEqual([]);
    expect(
      undoSession([
        { device_id: 'a', action: 'turn_on', before: { on: false } },
        { device_id: 'b', action: 'turn_on', before: { on: true } },
      ]).map((c) => `${c.device_id}:${c.action}`),
    ).toEqual(['b:turn_on', 'a:turn_off']);
  });
});
