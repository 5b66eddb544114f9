import { spawn } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import type { RuntimeInfo } from '../../electron/host/headless.js';
import { newId, seal } from '../../services/lib/protocol/envelope.js';
import { TOPICS } from '../../services/lib/protocol/topics.js';
import type { RequestTopic } from '../../services/lib/protocol/topics.js';
import { operatorClient } from './host.js';

/** Operator-side tools for the specs: a real third-party client (mosquitto_pub/sub) and mqtt.js. */

function hostPort(rt: RuntimeInfo): { host: string; port: string } {
  const u = new URL(rt.mqtt.url);
  return { host: u.hostname, port: u.port };
}

function auth(rt: RuntimeInfo): string[] {
  const { host, port } = hostPort(rt);
  return ['-h', host, '-p', port, '-u', rt.mqtt.username, '-P', rt.mqtt.password, '-V', 'mqttv311'];
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    // 'close', not 'exit': stdout may still hold unread data when the process exits
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function mosquittoPub(
  rt: RuntimeInfo,
  topic: string,
  message: string,
  opts: { retain?: boolean; qos?: 0 | 1 } = {},
): Promise<void> {
  const args = [...auth(rt), '-t', topic, '-m', message, '-q', String(opts.qos ?? 1)];
  if (opts.retain) args.push('-r');
  const r = await run('mosquitto_pub', args, 10_000);
  if (r.code !== 0) throw new Error(`mosquitto_pub failed (${r.code}): ${r.stderr}`);
}

/**
 * Start mosquitto_sub on a topic; resolves once it is subscribed (-d prints SUBACK), and gives
 * a promise of the first `count` messages (or what arrived by `waitS` seconds).
 */
export async function mosquittoSub(
  rt: RuntimeInfo,
  topic: string,
  opts: { count?: number; waitS?: number } = {},
): Promise<{ messages: Promise<string[]> }> {
  const args = [...auth(rt), '-t', topic, '-C', String(opts.count ?? 1), '-W', String(opts.waitS ?? 10), '-d'];
  // stdbuf -oL: into a pipe mosquitto_sub block-buffers its -d lines, so SUBACK would only show at exit.
  const p = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let subscribed: () => void = () => undefined;
  const ready = new Promise<void>((r) => (subscribed = r));
  p.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    if (stdout.includes('SUBACK')) subscribed();
  });
  const done = new Promise<string[]>((resolve) => {
    p.on('close', () => {
      subscribed();
      // -d interleaves protocol lines ("Client ... received PUBLISH ...") with the payload lines
      resolve(stdout.split('\n').filter((l) => l !== '' && !/^Client \S+ (sending|received) /.test(l) && !l.startsWith('Subscribed (mid')));
    });
  });
  await ready;
  return { messages: done };
}

/**
 * What a new subscriber to `filter` gets as retained copies, known complete without waiting: a
 * sentinel (not retained) is published on `sentinelTopic` (which `filter` matches) once the
 * subscription is acknowledged. The broker sends a new subscription's retained messages as soon as
 * it has acknowledged it, from memory, long before it has even accepted the connection that
 * publishes the sentinel; so a retained copy, if there is one, comes first.
 */
export async function retainedCopies(rt: RuntimeInfo, filter: string, sentinelTopic: string): Promise<string[]> {
  const sentinel = `sentinel-${newId()}`;
  // the first message ends it: the sentinel when nothing is retained
  const sub = await mosquittoSub(rt, filter, { count: 1, waitS: 10 });
  await mosquittoPub(rt, sentinelTopic, sentinel);
  const got = await sub.messages;
  if (got.length === 0) throw new Error(`neither a retained copy nor the sentinel arrived on ${filter}`);
  return got.filter((m) => m !== sentinel);
}

/** Send a request as the operator; resolves with its answer (on the reply or the error topic, by correlation id). */
export async function ask(rt: RuntimeInfo, pattern: RequestTopic, body: Record<string, unknown>, timeoutMs = 20_000) {
  const { reply, error } = TOPICS[pattern] as { reply: string; error: string };
  const client = await operatorClient(rt);
  try {
    const correlation_id = newId();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${pattern} ${JSON.stringify(body)} within ${timeoutMs} ms`)), timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== reply && topic !== error) return;
        const msg = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (msg.correlation_id !== correlation_id) return;
        clearTimeout(t);
        resolve(msg);
      });
    });
    // one filter once: Aedes answers a SUBSCRIBE that repeats a filter with one SUBACK code too few
    await client.subscribeAsync([...new Set([reply, error])], { qos: 1 });
    await client.publishAsync(pattern, JSON.stringify(seal(body, { source: 'operator', correlation_id })), { qos: 1 });
    return await answer;
  } finally {
    await client.endAsync();
  }
}

// The one operator client of the e2e harness (TCP_NODELAY on), kept importable from here for the specs.
export { operatorClient };

/** Wait for the next message on a topic that passes `pred` (retained copies included). */
export function nextMessage(
  client: MqttClient,
  topic: string,
  pred: (obj: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`no matching message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (tp: string, payload: Buffer) => {
      if (tp !== topic || payload.length === 0) return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (!pred(obj)) return;
      clearTimeout(t);
      client.off('message', on);
      resolve(obj);
    };
    client.on('message', on);
    void client.subscribeAsync(topic, { qos: 1 });
  });
}
