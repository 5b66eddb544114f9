import { describe, expect, it } from 'vitest';
import { HealthEvaluator, healthThresholdsSchema } from './healthEvaluator.js';

function setup(overrides: Record<string, unknown> = {}) {
  let t = 1_000_000;
  const clock = { advance: (ms: number) => (t += ms) };
  const ev = new HealthEvaluator(healthThresholdsSchema.parse(overrides), () => t);
  const hb = (service = 'stt', status: 'ok' | 'degraded' | 'offline' = 'ok') => ev.heartbeat({ service, status, interval_ms: 1_000 });
  return { ev, clock, hb };
}

describe('health evaluator (fake clock)', () => {
  it('healthy -> degraded when a heartbeat is late -> down after 3 missed, with one down alert', () => {
    const { ev, clock, hb } = setup();
    hb();
    let r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({ status: 'healthy', missed: 0 });
    expect(r.changed).toBe(true);
    clock.advance(1_600);
    r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('degraded');
    expect(r.alerts.map((a) => a.alert)).toEqual(['degraded']);
    clock.advance(200);
    r = ev.evaluate();
    expect(r.alerts).toEqual([]); // still late: no repeated alert
    expect(r.changed).toBe(false); // only the ms in the reason changed
    clock.advance(1_300); // 3.1 s silent
    r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({ status: 'down', missed: 3 });
    expect(r.aggregate.overall).toBe('down');
    expect(r.alerts).toEqual([expect.objectContaining({ alert: 'service_down', severity: 'critical', service: 'stt' })]);
    clock.advance(5_000);
    expect(ev.evaluate().alerts).toEqual([]);
    hb();
    r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('healthy');
    expect(r.alerts.map((a) => a.alert)).toEqual(['service_recovered']);
  });

  it('an offline heartbeat (last will) or a supervisor crash means down at once', () => {
    const { ev, hb } = setup();
    hb('ai');
    hb('tts');
    ev.evaluate();
    hb('ai', 'offline');
    ev.supervisor({ service: 'tts', state: 'crashed' });
    const r = ev.evaluate();
    expect(r.aggregate.services.ai).toMatchObject({ status: 'down', reason: expect.stringMatching(/offline/) });
    expect(r.aggregate.services.tts).toMatchObject({ status: 'down', reason: 'supervisor: crashed' });
    expect(r.alerts.map((a) => `${a.alert}:${a.service}`).sort()).toEqual(['service_down:ai', 'service_down:tts']);
  });

  it('a service never seen up is unknown, and its stop is no alert', () => {
    const { ev } = setup();
    ev.supervisor({ service: 'stt', state: 'starting' });
    let r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('unknown');
    ev.supervisor({ service: 'stt', state: 'failed' });
    r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('down');
    expect(r.alerts).toEqual([]);
  });

  it('error rate over the last metrics window raises one error_rate alert until it clears', () => {
    const { ev, hb } = setup({ error_rate: 0.2, error_rate_min_messages: 5 });
    hb();
    ev.metrics({ service: 'stt', messages_in: 10, errors: 0, handler_latency_ms: { p95: 10, count: 10 } });
    expect(ev.evaluate().aggregate.services.stt?.status).toBe('healthy');
    ev.metrics({ service: 'stt', messages_in: 20, errors: 5, handler_latency_ms: { p95: 10, count: 10 } });
    const r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({ status: 'degraded', error_rate: 0.5 });
    expect(r.alerts).toEqual([expect.objectContaining({ alert: 'error_rate', value: 0.5 })]);
    ev.metrics({ service: 'stt', messages_in: 30, errors: 8, handler_latency_ms: { p95: 10, count: 10 } });
    expect(ev.evaluate().alerts).toEqual([]); // still high: de-duplicated
    ev.metrics({ service: 'stt', messages_in: 40, errors: 8, handler_latency_ms: { p95: 10, count: 10 } });
    expect(ev.evaluate().aggregate.services.stt?.status).toBe('healthy');
    ev.metrics({ service: 'stt', messages_in: 50, errors: 18, handler_latency_ms: { p95: 10, count: 10 } });
    expect(ev.evaluate().alerts.map((a) => a.alert)).toEqual(['error_rate']); // re-armed after clearing
  });

  it('a slow handler p95 degrades the service with a slow_handler alert', () => {
    const { ev, hb } = setup({ slow_p95_ms: 500 });
    hb();
    ev.metrics({ service: 'stt', messages_in: 1, errors: 0, handler_latency_ms: { p95: 900, count: 4 } });
    const r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({ status: 'degraded', p95_ms: 900 });
    expect(r.alerts).toEqual([expect.objectContaining({ alert: 'slow_handler', value: 900 })]);
  });

  it('a stop someone asked for is "stopped" with an info alert, never down, through the goodbye and the start after it', () => {
    const { ev, hb } = setup();
    ev.supervisor({ service: 'stt', state: 'running', pid: 10 });
    hb('stt');
    hb('ai');
    ev.evaluate();
    // what the supervisor publishes before it sends the stop message, then the service's goodbye
    ev.supervisor({ service: 'stt', state: 'stopping', pid: 10, stop_reason: 'request', stopped_by: 'window:abc' });
    ev.heartbeat({ service: 'stt', status: 'offline', interval_ms: 1_000, pid: 10 });
    let r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({
      status: 'stopped',
      stop_reason: 'request',
      reason: 'was stopped on request (window:abc)',
    });
    expect(r.alerts).toEqual([
      { alert: 'service_stopped', severity: 'info', service: 'stt', message: 'stt was stopped on request (window:abc)' },
    ]);
    // an asked-for stop does not make the whole system look worse
    expect(r.aggregate.overall).toBe('healthy');
    ev.supervisor({ service: 'stt', state: 'stopped', pid: null, stop_reason: 'request', stopped_by: 'window:abc' });
    r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('stopped');
    expect(r.alerts).toEqual([]);
    // started again: not "down" because of the old process's goodbye while the new one starts
    ev.supervisor({ service: 'stt', state: 'starting', pid: 11 });
    r = ev.evaluate();
    expect(r.aggregate.services.stt).toMatchObject({ status: 'unknown', reason: 'starting' });
    expect(r.alerts).toEqual([]);
    ev.heartbeat({ service: 'stt', status: 'ok', interval_ms: 1_000, pid: 11 });
    r = ev.evaluate();
    expect(r.aggregate.services.stt?.status).toBe('healthy');
    expect(r.alerts).toEqual([{ alert: 'service_started', severity: 'info', service: 'stt', message: 'stt is running again' }]);
  });

  it('a restart: the old process goodbye arriving after the new one started is not about the new one', () => {
    const { ev } = setup();
    ev.supervisor({ service: 'tts', state: 'running', pid: 20 });
    ev.heartbeat({ service: 'tts', status: 'ok', interval_ms: 1_000, pid: 20 });
    ev.evaluate();
    ev.supervisor({ service: 'tts', state: 'stopping', pid: 20, stop_reason: 'restart', stopped_by: 'operator' });
    expect(ev.evaluate().alerts.map((a) => a.message)).toEqual(['tts is restarting on request (operator)']);
    ev.supervisor({ service: 'tts', state: 'starting', pid: 21 });
    ev.heartbeat({ service: 'tts', status: 'ok', interval_ms: 1_000, pid: 21 });
    ev.heartbeat({ service: 'tts', status: 'offline', interval_ms: 1_000, pid: 20 });
    const r = ev.evaluate();
    expect(r.aggregate.services.tts?.status).toBe('healthy');
    expect(r.alerts.map((a) => a.alert)).toEqual(['service_started']);
  });

  it('a clean exit of its own is a stop with a warning; disabled is stopped without alert; a stop without a reason is still down', () => {
    const { ev, hb } = setup();
    for (const s of ['ai', 'tts', 'stt']) {
      ev.supervisor({ service: s, state: 'running', pid: null });
      hb(s);
    }
    ev.supervisor({ service: 'discovery', state: 'stopped', pid: null, stop_reason: 'disabled' });
    ev.evaluate();
    ev.supervisor({ service: 'ai', state: 'stopped', pid: null, stop_reason: 'exit' });
    // a supervisor that does not say why (an older host): a stop nobody announced is a fault
    ev.supervisor({ service: 'tts', state: 'stopped', pid: null });
    const r = ev.evaluate();
    expect(r.aggregate.services.discovery).toMatchObject({ status: 'stopped', reason: 'is disabled in the config' });
    expect(r.aggregate.services.ai).toMatchObject({ status: 'stopped', reason: 'exited by itself (code 0) and was not restarted' });
    expect(r.aggregate.services.tts).toMatchObject({ status: 'down', reason: 'supervisor: stopped' });
    expect(r.alerts.map((a) => `${a.alert}:${a.service}:${a.severity}`).sort()).toEqual([
      'service_down:tts:critical',
      'service_stopped:ai:warning',
    ]);
    expect(r.aggregate.overall).toBe('down');
  });

  it('overall is "stopped" only when nothing runs', () => {
    const { ev } = setup();
    ev.supervisor({ service: 'stt', state: 'stopped', pid: null, stop_reason: 'request' });
    ev.supervisor({ service: 'ai', state: 'stopped', pid: null, stop_reason: 'disabled' });
    expect(ev.evaluate().aggregate.overall).toBe('stopped');
    ev.heartbeat({ service: 'tts', status: 'ok', interval_ms: 1_000 });
    expect(ev.evaluate().aggregate.overall).toBe('healthy');
  });
});
