import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decode } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import { useDevices } from '../stores/devicesStore.js';
import { useServices } from '../stores/servicesStore.js';
import { beginResync, endResync, routeCleared, routeMessage } from './router.js';
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

  it('after a reconnection, retained state that was not sent again is forgotten (a device removed while away)', async () => {
    const status = (id: string) => {
      const body = { device_id: id, name: id, kind: 'light', room: 'Hall', state: { on: false }, online: true, updated_at: 1 };
      const bytes = new TextEncoder().encode(JSON.stringify(seal(body, { source: 'device-manager' })));
      routeMessage(`alicia/device/status/${id}`, 'alicia/device/status/+', decode('alicia/device/status/+', bytes));
    };
    const svc = { service: 'stt', state: 'running', pid: 5, restarts: 0, startedAt: 1 };
    const svcBytes = new TextEncoder().encode(JSON.stringify(seal(svc, { source: 'supervisor' })));
    status('kept');
    status('removed');
    routeMessage('alicia/system/services/stt', 'alicia/system/services/+', decode('alicia/system/services/+', svcBytes));
    await vi.waitFor(() => expect(Object.keys(useDevices.getState().devices)).toEqual(expect.arrayContaining(['kept', 'removed'])));
    await vi.waitFor(() => expect(useServices.getState().services.stt?.state?.pid).toBe(5));

    beginResync();
    status('kept');
    expect(endResync().sort()).toEqual(['alicia/device/status/removed', 'alicia/system/services/stt']);
    await vi.waitFor(() => expect(useDevices.getState().devices.removed).toBeUndefined(), { timeout: 2000 });
    expect(useDevices.getState().devices.kept).toBeDefined();
    await vi.waitFor(() => expect(useServices.getState().services.stt?.state).toBeUndefined(), { timeout: 2000 });
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
