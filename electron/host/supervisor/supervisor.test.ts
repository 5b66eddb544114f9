import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { TestBroker } from '../broker/testing/testBroker.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { NodeLauncher } from './nodeLauncher.js';
import { Supervisor } from './supervisor.js';
import type { SupervisedServiceSpec, SupervisorOptions } from './supervisor.js';
import type { ServiceStatus } from './supervisedService.js';
import type { Principal } from '../../../services/lib/protocol/services.js';
import { pidAlive } from './launcher.js';

const MINI = fileURLToPath(new URL('./testing/fixtures/miniService.mjs', import.meta.url));

let tb: TestBroker;
let sup: Supervisor | undefined;
/** a service node's supervisor (`alicia node`), beside the host's */
let nodeSup: Supervisor | undefined;
/** the retained records of service nodes, by node */
let nodeRecords: Map<string, { online: boolean; services: (ServiceStatus & { node?: string; instance?: string })[] }>;
let op: MqttClient;
/** every state each service went through, from the retained topic (as the window sees it) */
let states: Map<string, ServiceStatus[]>;

const quiet = createLogger('supervisor-test', 'error');

function mini(name: string, mode = 'normal', enabled = true): SupervisedServiceSpec {
  return { name, enabled, modulePath: MINI, config: { mode } };
}

function makeSupervisor(services: SupervisedServiceSpec[], policy = {}, node?: string, more: Partial<SupervisorOptions> = {}) {
  const made = new Supervisor({
    bus: tb.broker,
    launcher: new NodeLauncher(),
    servicesDir: '/nonexistent',
    dataDir: tb.dataDir,
    services,
    mqttUrl: tb.url,
    credentialFor: (s) => tb.credentials[s as Principal],
    log: quiet,
    // generous readiness/grace: on a loaded 2-core machine a Node process can take seconds to start
    policy: { backoffInitialMs: 100, graceMs: 4000, readyTimeoutMs: 25_000, ...policy },
    ...(node ? { node } : {}),
    servicePool: false,
    ...more,
  });
  if (node) nodeSup = made;
  else sup = made;
  return made;
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Sentinel for "the supervisor did not restart it". A restart is a timer of at most backoffMaxMs, set
 * when the state just seen was decided, so a test timer of backoffMaxMs set now fires after it (Node
 * runs due timers in the order they were set). A supervisor reply asked for after that (a request
 * that touches no service) then arrives after any state the restart would have published, since the
 * supervisor publishes both on the same broker to the same connection.
 */
async function afterAnyRestart(backoffMaxMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, backoffMaxMs));
  const reply = await request({ action: 'stop', service: 'sentinel' });
  expect(reply).toMatchObject({ ok: false, error: { code: 'SERVICE_UNKNOWN' } });
}

const last = (name: string) => states.get(name)?.at(-1);

function request(body: unknown, raw?: string): Promise<Record<string, unknown>> {
  const correlation_id = `c-${Math.random()}`;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no supervisor response')), 15_000);
    const onMsg = (topic: string, payload: Buffer) => {
      // (a cleared retained topic on another subscription is an empty payload)
      if (topic !== 'alicia/system/supervisor/response') return;
      const m = JSON.parse(payload.toString()) as Record<string, unknown>;
      if (m.correlation_id === correlation_id || raw !== undefined) {
        clearTimeout(t);
        op.off('message', onMsg);
        resolve(m);
      }
    };
    op.on('message', onMsg);
    op.publish('alicia/system/supervisor/request', raw ?? JSON.stringify(seal(body as object, { source: 'operator', correlation_id })), {
      qos: 1,
    });
  });
}

