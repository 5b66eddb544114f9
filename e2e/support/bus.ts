import { spawn } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import type { RuntimeInfo } from '../../electron/host/headless.js';

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

// The one operator client of the e2e harness (TCP_NODELAY on), kept importable from here for the specs.
export { operatorClient } from './host.js';

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
