import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { operatorClient, startHost, until, type HostProcess } from '../../support/host.js';

/**
 * A clean stop is a quiet one: SIGTERM to `alicia serve` stops the services (each says goodbye and
 * disconnects), then the broker, which closes the clients still connected. None of that is a fault,
 * so none of it may reach host.log, a service's own log (logs/<service>.log) or stderr as a warning
 * or an error (a user reading the log after quitting would otherwise look for a problem that is not
 * there; the health monitor used to log a critical "discovery is down" alert at every quit).
 */

let host: HostProcess | null = null;

// removes the data dir (and stops the host if a step failed before the SIGTERM)
afterAll(async () => {
  await host?.stop();
});

function hostLog(dataDir: string): string {
  return readFileSync(join(dataDir, 'logs', 'host.log'), 'utf8');
}

/** logs/<service>.log: `<iso time> [stdout|stderr|supervisor] <line>` (electron/host/supervisor/serviceLog.ts). */
function serviceLog(dataDir: string, name: string): string {
  return readFileSync(join(dataDir, 'logs', `${name}.log`), 'utf8');
}

describe('alicia serve stopped with SIGTERM', () => {
  it("stops every service and the broker without a warning or an error in host.log, the services' logs or on stderr", async () => {
    host = await startHost();
    const h = host;
    // An operator subscribed to everything, left connected: the broker routes every service's last
    // heartbeat to it and has to close it itself when it stops.
    const op = await operatorClient(h.runtime);
    const running = new Set<string>();
    op.on('message', (topic, payload) => {
      if (!topic.startsWith('alicia/system/services/') || payload.length === 0) return;
      const s = JSON.parse(payload.toString('utf8')) as { service: string; state: string };
      if (s.state === 'running') running.add(s.service);
      else running.delete(s.service);
    });
    await op.subscribeAsync('alicia/#', { qos: 0 });
    await until(`every service running (${[...running].join(' ')})`, () => SERVICE_NAMES.every((n) => running.has(n)), 60_000);
    const closed = new Promise<void>((r) => op.once('close', () => r()));

    const logFrom = hostLog(h.dataDir).length;
    const stderrFrom = h.stderr().length;
    const r = await h.stop({ keep: true });
    await closed;

    const logLines = hostLog(h.dataDir).slice(logFrom).trim().split('\n');
    const stderrLines = h.stderr().slice(stderrFrom).trim().split('\n');
    // the log recorded the stop (a test that saw no log at all would prove nothing): every service
    // stopped (and disconnected) before the broker did
    const brokerStopped = logLines.findIndex((l) => l.includes('"origin":"broker"') && l.includes('"msg":"broker stopped"'));
    expect(brokerStopped).toBeGreaterThan(0);
    for (const name of SERVICE_NAMES) {
      const at = logLines.findIndex((l) => l.includes(`"msg":"service ${name} stopped"`));
      expect(at, name).toBeGreaterThanOrEqual(0);
      expect(at, name).toBeLessThan(brokerStopped);
    }
    expect(r.code).toBe(0);
    expect(logLines.filter((l) => /"level":"(warn|error)"/.test(l))).toEqual([]);
    for (const name of SERVICE_NAMES) {
      // from the supervisor's stop message on (its log file is written asynchronously, so a byte offset
      // taken at the SIGTERM may fall before the service's last start-up lines)
      const all = serviceLog(h.dataDir, name).trim().split('\n');
      const lines = all.slice(all.findLastIndex((l) => / \[supervisor\] stopping \(host\)$/.test(l)));
      // the stop is in it: a stop message and a clean exit, no SIGKILL after the grace period
      const supervisorLines = lines.flatMap((l) => / \[supervisor\] (.*)$/.exec(l)?.[1] ?? []);
      expect(supervisorLines, name).toEqual(['stopping (host)', 'stopped (code 0)']);
      // the runtime logger writes warn and error to stderr (services/lib/runtime/logger.ts): nothing there either
      expect(
        lines.filter((l) => / \[stderr\] /.test(l) || /"level":"(warn|error)"/.test(l)),
        name,
      ).toEqual([]);
    }
    expect(stderrLines).toEqual(['alicia serve: stopping (SIGTERM)']);
  }, 120_000);
});