beforeEach(async () => {
  tb = await startTestBroker();
  states = new Map();
  nodeRecords = new Map();
  op = await mqtt.connectAsync(tb.url, { ...tb.credentials.operator, reconnectPeriod: 0 });
  op.on('message', (topic, payload) => {
    if (topic.startsWith('alicia/system/nodes/') && payload.length > 0) {
      const r = JSON.parse(payload.toString()) as { node: string; online: boolean; services: ServiceStatus[] };
      nodeRecords.set(r.node, r);
    }
    if (!topic.startsWith('alicia/system/services/') || payload.length === 0) return;
    const s = JSON.parse(payload.toString()) as ServiceStatus;
    states.set(s.service, [...(states.get(s.service) ?? []), s]);
  });
  await op.subscribeAsync(
    ['alicia/system/services/+', 'alicia/system/supervisor/response', 'alicia/system/logs/+', 'alicia/system/nodes/+'],
    {
      qos: 1,
    },
  );
});

afterEach(async () => {
  await sup?.stop();
  sup = undefined;
  await nodeSup?.stop();
  nodeSup = undefined;
  await op.endAsync();
  await tb.stop();
});

// Real processes on a shared 2-core machine: waits are generous (they only bound a failure, never assert speed).
describe('Supervisor', { timeout: 120_000 }, () => {
  it('starts every enabled service in order, each running once registered + heartbeating, with its own credential, config and data dir', async () => {
    const s = makeSupervisor([mini('discovery'), mini('stt'), { ...mini('tts'), enabled: false }]);
    await s.start();
    const settled = await s.whenSettled(30_000);
    expect(settled).toEqual({ discovery: 'running', stt: 'running', tts: 'stopped' });
    const st = await until('retained running', () => last('stt')?.state === 'running' && last('stt'));
    expect(st.pid).toBeTypeOf('number');
    expect(pidAlive(st.pid!)).toBe(true);
    expect(st.startedAt).toBeTypeOf('number');
    expect(states.get('stt')!.map((x) => x.state)).toEqual(['stopped', 'starting', 'running']);
    // a service the config leaves disabled says so, and a started one carries no stop reason
    expect(last('tts')).toMatchObject({ state: 'stopped', stop_reason: 'disabled' });
    expect(st.stop_reason).toBeUndefined();
    // the fixture logged its config and data dir; the log file has it
    const logFile = join(tb.dataDir, 'logs', 'stt.log');
    await until('log file', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('fixture starting'));
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('"mode":"normal"');
    expect(log).toContain(`"data_dir":"${join(tb.dataDir, 'services', 'stt')}"`);
    expect(statSync(join(tb.dataDir, 'services', 'stt')).isDirectory()).toBe(true);
  });

  it("beside a node's supervisor: each runs its own stt, a request naming the node reaches only the node's, one naming none only the host's", async () => {
    const host = makeSupervisor([mini('stt')]);
    const node = makeSupervisor([mini('stt')], {}, 'node-b');
    await Promise.all([host.start(), node.start()]);
    expect(await host.whenSettled(30_000)).toEqual({ stt: 'running' });
    expect(await node.whenSettled(30_000)).toEqual({ stt: 'running' });
    const hostStt = await until('host stt running', () => last('stt')?.state === 'running' && last('stt'));
    const nodeStt = await until('node record', () => nodeRecords.get('node-b')?.services.find((x) => x.state === 'running'));
    expect(nodeStt).toMatchObject({ service: 'stt', node: 'node-b', instance: 'stt@node-b' });
    expect(hostStt).toMatchObject({ node: 'host', instance: 'stt' });
    expect(nodeStt.pid).not.toBe(hostStt.pid);
    // the node's states never land on the host's topic
    expect(states.get('stt')!.every((x) => x.pid === null || x.pid === hostStt.pid)).toBe(true);

    const atNode = await request({ action: 'restart', service: 'stt', node: 'node-b' });
    expect(atNode).toMatchObject({ ok: true, node: 'node-b', state: 'running' });
    const restarted = nodeRecords.get('node-b')!.services[0]!;
    expect(restarted.pid).not.toBe(nodeStt.pid);
    expect(last('stt')!.pid).toBe(hostStt.pid);

    const atHost = await request({ action: 'stop', service: 'stt' });
    expect(atHost).toMatchObject({ ok: true, state: 'stopped' });
    expect(atHost.node).toBeUndefined();
    expect(nodeRecords.get('node-b')!.services[0]).toMatchObject({ state: 'running', pid: restarted.pid });
  });

  it('the host answers a request naming a node it has not seen with UNKNOWN_NODE; one naming a node with a record or a connection it leaves to that node', async () => {
    const connected = new Set(['lan-box']);
    const host = makeSupervisor([mini('stt', 'normal', false)], {}, undefined, { nodeConnected: (n) => connected.has(n) });
    await host.start();
    const unknown = await request({ action: 'restart', service: 'stt', node: 'nowhere' });
    expect(unknown).toMatchObject({ ok: false, service: 'stt', action: 'restart', error: { code: 'UNKNOWN_NODE' } });
    expect(unknown.node).toBeUndefined();
    expect(unknown.state).toBeUndefined();

    // A node with a record (offline here: its supervisor is gone) and a connected one without one yet:
    // their requests are theirs to answer, the host says nothing. Sentinel: a request to the host
    // sent after both is answered, and the host answers in order.
    await tb.broker.publish(
      'alicia/system/nodes/kitchen-box',
      JSON.stringify(seal({ node: 'kitchen-box', online: false, services: [] }, { source: 'supervisor' })),
      { qos: 1, retain: true },
    );
    const answered: unknown[] = [];
    const onMsg = (topic: string, payload: Buffer) => {
      if (topic === 'alicia/system/supervisor/response') answered.push(JSON.parse(payload.toString()));
    };
    op.on('message', onMsg);
    for (const node of ['kitchen-box', 'lan-box'])
      op.publish(
        'alicia/system/supervisor/request',
        JSON.stringify(seal({ action: 'start', service: 'stt', node }, { source: 'operator', correlation_id: `quiet-${node}` })),
        { qos: 1 },
      );
    expect(await request({ action: 'stop', service: 'sentinel' })).toMatchObject({ error: { code: 'SERVICE_UNKNOWN' } });
    op.off('message', onMsg);
    expect(answered.filter((m) => String((m as { correlation_id?: string }).correlation_id).startsWith('quiet-'))).toEqual([]);

    // a record cleared (the node removed): unknown again
    await tb.broker.publish('alicia/system/nodes/kitchen-box', '', { qos: 1, retain: true });
    expect(await request({ action: 'start', service: 'stt', node: 'kitchen-box' })).toMatchObject({ error: { code: 'UNKNOWN_NODE' } });
  });

  it('a kill -9 is a crash: state crashed, then running again with a new pid and restarts = 1', async () => {
    const s = makeSupervisor([mini('ai')]);
    await s.start();
    await s.whenSettled();
    const first = last('ai')!;
    process.kill(first.pid!, 'SIGKILL');
    await until('crashed', () => last('ai')?.state === 'crashed');
    const crashed = last('ai')!;
    expect(crashed.exit_signal).toBe('SIGKILL');
    expect(crashed.pid).toBeNull();
    const back = await until('running again', () => last('ai')?.state === 'running' && last('ai'));
    expect(back.pid).not.toBe(first.pid);
    expect(back.restarts).toBe(1);
  });

  it('too many crashes in the window -> failed, no more restarts, others unaffected; a user start revives it', async () => {
    const s = makeSupervisor([mini('tts'), mini('stt', 'crash-on-start')], { maxCrashes: 2, crashWindowMs: 60_000, backoffMaxMs: 200 });
    await s.start();
    await until('failed', () => last('stt')?.state === 'failed', 60_000);
    const seen = states.get('stt')!.map((x) => x.state);
    expect(seen.filter((x) => x === 'crashed')).toHaveLength(2);
    expect(last('stt')!.last_error).toMatch(/crashed 3 times/);
    const restarts = last('stt')!.restarts;
    await afterAnyRestart(200);
    expect(last('stt')!.state).toBe('failed');
    expect(last('stt')!.restarts).toBe(restarts);
    expect(last('tts')!.state).toBe('running');
    expect(states.get('tts')!.filter((x) => x.state === 'crashed')).toHaveLength(0);
    // a user start is a fresh chance (it crashes again here, but it was launched)
    const r = await request({ action: 'start', service: 'stt' });
    expect(r.ok).toBe(false);
    expect((r.error as { code: string }).code).toBe('SERVICE_START_FAILED');
    // a fresh chance: its crash history was reset, so this crash is a crash again, not an instant `failed`
    expect(r.state).toBe('crashed');
    expect(last('stt')!.restarts).toBeGreaterThan(restarts);
  });

  it('restarts a crash after the backoff delay, doubling per consecutive crash up to the cap', async () => {
    const supervisorLines: string[] = [];
    op.on('message', (topic, payload) => {
      const batch = JSON.parse(payload.toString()) as { stream?: string; lines?: string[] };
      if (topic === 'alicia/system/logs/stt' && batch.stream === 'supervisor') supervisorLines.push(...(batch.lines ?? []));
    });
    const s = makeSupervisor([mini('stt', 'crash-on-start')], { backoffInitialMs: 100, backoffMaxMs: 300, maxCrashes: 3 });
    await s.start();
    await until('failed', () => last('stt')?.state === 'failed', 60_000);
    await until('supervisor log', () => supervisorLines.some((l) => l.includes('not restarting')));
    const delays = supervisorLines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
    expect(delays).toEqual([100, 200, 300]);
    // each restart waited its delay: from the crashed state's timestamp to the next launch's
    const seen = states.get('stt')! as (ServiceStatus & { ts: number })[];
    const gaps = seen.flatMap((x, i) => {
      const next = seen[i + 1];
      return x.state === 'crashed' && next?.state === 'starting' ? [next.ts - x.ts] : [];
    });
    expect(gaps).toHaveLength(3);
    // (a millisecond or two of slack: the timestamps come from Date.now(), the timer from the event loop's clock)
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(delays[i]! - 2));
  });

  it('answers stop / start / restart requests with the correlation id, and does what they say', async () => {
    const s = makeSupervisor([mini('device-manager'), mini('health-monitor')]);
    await s.start();
    await s.whenSettled();
    const pid = last('device-manager')!.pid!;

    const asked = Date.now();
    const stopped = await request({ action: 'stop', service: 'device-manager' });
    expect(stopped).toMatchObject({ ok: true, service: 'device-manager', action: 'stop', state: 'stopped', source: 'supervisor' });
    expect(pidAlive(pid)).toBe(false);
    // why it stopped and who asked, already on the stopping state (a health monitor reads it before the goodbye)
    const seen = states.get('device-manager')!;
    const stopStates = seen
      .slice(seen.findIndex((x) => x.state === 'running'))
      .filter((x) => x.state === 'stopping' || x.state === 'stopped');
    expect(stopStates.map((x) => [x.state, x.stop_reason, x.stopped_by])).toEqual([
      ['stopping', 'request', 'operator'],
      ['stopped', 'request', 'operator'],
    ]);
    expect(last('device-manager')).toMatchObject({ state: 'stopped', exit_code: 0 });
    expect(last('device-manager')!.stopped_at).toBeGreaterThanOrEqual(asked);
    // a graceful stop: the fixture got the stop message and said so
    // the log file is written by a stream that opens it lazily: absent is "not yet"
    const logFile = join(tb.dataDir, 'logs', 'device-manager.log');
    await until('stop logged', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('fixture stopping'));

    const started = await request({ action: 'start', service: 'device-manager' });
    expect(started).toMatchObject({ ok: true, state: 'running' });
    const pid2 = last('device-manager')!.pid!;
    expect(pidAlive(pid2)).toBe(true);

    expect(last('device-manager')!.stop_reason).toBeUndefined();

    const restarted = await request({ action: 'restart', service: 'device-manager' });
    expect(restarted).toMatchObject({ ok: true, state: 'running' });
    expect(pidAlive(pid2)).toBe(false);
    expect(last('device-manager')!.pid).not.toBe(pid2);
    expect(
      states
        .get('device-manager')!
        .filter((x) => x.state === 'stopping')
        .at(-1),
    ).toMatchObject({ stop_reason: 'restart', stopped_by: 'operator' });

    const all = await request({ action: 'stop', service: '*' });
    expect(all.ok).toBe(true);
    expect(all.services).toEqual([
      { service: 'device-manager', state: 'stopped' },
      { service: 'health-monitor', state: 'stopped' },
    ]);
  });

  it('answers bad requests with coded errors on the response topic', async () => {
    const s = makeSupervisor([mini('discovery')]);
    await s.start();
    await s.whenSettled();
    const unknown = await request({ action: 'stop', service: 'nope' });
    expect(unknown).toMatchObject({ ok: false, service: 'nope', error: { code: 'SERVICE_UNKNOWN' } });
    const badAction = await request({ action: 'explode', service: 'discovery' });
    expect(badAction).toMatchObject({ ok: false, action: 'explode', error: { code: 'SERVICE_BAD_ACTION' } });
    const badJson = await request(undefined, '{"action": "stop", ');
    expect(badJson).toMatchObject({ ok: false, error: { code: 'BAD_JSON' }, request_topic: 'alicia/system/supervisor/request' });
    const major = await request(
      undefined,
      JSON.stringify({ v: '2.0', id: 'x', ts: 1, source: 'operator', trace_id: 't', action: 'stop', service: 'discovery' }),
    );
    expect(major).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_VERSION' } });
    const missing = await request({ action: 'stop' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'SCHEMA_INVALID' } });
    // none of it touched the service
    expect(last('discovery')!.state).toBe('running');
  });

  it('a service that ignores the stop message is killed after the grace period', async () => {
    const s = makeSupervisor([mini('voice-router', 'ignore-stop')], { graceMs: 500 });
    await s.start();
    await s.whenSettled();
    const pid = last('voice-router')!.pid!;
    const r = await request({ action: 'stop', service: 'voice-router' });
    expect(r).toMatchObject({ ok: true, state: 'stopped' });
    expect(last('voice-router')!.exit_signal).toBe('SIGKILL');
    expect(pidAlive(pid)).toBe(false);
  });

  it('a service that never becomes ready is killed after the ready timeout and counted as a crash', async () => {
    const s = makeSupervisor([mini('stt', 'never-ready')], { readyTimeoutMs: 600, backoffInitialMs: 60_000 });
    await s.start();
    await until('crashed', () => last('stt')?.state === 'crashed', 30_000);
    expect(last('stt')!.last_error).toMatch(/not ready/);
    expect(last('stt')!.exit_signal).toBe('SIGKILL');
  });

  it('a clean exit (code 0) is a stop, not a crash', async () => {
    const s = makeSupervisor([mini('ai', 'exit-clean')], { backoffMaxMs: 100 });
    await s.start();
    await until('stopped', () => (states.get('ai') ?? []).some((x) => x.state === 'starting') && last('ai')?.state === 'stopped');
    await afterAnyRestart(100);
    expect(last('ai')).toMatchObject({ state: 'stopped', exit_code: 0, restarts: 0, stop_reason: 'exit' });
    expect(last('ai')!.stopped_by).toBeUndefined();
  });

  it('publishes stdout/stderr on the log topic in batches and never the service password', async () => {
    const lines: { stream: string; lines: string[] }[] = [];
    op.on('message', (topic, payload) => {
      if (topic === 'alicia/system/logs/tts') lines.push(JSON.parse(payload.toString()) as { stream: string; lines: string[] });
    });
    const s = makeSupervisor([mini('tts', 'print-secret')]);
    await s.start();
    await s.whenSettled();
    await until('log lines', () => lines.some((l) => l.lines.some((x) => x.includes('my password is'))));
    const all = lines.flatMap((l) => l.lines).join('\n');
    expect(all).toContain('my password is ***');
    expect(all).not.toContain(tb.credentials.tts.password);
    expect(lines.some((l) => l.stream === 'supervisor' && l.lines.some((x) => x.startsWith('started pid')))).toBe(true);
    const file = readFileSync(join(tb.dataDir, 'logs', 'tts.log'), 'utf8');
    expect(file).not.toContain(tb.credentials.tts.password);
    expect(statSync(join(tb.dataDir, 'logs', 'tts.log')).mode & 0o777).toBe(0o600);
  });

  it('log batches carry the pid of their run and never mix two runs, also when a restart falls into one flush', async () => {
    const batches: { stream: string; pid?: number | null; lines: string[] }[] = [];
    op.on('message', (topic, payload) => {
      if (topic === 'alicia/system/logs/tts') batches.push(JSON.parse(payload.toString()) as (typeof batches)[number]);
    });
    const s = makeSupervisor([mini('tts')]);
    await s.start();
    await s.whenSettled();
    const first = last('tts')!.pid!;
    expect(await request({ action: 'restart', service: 'tts' })).toMatchObject({ ok: true, state: 'running' });
    const second = last('tts')!.pid!;
    const linesOf = (pid: number) => batches.filter((b) => b.pid === pid).flatMap((b) => b.lines);
    const has = (pid: number, text: string) => linesOf(pid).some((l) => l.includes(text));
    await until('the new run logged its start and readiness', () => has(second, 'fixture starting') && has(second, 'ready (pid'));
    await until('the old run logged its stop', () => has(first, 'fixture stopping') && has(first, 'stopped (code 0)'));
    expect(linesOf(first)).toEqual(
      expect.arrayContaining([`started pid ${first}`, 'stopping (restart by operator)', expect.stringMatching(/^stopped \(code 0\)$/)]),
    );
    expect(linesOf(first).filter((l) => l.includes('fixture starting'))).toHaveLength(1);
    expect(linesOf(second)).toEqual(expect.arrayContaining([`started pid ${second}`, `ready (pid ${second})`]));
    expect(linesOf(second).some((l) => l.includes('fixture stopping') || l.startsWith('stopp'))).toBe(false);
    expect(batches.every((b) => b.pid === first || b.pid === second)).toBe(true);
  });

  it('stop() stops every service, leaves no process behind and can run twice', async () => {
    const s = makeSupervisor([mini('discovery'), mini('stt'), mini('ai', 'ignore-stop')], { graceMs: 500 });
    await s.start();
    await s.whenSettled();
    const pids = s.status().map((x) => x.pid!);
    expect(pids.every(pidAlive)).toBe(true);
    await s.stop();
    await s.stop();
    expect(pids.some(pidAlive)).toBe(false);
    expect(s.status().map((x) => [x.state, x.stop_reason])).toEqual([
      ['stopped', 'host'],
      ['stopped', 'host'],
      ['stopped', 'host'],
    ]);
  });
});

