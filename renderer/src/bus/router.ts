import { lastSegment } from '../../../services/lib/protocol/topics.js';
import type { MessageOf, TopicPattern } from '../../../services/lib/protocol/topics.js';
import { applyLive } from '../model/sessions.js';
import { useDevices } from '../stores/devicesStore.js';
import type { DeviceStatus } from '../stores/devicesStore.js';
import { SERIES_WINDOW_MS, useHealth } from '../stores/healthStore.js';
import type { HealthAlert, Sample } from '../stores/healthStore.js';
import { LOG_LINES_PER_SERVICE, useServices } from '../stores/servicesStore.js';
import type { LogLine, ServiceRow } from '../stores/servicesStore.js';
import { useTraces } from '../stores/tracesStore.js';
import { useVoice } from '../stores/voiceStore.js';
import { onNextFrame } from './frame.js';

/**
 * Decoded Alicia messages -> store buffers -> one commit per store per animation frame.
 * Buffers are plain objects mutated per message; the flush copies them into the store.
 */

const svcPatch = new Map<string, Partial<ServiceRow>>();
const logPatch = new Map<string, LogLine[]>();
const devicePatch = new Map<string, DeviceStatus | null>();
const seriesPatch = new Map<string, Sample[]>();
const alertPatch: HealthAlert[] = [];
const voiceQueue: { topic: 'alicia/voice/command' | 'alicia/voice/event' | 'alicia/voice/result'; msg: Record<string, unknown> }[] = [];
const MAX_ALERTS = 200;

function flushServices(): void {
  onNextFrame('services', () => {
    const s = useServices.getState();
    const services = { ...s.services };
    for (const [name, patch] of svcPatch) services[name] = { ...(services[name] ?? { name }), ...patch };
    svcPatch.clear();
    let logs = s.logs;
    if (logPatch.size) {
      logs = { ...logs };
      for (const [name, lines] of logPatch) {
        const all = [...(logs[name] ?? []), ...lines];
        logs[name] = all.length > LOG_LINES_PER_SERVICE ? all.slice(all.length - LOG_LINES_PER_SERVICE) : all;
      }
      logPatch.clear();
    }
    useServices.setState({ services, logs });
  });
}

function patchService(name: string, patch: Partial<ServiceRow>): void {
  svcPatch.set(name, { ...(svcPatch.get(name) ?? {}), ...patch });
  flushServices();
}

function addSample(key: string, v: number, t: number): void {
  const arr = seriesPatch.get(key) ?? [];
  arr.push({ t, v });
  seriesPatch.set(key, arr);
  onNextFrame('series', () => {
    const series = { ...useHealth.getState().series };
    const cutoff = Date.now() - SERIES_WINDOW_MS;
    for (const [k, samples] of seriesPatch) {
      const prev = series[k] ?? [];
      let i = 0;
      while (i < prev.length && (prev[i] as Sample).t < cutoff) i++;
      series[k] = [...prev.slice(i), ...samples];
    }
    seriesPatch.clear();
    useHealth.setState({ series });
  });
}

function flushDevices(): void {
  onNextFrame('devices', () => {
    const devices = { ...useDevices.getState().devices };
    for (const [id, d] of devicePatch) {
      if (d) devices[id] = d;
      else delete devices[id];
    }
    devicePatch.clear();
    useDevices.setState({ devices });
  });
}

function queueVoice(topic: (typeof voiceQueue)[number]['topic'], msg: Record<string, unknown>): void {
  voiceQueue.push({ topic, msg });
  onNextFrame('voice', () => {
    let sessions = useTraces.getState().sessions;
    const now = Date.now();
    for (const q of voiceQueue) sessions = applyLive(sessions, q.topic, q.msg, now);
    const v = useVoice.getState();
    for (const q of voiceQueue) {
      if (q.msg.session_id !== v.pendingSession) continue;
      if (q.topic === 'alicia/voice/event') useVoice.setState({ stage: `${String(q.msg.stage)} ${String(q.msg.status)}` });
    }
    voiceQueue.length = 0;
    useTraces.setState({ sessions });
  });
}

/** Route one message. `pattern`/`msg` are null for an empty payload (a retained state was removed). */
export function routeMessage(topic: string, pattern: TopicPattern | null, msg: MessageOf<TopicPattern> | null): void {
  if (msg === null || pattern === null) {
    if (topic.startsWith('alicia/device/status/')) {
      devicePatch.set(lastSegment(topic), null);
      flushDevices();
    }
    return;
  }
  const now = Date.now();
  switch (pattern) {
    case 'alicia/system/services/+': {
      const m = msg as MessageOf<typeof pattern>;
      patchService(m.service, { state: m });
      break;
    }
    case 'alicia/health/heartbeat/+': {
      const m = msg as MessageOf<typeof pattern>;
      patchService(m.service, { heartbeat: m, heartbeatAt: now });
      break;
    }
    case 'alicia/health/status/+': {
      const m = msg as MessageOf<typeof pattern>;
      patchService(m.service, { metrics: m });
      addSample(`svc.${m.service}.rate`, m.in_per_s + m.out_per_s, now);
      addSample(`svc.${m.service}.p95`, m.handler_latency_ms.p95, now);
      break;
    }
    case 'alicia/system/logs/+': {
      const m = msg as MessageOf<typeof pattern>;
      const arr = logPatch.get(m.service) ?? [];
      for (const text of m.lines) arr.push({ at: m.ts, stream: m.stream, text });
      logPatch.set(m.service, arr);
      flushServices();
      break;
    }
    case 'alicia/health/status': {
      const m = msg as MessageOf<typeof pattern>;
      onNextFrame('health.aggregate', () => useHealth.setState({ aggregate: m }));
      break;
    }
    case 'alicia/health/alert': {
      alertPatch.push(msg as MessageOf<typeof pattern>);
      onNextFrame('health.alerts', () => {
        const alerts = [...alertPatch.reverse(), ...useHealth.getState().alerts].slice(0, MAX_ALERTS);
        alertPatch.length = 0;
        useHealth.setState({ alerts });
      });
      break;
    }
    case '$SYS/alicia/broker/stats': {
      const m = msg as MessageOf<typeof pattern>;
      addSample('broker.in', m.messages_in_per_s, now);
      addSample('broker.out', m.messages_out_per_s, now);
      addSample('broker.clients', m.clients, now);
      onNextFrame('health.broker', () => useHealth.setState({ broker: m }));
      break;
    }
    case 'alicia/system/host': {
      const m = msg as MessageOf<typeof pattern>;
      onNextFrame('health.host', () => useHealth.setState({ host: m }));
      break;
    }
    case 'alicia/device/status/+': {
      const m = msg as MessageOf<typeof pattern>;
      devicePatch.set(lastSegment(topic), m);
      flushDevices();
      break;
    }
    case 'alicia/voice/command':
    case 'alicia/voice/event':
    case 'alicia/voice/result':
      queueVoice(pattern, msg as Record<string, unknown>);
      break;
    default:
      break;
  }
}
