import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestBroker } from '../host/broker/testing/testBroker.js';
import type { TestBroker } from '../host/broker/testing/testBroker.js';
import { waitFor } from '../host/broker/testing/mqttClient.js';
import { seal } from '../../services/lib/protocol/envelope.js';
import type { Logger } from '../../services/lib/runtime/logger.js';
import type { Notice } from './serviceNotices.js';
import { ServiceStatusFeed } from './serviceStatusFeed.js';
import type { HealthAggregate, ServiceState } from './tray.js';

/**
 * The feed against a real broker, subscribed in-process as the desktop app does. A publish resolves
 * after the broker has called every in-process subscriber, so right after `await state(...)` the
 * feed has seen the message, or never will.
 */
let tb: TestBroker;
let feed: ServiceStatusFeed | undefined;

beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  await feed?.stop();
  feed = undefined;
  await tb.stop();
});

function watch(coalesceMs: number) {
  const calls: { states: Map<string, ServiceState['state']>; aggregate: HealthAggregate | null }[] = [];
  const notices: Notice[] = [];
  const warnings: string[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (m: string) => void warnings.push(m),
    error: () => undefined,
    child: () => log,
  };
  feed = new ServiceStatusFeed({
    bus: tb.broker,
    log,
    coalesceMs,
    onStatus: (states, aggregate) => calls.push({ states: new Map([...states].map(([k, v]) => [k, v.state])), aggregate }),
    onNotice: (n) => notices.push(n),
  });
  return { feed, calls, notices, warnings };
}

const state = (service: string, s: ServiceState['state'], extra: Record<string, unknown> = {}) =>
  tb.broker.publish(
    `alicia/system/services/${service}`,
    JSON.stringify(
      seal(
        { service, state: s, pid: 1, restarts: 0, startedAt: 1, exit_code: null, exit_signal: null, ...extra },
        { source: 'supervisor' },
      ),
    ),
    { qos: 1, retain: true },
  );

describe('service status for the tray', () => {
  it('reports the states and the health aggregate in one coalesced call', async () => {
    const { feed, calls } = watch(500);
    await feed.start();
    await state('stt', 'starting');
    await state('stt', 'running');
    await state('ai', 'running');
    const aggregate = seal({ overall: 'healthy', services: {} }, { source: 'health-monitor' });
    await tb.broker.publish('alicia/health/status', JSON.stringify(aggregate), { qos: 1, retain: true });
    await waitFor(() => calls.length > 0, 'a status call');
    expect(calls).toEqual([
      {
        states: new Map([
          ['stt', 'running'],
          ['ai', 'running'],
        ]),
        aggregate,
      },
    ]);
  });

  it('raises a notice when a service it saw running fails, with the reason', async () => {
    const { feed, notices } = watch(10);
    await feed.start();
    await state('stt', 'failed');
    expect(notices).toEqual([]);
    await state('stt', 'running');
    await state('stt', 'failed', { restarts: 5, last_error: 'exit code 3' });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ title: 'stt has stopped', urgency: 'critical' });
    expect(notices[0]!.body).toContain('exit code 3');
  });

  it('logs and skips a malformed message, and ignores a cleared retained one', async () => {
    const { feed, calls, warnings } = watch(10);
    await feed.start();
    await tb.broker.publish('alicia/system/services/stt', '{"not":"a state"}', { qos: 1 });
    await tb.broker.publish('alicia/system/services/stt', '', { qos: 1, retain: true });
    await tb.broker.publish('alicia/health/status', 'not json', { qos: 1 });
    expect(warnings).toEqual(['bad service state message', 'bad health status message']);
    await state('ai', 'running');
    await waitFor(() => calls.length > 0, 'a status call');
    expect([...calls[0]!.states.keys()]).toEqual(['ai']);
  });

  it('stop() unsubscribes and cancels the scheduled call (twice is fine): later messages reach nothing', async () => {
    const { feed: stopped, notices, calls } = watch(50);
    await stopped.start();
    await state('stt', 'running');
    await stopped.stop();
    await stopped.stop();
    await state('stt', 'failed');
    expect(notices).toEqual([]);
    // Sentinel: a second feed's call, scheduled later with the same delay, comes after any call the
    // stopped feed could still make (Node runs timers of equal delay in the order they were set).
    const sentinel = watch(50);
    await sentinel.feed.start();
    await state('ai', 'running');
    await waitFor(() => sentinel.calls.length > 0, "the second feed's call");
    expect(calls).toEqual([]);
  });
});