describe('Supervisor with the shared service process', { timeout: 120_000 }, () => {
  // The pool process runs from dist/ (poolLauncher.ts): `npx tsc -b tsconfig.build.json` first.
  const pooled = (services: SupervisedServiceSpec[], policy = {}) => makeSupervisor(services, policy, undefined, { servicePool: true });

  it('runs the light services as threads of one process and stt in its own', async () => {
    const s = pooled([mini('discovery'), mini('ai'), mini('stt')]);
    await s.start();
    await until('all running', () => ['discovery', 'ai', 'stt'].every((n) => last(n)?.state === 'running'));
    const discovery = last('discovery')!;
    const ai = last('ai')!;
    const stt = last('stt')!;
    expect(ai.pid).toBe(discovery.pid);
    expect(stt.pid).not.toBe(discovery.pid);
    expect(discovery.thread).toBeTypeOf('number');
    expect(ai.thread).toBeTypeOf('number');
    expect(ai.thread).not.toBe(discovery.thread);
    expect(stt.thread).toBeUndefined();
  });

  it('a pooled service that keeps crashing fails alone: the others in its process keep running, same pid, no crash', async () => {
    const s = pooled([mini('discovery'), mini('ai', 'crash-on-start')], { maxCrashes: 2, crashWindowMs: 60_000, backoffMaxMs: 200 });
    await s.start();
    await until('discovery running', () => last('discovery')?.state === 'running');
    const pid = last('discovery')!.pid;
    await until('ai failed', () => last('ai')?.state === 'failed', 60_000);
    await afterAnyRestart(200);
    expect(last('discovery')).toMatchObject({ state: 'running', pid, restarts: 0 });
    expect(states.get('discovery')!.filter((x) => x.state === 'crashed')).toHaveLength(0);
    expect(pidAlive(pid!)).toBe(true);
  });

  it('a kill -9 of the shared process is a crash of every service in it; each comes back in a new one', async () => {
    const s = pooled([mini('discovery'), mini('ai'), mini('stt')]);
    await s.start();
    await until('all running', () => ['discovery', 'ai', 'stt'].every((n) => last(n)?.state === 'running'));
    const pid = last('ai')!.pid!;
    const sttPid = last('stt')!.pid;
    process.kill(pid, 'SIGKILL');
    for (const n of ['discovery', 'ai']) {
      await until(`${n} crashed`, () => last(n)?.state === 'crashed');
      expect(last(n)!.exit_signal).toBe('SIGKILL');
    }
    await until('both running again', () => last('discovery')?.state === 'running' && last('ai')?.state === 'running');
    expect(last('ai')!.pid).toBe(last('discovery')!.pid);
    expect(last('ai')!.pid).not.toBe(pid);
    expect(last('stt')).toMatchObject({ state: 'running', pid: sttPid, restarts: 0 });
  });

  it('log batches of two runs in the shared process carry its one pid and each its own run', async () => {
    const batches: { pid?: number | null; run?: number; lines: string[] }[] = [];
    op.on('message', (topic, payload) => {
      if (topic === 'alicia/system/logs/ai') batches.push(JSON.parse(payload.toString()) as (typeof batches)[number]);
    });
    const s = pooled([mini('discovery'), mini('ai')]);
    await s.start();
    await s.whenSettled();
    const pid = s.status().find((x) => x.service === 'ai')!.pid!;
    expect(await request({ action: 'restart', service: 'ai' })).toMatchObject({ ok: true, state: 'running' });
    expect(s.status().find((x) => x.service === 'ai')!.pid).toBe(pid);
    const linesOf = (run: number) => batches.filter((b) => b.run === run).flatMap((b) => b.lines);
    await until('the second run logged its readiness', () => linesOf(2).some((l) => l.startsWith('ready (pid')));
    await until('the first run logged its stop', () => linesOf(1).includes('stopped (code 0)'));
    expect(linesOf(1).filter((l) => l.includes('fixture starting'))).toHaveLength(1);
    expect(linesOf(2).filter((l) => l.includes('fixture starting'))).toHaveLength(1);
    expect(linesOf(2).some((l) => l.includes('fixture stopping') || l.startsWith('stopp'))).toBe(false);
    expect(batches.every((b) => b.pid === pid && (b.run === 1 || b.run === 2))).toBe(true);
  });

  it('stop() stops every service and the shared process exits with its last one', async () => {
    const s = pooled([mini('discovery'), mini('ai', 'ignore-stop')], { graceMs: 500 });
    await s.start();
    await s.whenSettled();
    const pid = last('ai')!.pid!;
    await s.stop();
    expect(s.status().map((x) => [x.state, x.stop_reason])).toEqual([
      ['stopped', 'host'],
      ['stopped', 'host'],
    ]);
    await until('shared process gone', () => !pidAlive(pid), 10_000);
  });
});
