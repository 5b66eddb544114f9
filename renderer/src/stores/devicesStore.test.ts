import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decode } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { routeMessage } from '../bus/router.js';
import { useConnection } from './connectionStore.js';
import { recordCommand, useDevices } from './devicesStore.js';

beforeAll(() => {
  // node has no animation frames: the flushes (bus/frame.ts) fall back to their timer
  vi.stubGlobal('requestAnimationFrame', () => 0);
  vi.stubGlobal('cancelAnimationFrame', () => undefined);
});
afterAll(() => {
  vi.unstubAllGlobals();
});

/** A retained status arriving on the window's connection, through the real router. */
function status(id: string, on: boolean, updated_at: number): void {
  const body = { device_id: id, name: id, kind: 'light', room: 'study', state: { on }, online: true, updated_at };
  const bytes = new TextEncoder().encode(JSON.stringify(seal(body, { source: 'device-manager' })));
  routeMessage(`alicia/device/status/${id}`, 'alicia/device/status/+', decode('alicia/device/status/+', bytes));
}

const timeout = { code: 'DEVICE_TIMEOUT', message: 'desk bulb did not report its state within 2000 ms' };
const errorOf = (id: string) => useDevices.getState().commands[id]?.error;

describe('a failed command on a device card', () => {
  it('stays until a newer state of that device arrives, then goes', async () => {
    status('bulb', false, 1);
    status('other', false, 1);
    await vi.waitFor(() => expect(useDevices.getState().devices.bulb).toBeDefined());
    recordCommand('bulb', { action: 'turn_on', pending: false, error: timeout, at: Date.now() });
    await vi.waitFor(() => expect(errorOf('bulb')).toEqual(timeout));
    // another device's news is not this one's
    status('other', true, 2);
    await vi.waitFor(() => expect(useDevices.getState().devices.other?.state.on).toBe(true));
    expect(errorOf('bulb')).toEqual(timeout);
    // the late state report
    status('bulb', true, 3);
    await vi.waitFor(() => expect(useDevices.getState().devices.bulb?.state.on).toBe(true));
    expect(errorOf('bulb')).toBeUndefined();
  });

  it('is not cleared by a state that arrived before the failure, even in the same frame', async () => {
    status('lamp', false, 1);
    await vi.waitFor(() => expect(useDevices.getState().devices.lamp).toBeDefined());
    // both before the next frame: the status first, then the failure
    status('lamp', false, 2);
    recordCommand('lamp', { action: 'turn_on', pending: false, error: timeout, at: Date.now() });
    await vi.waitFor(() => expect(useDevices.getState().devices.lamp?.updated_at).toBe(2));
    expect(errorOf('lamp')).toEqual(timeout);
  });

  it('goes when the window reconnects to the bus', async () => {
    status('fan', false, 1);
    recordCommand('fan', {
      action: 'turn_on',
      pending: false,
      error: { code: 'NOT_CONNECTED', message: 'not connected to the bus' },
      at: 1,
    });
    await vi.waitFor(() => expect(errorOf('fan')?.code).toBe('NOT_CONNECTED'));
    useConnection.setState({ status: 'reconnecting' });
    expect(errorOf('fan')?.code).toBe('NOT_CONNECTED');
    useConnection.setState({ status: 'connected' });
    expect(errorOf('fan')).toBeUndefined();
  });
});
