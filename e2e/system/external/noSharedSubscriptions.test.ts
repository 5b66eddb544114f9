import { Aedes } from 'aedes';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, until } from '../../support/host.js';

/**
 * On a broker without shared subscriptions (Aedes as it ships: moscajs/aedes#228, and no
 * authentication, so it takes every credential): the host says so at start, and the services take
 * their requests through plain subscriptions, so commands are still answered, once each. A
 * `$share/...` filter there would be an ordinary filter no topic matches: every request would go
 * unanswered. Build first: npm run build.
 */
let server: Server;
let broker: Aedes;
let host: Host;

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer({ noDelay: true }, (s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = await Host.start({ args: ['--broker', `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`] });
  await host.allRunning();
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => broker.close(() => r()));
});

describe('the user broker has no shared subscriptions', () => {
  it('the host says so at start, and typed commands are answered once each through plain subscriptions', async () => {
    expect(host.stderr()).toMatch(/your broker has no shared subscriptions \(\$share\/<group>\/<filter>\): each service runs once/);
    const ids = [0, 1, 2].map((i) =>
      host.send('alicia/voice/command', { session_id: `plain-${i}`, text: 'turn on the kitchen light', speak: false }),
    );
    await until('answers', () => ids.every((id) => host.byCorrelation.has(id)), 30_000);
    // a sentinel after them: any second answer to the three would have come before its answer
    const sentinel = host.send('alicia/voice/command', { session_id: 'plain-sentinel', text: 'turn off the kitchen light', speak: false });
    await until('the sentinel answered', () => host.byCorrelation.has(sentinel), 30_000);
    for (const id of ids) {
      const answers = host.byCorrelation.get(id)!;
      expect(answers).toHaveLength(1);
      expect(answers[0]!.ok, JSON.stringify(answers[0]!.body)).toBe(true);
    }
  }, 60_000);
});
