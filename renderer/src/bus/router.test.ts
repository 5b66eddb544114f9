import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decode } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import { useDevices } from '../stores/devicesStore.js';
import { routeCleared, routeMessage } from './router.js';
import type { RouteTable } from './router.js';

beforeAll(() => {
  // node has no animation frames: the router's flush (frame.ts) falls back to its timer
  vi.stubGlobal('requestAnimationFrame', () => 0);
  vi.stubGlobal('cancelAnimationFrame', () => undefined);
});
afterAll(() => {
  vi.unstubAllGlobals();
});

describe('the window router', () => {
  it("shows a device's retained status on its card, and takes the card away when the status is cleared", async () => {
    const body = { device_id: 'lamp', name: 'Lamp', kind: 'light', room: 'Kitchen', state: { on: true }, online: true, updated_at: 1 };
    const bytes = new TextEncoder().encode(JSON.stringify(seal(body, { source: 'device-manager' })));
    routeMessage('alicia/device/status/lamp', 'alicia/device/status/+', decode('alicia/device/status/+', bytes));
    await vi.waitFor(() => expect(useDevices.getState().devices.lamp?.name).toBe('Lamp'), { timeout: 2000 });
    routeCleared('alicia/device/status/lamp', 'alicia/device/status/+');
    await vi.waitFor(() => expect(useDevices.getState().devices.lamp).toBeUndefined(), { timeout: 2000 });
  });

  // Type-level: `npm run typecheck` fails if a @ts-expect-error below stops being an error.
  it('types each route by its topic: a topic outside the contract or a foreign message type does not compile', () => {
    const table: RouteTable = {
      'alicia/device/status/+': (m) => {
        const id: string = m.device_id;
        return void id;
      },
    };
    const misspelled: RouteTable = {
      // @ts-expect-error: a misspelled topic is not in the contract
      'alicia/device/staus/+': () => undefined,
    };
    const foreign: RouteTable = {
      // @ts-expect-error: a logs route does not take a heartbeat
      'alicia/system/logs/+': (m: MessageOf<'alicia/health/heartbeat/+'>) => void m,
    };
    expect([table, misspelled, foreign].map((t) => Object.keys(t).length)).toEqual([1, 1, 1]);
  });
});
