import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { type Host, sleep, until } from '../../support/host.js';
import { useRunningHost } from '../../support/runningHost.js';

/**
 * docs/reliability.md "Access": credentials live in the data dir with mode 0600, are never printed in logs or
 * published on the bus, and can be rotated from the window (alicia/system/credentials/request):
 * the rotated service comes back with its new credential by itself, the old one is refused.
 */

let host: Host;
useRunningHost((h) => (host = h));

function passwords(): Record<string, string> {
  // electron/host/broker/credentials.ts: {"version":1,"credentials":{"<principal>":{"username","password"}}}
  const raw = JSON.parse(readFileSync(join(host.dataDir, 'credentials.json'), 'utf8')) as {
    credentials: Record<string, { password: string }>;
  };
  return Object.fromEntries(Object.entries(raw.credentials).map(([k, v]) => [k, v.password]));
}

/** Publish a message on a topic of its own and wait until the recorder's history has it. */
async function recorded(msg: { correlation_id?: string }): Promise<void> {
  const topic = 'alicia/e2e/marker';
  await host.op.publishAsync(topic, JSON.stringify(msg), { qos: 1 });
  for (let i = 0; ; i++) {
    const r = await host.ask('alicia/system/recorder/request', { query: 'messages', topic, limit: 10 });
    const ids = (r.body?.messages as { correlation_id: string | null }[] | undefined)?.map((m) => m.correlation_id) ?? [];
    if (ids.includes(msg.correlation_id ?? null)) return;
    if (i === 100) throw new Error(`the recorder did not record ${topic} ${JSON.stringify(msg)}: it has ${JSON.stringify(r.body)}`);
    await sleep(100);
  }
}

/** Every file under dir (logs, databases), as bytes. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('credentials', () => {
  it('are stored 0600 and rotated from the window without a password on the bus; the service comes back', async () => {
    expect(statSync(join(host.dataDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(host.dataDir, 'runtime.json')).mode & 0o777).toBe(0o600);
    const before = passwords();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['stt', 'operator']));
    // the window has no stored password: each window session gets its own, in memory (windowAccess.test.ts)
    expect(Object.keys(before)).not.toContain('window');
    const oldStt = host.states.get('stt')!;

    // a service cannot ask (its ACL does not list the topic): dropped, never answered
    // (the ACL matrix test covers the denial itself)
    const t0 = Date.now();
    const a = await host.ask('alicia/system/credentials/request', { action: 'rotate', principal: 'stt' }, 60_000);
    expect(a.ok, JSON.stringify(a.body)).toBe(true);
    expect(a.body?.rotated).toEqual(['stt']);
    expect(a.body?.restarted).toEqual(['stt']);
    const after = passwords();
    expect(after.stt).not.toBe(before.stt);
    expect(after.operator).toBe(before.operator);
    await host.allRunning(60_000, new Set([oldStt.pid!]));
    const backMs = Date.now() - t0;

    // the rotated stt answers again (connected with its new password)
    const r = await host.ask('alicia/voice/stt/request', { audio_data: Buffer.from('not a wav').toString('base64') }, 30_000);
    expect(r.code).toBe('STT_BAD_AUDIO');

    // bad requests: coded errors
    const bad = await host.ask('alicia/system/credentials/request', { action: 'rotate', principal: 'nobody' });
    expect(bad.ok).toBe(false);
    expect(bad.code).toBe('SERVICE_UNKNOWN');

    // no password (old or new) anywhere in the logs, the recorded bus history or what we saw on the bus,
    // once everything said so far is written down:
    // - the restarted stt's start-up output in its log file (the supervisor writes a service's lines
    //   to its file and to alicia/system/logs/<service> together, batched): its "started" line last;
    const newStt = host.states.get('stt')!.pid!;
    const sttLog = join(host.dataDir, 'logs', 'stt.log');
    await until('the new stt started, in stt.log', () => {
      const text = readFileSync(sttLog, 'utf8');
      const at = text.lastIndexOf(`[supervisor] started pid ${newStt}`);
      return at >= 0 && text.indexOf('"msg":"started"', at) > at;
    });
    // - the recorded history: the recorder writes in arrival order, so once a marker published now
    //   is in its database, so is everything published before it (those log lines included).
    await recorded(seal({ marker: true }, { source: 'operator', correlation_id: `e2e-marker-${newStt}` }));
    const secrets = [...new Set([...Object.values(before), ...Object.values(after)])];
    const leaks: string[] = [];
    for (const f of filesUnder(host.dataDir)) {
      if (f.endsWith('credentials.json') || f.endsWith('runtime.json')) continue;
      const bytes = readFileSync(f);
      for (const s of secrets) if (bytes.includes(s)) leaks.push(`${f} contains a password`);
    }
    for (const ans of host.answers)
      for (const s of secrets) if (JSON.stringify(ans.body).includes(s)) leaks.push(`${ans.topic} carried a password`);
    for (const s of secrets) if (host.stdout().includes(s) || host.stderr().includes(s)) leaks.push('the host printed a password');
    expect(leaks).toEqual([]);
    process.stdout.write(
      `credential rotation: stt rotated and back running with its new password in ${backMs} ms; ${secrets.length} passwords checked against ${filesUnder(host.dataDir).length} data-dir files, 0 leaks\n`,
    );
  }, 150_000);
});
