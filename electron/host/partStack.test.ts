import { describe, expect, it } from 'vitest';
import { PartStack } from './partStack.js';
import type { Part } from './partStack.js';

function recorder() {
  const events: string[] = [];
  const part = (name: string, opts: { failStart?: boolean; failStop?: boolean; noStop?: boolean } = {}): Part => ({
    name,
    start: async () => {
      events.push(`start ${name}`);
      if (opts.failStart) throw new Error(`${name} cannot start`);
    },
    ...(opts.noStop
      ? {}
      : {
          stop: () => {
            events.push(`stop ${name}`);
            if (opts.failStop) throw new Error(`${name} cannot stop`);
          },
        }),
  });
  const errors: string[] = [];
  const stack = new PartStack((name, e) => errors.push(`${name}: ${(e as Error).message}`));
  return { events, errors, part, stack };
}

describe('desktop parts: start in order, stop in reverse', () => {
  it('starts each part in order (over several calls) and stops them last first, once', async () => {
    const { events, part, stack } = recorder();
    await stack.start([part('core')]);
    await stack.start([part('ipc'), part('menu', { noStop: true }), part('window')]);
    expect(await stack.stop()).toBe(true);
    expect(await stack.stop()).toBe(true);
    expect(events).toEqual(['start core', 'start ipc', 'start menu', 'start window', 'stop window', 'stop ipc', 'stop core']);
  });

  it('a part that fails to start ends the start; stop() undoes only the parts that started', async () => {
    const { events, part, stack } = recorder();
    await expect(stack.start([part('core'), part('window', { failStart: true }), part('tray')])).rejects.toThrow('window cannot start');
    await stack.stop();
    expect(events).toEqual(['start core', 'start window', 'stop core']);
  });

  it('a part that fails to stop is reported and the next one still stops', async () => {
    const { events, errors, part, stack } = recorder();
    await stack.start([part('core'), part('window', { failStop: true }), part('tray')]);
    expect(await stack.stop()).toBe(false);
    expect(events.slice(3)).toEqual(['stop tray', 'stop window', 'stop core']);
    expect(errors).toEqual(['window: window cannot stop']);
  });

  it('a part tracked after the caller started it is stopped in its turn', async () => {
    const { events, part, stack } = recorder();
    await stack.start([part('core')]);
    stack.track('listener', () => void events.push('stop listener'));
    await stack.start([part('tray')]);
    expect(await stack.stop()).toBe(true);
    expect(events).toEqual(['start core', 'start tray', 'stop tray', 'stop listener', 'stop core']);
  });
});
