import { describe, expect, it } from 'vitest';
import { type Host, sleep, until } from '../../support/host.js';
import { useRunningHost } from '../../support/runningHost.js';

/**
 * docs/reliability.md "Faults": kill -9 the device-manager's process while 1,000 QoS 1 device commands
 * are in flight, through the real host. That process is the shared service process (the light
 * services' threads, config supervisor.service_pool), so the kill takes discovery, health-monitor,
 * ai and voice-router down with it, the worst a native fault there could do. The device manager
 * keeps a persistent session (clean: false), so the broker queues the commands sent while it is
 * down and delivers them when the supervisor has restarted it. Every command must be answered
 * exactly once (counted by correlation id), the final device states must be what the last command
 * of each device says, and every service that shared the process is running again.
 */

const N = 1000;
const DEVICES = ['kitchen_light', 'living_room_light', 'bedroom_lamp'] as const;

let host: Host;
useRunningHost((h) => (host = h), 'REL_KEEP');

/** Command i: set_brightness 1..100 on the dimmable lights, turn_on/turn_off on the lamp (each idempotent: the last one wins). */
function command(i: number): { device_id: string; action: string; params: Record<string, unknown> } {
  const device_id = DEVICES[i % DEVICES.length]!;
  if (device_id === 'bedroom_lamp') return { device_id, action: i % 2 ? 'turn_on' : 'turn_off', params: {} };
  return { device_id, action: 'set_brightness', params: { brightness: 1 + ((i * 37) % 100) } };
}

/** The state the last command of each device leaves. */
function expectedStates(): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < N; i++) {
    const c = command(i);
    out.set(c.device_id, c.action === 'set_brightness' ? { on: true, brightness: c.params.brightness } : { on: c.action === 'turn_on' });
  }
  return out;
}

function matches(state: Record<string, unknown> | undefined, want: Record<string, unknown>): boolean {
  return state !== undefined && Object.entries(want).every(([k, v]) => state[k] === v);
}

describe("kill -9 the device-manager's process with 1,000 QoS 1 commands in flight", () => {
  it('answers every command exactly once and ends in the right states', async () => {
    // device status is retained: subscribe to read the final states
    const status = new Map<string, Record<string, unknown>>();
    host.op.on('message', (topic, payload) => {
      if (!topic.startsWith('alicia/device/status/')) return;
      try {
        const m = JSON.parse(payload.toString()) as { device_id: string; state: Record<string, unknown> };
        status.set(m.device_id, m.state);
      } catch {
        /* cleared */
      }
    });
    await host.op.subscribeAsync('alicia/device/status/+', { qos: 1 });

    const dm = host.states.get('device-manager')!;
    const oldPid = dm.pid!;
    // every service in the same process goes down with it
    const sharing = [...host.states.values()].filter((s) => s.pid === oldPid).map((s) => ({ service: s.service, restarts: s.restarts }));
    const ids: string[] = [];
    const t0 = Date.now();
    let killedAt = 0;
    let answeredAtKill = 0;
    for (let i = 0; i < N; i++) {
      // the deadline says this client waits up to 2 min (requests without one go stale after 30 s)
      ids.push(host.send('alicia/device/command', command(i), { deadline: Date.now() + 120_000 }));
      // kill once a few commands have been answered and most are still in flight
      if (i === 150) {
        await until('first answers', () => ids.some((id) => host.byCorrelation.has(id)), 20_000);
        answeredAtKill = ids.filter((id) => host.byCorrelation.has(id)).length;
        process.kill(oldPid, 'SIGKILL');
        killedAt = Date.now();
      }
      if (i % 50 === 49) await sleep(5);
    }
    const sentMs = Date.now() - t0;

    // the supervisor restarts it; the broker delivers what was queued for its session
    await host.allRunning(60_000, new Set([oldPid]));
    const recoveredMs = Date.now() - killedAt;
    const answered = () => ids.filter((id) => host.byCorrelation.has(id)).length;
    let last = -1;
    let lastChange = Date.now();
    while (answered() < N && Date.now() - lastChange < 20_000) {
      if (answered() !== last) {
        last = answered();
        lastChange = Date.now();
      }
      await sleep(100);
    }
    const allMs = Date.now() - t0;

    const missing = ids.filter((id) => !host.byCorrelation.has(id));
    const twice = ids.filter((id) => (host.byCorrelation.get(id)?.length ?? 0) > 1);
    const failed = ids.map((id) => host.byCorrelation.get(id)?.[0]).filter((a) => a && a.ok !== true);
    const newState = host.states.get('device-manager')!;

    // expected final state: the last command of each device
    const expected = expectedStates();
    await until('final device states', () => DEVICES.every((d) => matches(status.get(d), expected.get(d)!)), 10_000).catch(() => undefined);
    const wrong = DEVICES.filter((d) => !matches(status.get(d), expected.get(d)!)).map(
      (d) => `${d}: ${JSON.stringify(status.get(d))}, expected ${JSON.stringify(expected.get(d))}`,
    );

    process.stdout.write(
      `kill -9 device-manager's process (pid ${oldPid} -> ${newState.pid}, restarts ${newState.restarts}; with it ${sharing.map((s) => s.service).join(', ')}): ${N} commands sent in ${sentMs} ms, ` +
        `${answeredAtKill} answered before the kill; back running ${recoveredMs} ms after the kill; ` +
        `answered ${N - missing.length}/${N} (${twice.length} twice, ${failed.length} not ok, ${missing.length} lost) in ${allMs} ms; ` +
        `final states ${wrong.length ? 'WRONG ' + wrong.join('; ') : 'right'}\n`,
    );
    if (failed.length)
      process.stdout.write(
        `first failures: ${failed
          .slice(0, 3)
          .map((a) => JSON.stringify(a?.body))
          .join(' | ')}\n`,
      );

    expect(newState.pid).not.toBe(oldPid);
    expect(newState.restarts).toBeGreaterThanOrEqual(1);
    for (const s of sharing) expect(host.states.get(s.service)!.restarts, s.service).toBeGreaterThan(s.restarts);
    expect(missing.length).toBe(0);
    expect(twice).toEqual([]);
    expect(failed.length).toBe(0);
    expect(wrong).toEqual([]);
  }, 170_000);
});
