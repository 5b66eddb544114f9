import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credentials } from '../../../electron/host/broker/credentials.js';
import { freePort, startTestMosquitto, type TestMosquitto } from '../../support/mosquitto.js';
import { HOST_PARTS, SERVICE_NAMES, SHARED_WINDOW } from '../../../services/lib/protocol/services.js';
import { Host, HostStartError, startHost, until } from '../../support/host.js';
import { connectionInfo, signIn } from '../../support/windowLogin.js';

/**
 * Alicia on the user's own broker (README, "On your own broker"): Debian's Mosquitto configured by
 * `alicia broker-config mosquitto`, started on a free port and stopped by its pid, and `alicia serve
 * --broker mqtt://127.0.0.1:PORT` in a child process against it. Build first: npm run build.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'alicia-ext-'));
let mosq: TestMosquitto;
let host: Host;

beforeAll(async () => {
  await Credentials.loadOrCreate(dataDir);
  mosq = await startTestMosquitto(dataDir);
  host = await Host.start({ dataDir, args: ['--broker', mosq.url] });
}, 120_000);

afterAll(async () => {
  await host?.stop({ keep: true });
  await mosq?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('alicia broker-config mosquitto', () => {
  it('writes a 0600 password file Mosquitto takes, an acl_file per principal and a private mosquitto.conf', async () => {
    const { passwd, acl, conf } = mosq.config.files;
    expect(statSync(passwd).mode & 0o777).toBe(0o600);
    const lines = readFileSync(passwd, 'utf8').trim().split('\n');
    const users = [...SERVICE_NAMES, 'operator', 'bridge', ...HOST_PARTS, SHARED_WINDOW, 'node'];
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual([...users].sort());
    // mosquitto_passwd's format: PBKDF2-SHA512, 12-byte salt, 64-byte hash, never the password itself
    for (const l of lines) {
      expect(l).toMatch(/^[a-z-]+:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    }
    const aclText = readFileSync(acl, 'utf8');
    for (const u of users) expect(aclText).toContain(`\nuser ${u}\n`);
    const confText = readFileSync(conf, 'utf8');
    expect(confText).toMatch(new RegExp(`^listener ${mosq.port} 127\\.0\\.0\\.1$`, 'm'));
    expect(confText).toMatch(/^allow_anonymous false$/m);
    // and Mosquitto itself: every principal's password is accepted, a wrong one and no user refused
    const all = (await Credentials.loadOrCreate(dataDir)).all();
    for (const u of users) {
      const c = await mqtt.connectAsync(mosq.url, { ...all[u as keyof typeof all], protocolVersion: 4, reconnectPeriod: 0 });
      await c.endAsync();
    }
    await expect(
      mqtt.connectAsync(mosq.url, { username: 'operator', password: `${all.operator.password}x`, protocolVersion: 4, reconnectPeriod: 0 }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(mqtt.connectAsync(mosq.url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username/i);
  });
});

describe('alicia serve --broker (Mosquitto)', () => {
  it('runs every service on it, answers a typed voice command, and says which broker it is on', async () => {
    await host.allRunning();
    expect(host.stdout()).toContain(`MQTT your broker ${mosq.url}`);
    const a = await host.ask('alicia/voice/command', { session_id: 'ext-typed', text: 'turn on the kitchen light', speak: false }, 30_000);
    expect(a.ok, JSON.stringify(a.body)).toBe(true);
    expect((a.body?.intent as { name?: string }).name).toBe('turn_on');
    // the host's record (read by the window's Health view)
    const c = await mqtt.connectAsync(mosq.url, { ...host.runtime.mqtt, protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const rec = await new Promise<Record<string, unknown>>((resolve) => {
        c.on('message', (_t, p) => resolve(JSON.parse(p.toString()) as Record<string, unknown>));
        void c.subscribeAsync('alicia/system/host', { qos: 1 });
      });
      expect(rec.broker).toMatchObject({ mode: 'external', url: mosq.url, window: 'proxy' });
    } finally {
      await c.endAsync();
    }
  });

  it('records through its own subscription: 5,000 messages at 1,000/s, none dropped, no gaps', async () => {
    const c = await mqtt.connectAsync(mosq.url, { ...host.runtime.mqtt, protocolVersion: 4, reconnectPeriod: 0 });
    const topic = `loadtest/rate/${Date.now()}`;
    const N = 5000;
    try {
      const t0 = Date.now();
      for (let i = 0; i < N; i++) {
        c.publish(topic, JSON.stringify({ i }), { qos: 1 });
        // 1,000 per second, in 10 ms steps of 10
        if (i % 10 === 9) {
          const due = t0 + ((i + 1) / N) * 5000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }
      // a sentinel after them on the same connection: once recorded, everything before it has been
      await c.publishAsync(`${topic}/sentinel`, 'end', { qos: 1 });
    } finally {
      await c.endAsync();
    }
    let counted = -1;
    await until(
      'the sentinel recorded',
      async () => {
        const r = await host.ask('alicia/system/recorder/request', { query: 'counts', topic: `${topic}/#` });
        const topics = (r.body?.topics ?? []) as { topic: string; count: number }[];
        counted = topics.find((t) => t.topic === topic)?.count ?? 0;
        return topics.some((t) => t.topic === `${topic}/sentinel`);
      },
      60_000,
    );
    // counts covers the topic itself too (`#` matches its parent level)
    expect(counted).toBe(N);
    const stats = await host.ask('alicia/system/recorder/request', { query: 'stats' });
    const gaps = (stats.body?.stats as { gaps: Record<string, number | null> }).gaps;
    expect(gaps).toMatchObject({ disconnects: 0, sessions_lost: 0 });
    expect(gaps.broker_dropped ?? 0).toBe(0);
  }, 90_000);

  it('the window signs in at the host and reaches the broker through the host proxy; its forged host record is dropped', async () => {
    const session = await signIn(host.runtime.http.url);
    const info = await connectionInfo(host.runtime.http.url, session);
    expect(info.username).toMatch(/^window:/);
    expect(info.ws_url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const w = await mqtt.connectAsync(info.ws_url, {
      username: info.username,
      password: info.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      const got: string[] = [];
      w.on('message', (t, p) => got.push(`${t} ${p.toString().slice(0, 40)}`));
      await w.subscribeAsync(['alicia/system/host', 'alicia/broadcast/ext-sentinel'], { qos: 1 });
      await until('the host record over the proxy', () => got.some((g) => g.startsWith('alicia/system/host ')));
      const before = got.length;
      await w.publishAsync('alicia/system/host', '{"forged":true}', { qos: 1, retain: true });
      await w.publishAsync('alicia/broadcast/ext-sentinel', 'end', { qos: 1 });
      await until('the sentinel', () => got.some((g) => g.startsWith('alicia/broadcast/ext-sentinel')));
      expect(got.slice(before).filter((g) => g.includes('forged'))).toEqual([]);
    } finally {
      await w.endAsync();
    }
    // a wrong password is refused at the proxy, as the embedded broker does
    await expect(
      mqtt.connectAsync(info.ws_url, { username: info.username, password: 'wrong-password-123', protocolVersion: 4, reconnectPeriod: 0 }),
    ).rejects.toThrow(/Bad username or password/i);
  });
});

/** Start a host that must fail: its exit, and the one stderr line saying why (the data dir is removed). */
async function failedStart(dir: string, args: string[]): Promise<string> {
  const err = await startHost({ dataDir: dir, args, timeoutMs: 30_000 }).catch((e: unknown) => e);
  rmSync(dir, { recursive: true, force: true });
  expect(err).toBeInstanceOf(HostStartError);
  const e = err as HostStartError;
  expect(e.exit).toEqual({ code: 1, signal: null });
  const line = e.stderr.split('\n').filter((l) => l.includes('cannot start'));
  expect(line).toHaveLength(1);
  return line[0]!;
}

describe('alicia serve --broker: a broker that is not there or refuses a credential', () => {
  it('unreachable: one line, exit code 1, no retry loop', async () => {
    const port = await freePort();
    const line = await failedStart(mkdtempSync(join(tmpdir(), 'alicia-ext-down-')), ['--broker', `mqtt://127.0.0.1:${port}`]);
    expect(line).toContain(`cannot reach the broker at mqtt://127.0.0.1:${port}: connection refused`);
  });

  it('a refused credential: names the principal and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alicia-ext-refused-'));
    cpSync(join(dataDir, 'credentials.json'), join(dir, 'credentials.json'));
    await (await Credentials.loadOrCreate(dir)).rotate('stt');
    const line = await failedStart(dir, ['--broker', mosq.url]);
    // Mosquitto answers a wrong password with 5 (not authorized), other brokers with 4
    expect(line).toMatch(
      /the broker at mqtt:\/\/127\.0\.0\.1:\d+ refused principal "stt": (not authorized \(CONNACK 5\)|bad user name or password \(CONNACK 4\))/,
    );
    expect(line).toContain('alicia broker-config mosquitto');
  });
});
