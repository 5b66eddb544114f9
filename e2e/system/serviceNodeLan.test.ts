import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, until } from '../support/host.js';
import { freePort } from '../support/mosquitto.js';
import { startNodeProcess, type NodeProcess } from '../support/serviceNode.js';

/**
 * A service node as on another machine: it reaches the host's embedded broker only through the LAN
 * listener (MQTT over TLS, `lan.enabled`), checking the host's self-signed certificate with `--ca`,
 * and runs tts there with the credentials `alicia credentials export` gave it. Typed commands that
 * ask for the spoken reply are answered with audio, and the node's tts takes its share of them.
 * Build first: npm run build.
 */
const NODE = 'lan-box';
const COMMANDS = 12;

let host: Host;
let node: NodeProcess;
/** cumulative tts requests taken, by instance (their metrics) */
const taken = new Map<string, number>();

beforeAll(async () => {
  const port = await freePort();
  host = await Host.start({ config: { lan: { enabled: true, host: '127.0.0.1', port } } });
  await host.allRunning();
  host.op.on('message', (topic, payload) => {
    if (topic !== 'alicia/health/status/tts') return;
    const m = JSON.parse(payload.toString('utf8')) as { instance?: string; per_topic?: Record<string, { in: number }> };
    if (m.instance) taken.set(m.instance, m.per_topic?.['alicia/voice/tts/request']?.in ?? 0);
  });
  await host.op.subscribeAsync('alicia/health/status/tts', { qos: 0 });
  node = await startNodeProcess({
    hostDataDir: host.dataDir,
    brokerUrl: `mqtts://127.0.0.1:${port}`,
    caFile: join(host.dataDir, 'lan-cert.pem'),
    name: NODE,
    services: ['tts'],
  });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  await host?.stop();
});

describe('a service node over the LAN listener (MQTT over TLS)', () => {
  it("answers spoken replies with the host's tts, the node's tts taking its share", async () => {
    const ids: string[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      const session = `lan-${i}`;
      ids.push(
        host.send('alicia/voice/command', { session_id: session, text: 'turn on the kitchen light', speak: true }, { session_id: session }),
      );
    }
    await until('every command answered', () => ids.every((id) => host.byCorrelation.has(id)), 60_000);
    const results = ids.map((id) => host.byCorrelation.get(id)!.filter((a) => a.topic === 'alicia/voice/result'));
    await until(
      'both instances report',
      () => taken.size === 2 && [...taken.values()].reduce((a, b) => a + b, 0) >= COMMANDS,
      20_000,
    ).catch(() => undefined);
    process.stdout.write(`node over mqtts: ${COMMANDS} spoken replies, tts requests taken ${JSON.stringify(Object.fromEntries(taken))}\n`);
    expect(results.every((r) => r.length === 1 && r[0]!.ok === true && typeof r[0]!.body?.audio_data === 'string')).toBe(true);
    expect(taken.get(`tts@${NODE}`)).toBeGreaterThan(0);
    expect([...taken.values()].reduce((a, b) => a + b, 0)).toBe(COMMANDS);
  }, 120_000);
});
