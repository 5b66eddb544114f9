import { lastSegment } from '../../../services/lib/protocol/topics.js';
import type { MessageOf, TopicPattern } from '../../../services/lib/protocol/topics.js';
import { brokerSamples, serviceMetricSamples } from '../model/healthSamples.js';
import { applyLive } from '../model/sessions.js';
import { useBridges } from '../stores/bridgesStore.js';
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
type VoiceTopic = 'alicia/voice/command' | 'alicia/voice/event' | 'alicia/voice/result';
const voiceQueue: { topic: VoiceTopic; msg: MessageOf<VoiceTopic> }[] = [];
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

function queueVoice(topic: VoiceTopic, msg: MessageOf<VoiceTopic>): void {
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

/** What the window does with a message of topic pattern P; `now` is the window's clock at arrival. */
type Route<P extends TopicPattern> = (m: MessageOf<P>, topic: string, now: number) => void;

/**
 * The routes, by topic pattern: each handler gets its topic's message type, and a pattern that is
 * not in the topic contract (services/lib/protocol/topics.ts) does not compile. Topics without a
 * route are only shown in the topic tree.
 */
export type RouteTable = { [P in TopicPattern]?: Route<P> };

const ROUTES: RouteTable = {
  'alicia/system/services/+': (m) => patchService(m.service, { state: m }),
  'alicia/health/heartbeat/+': (m, _topic, now) => patchService(m.service, { heartbeat: m, heartbeatAt: now }),
  'alicia/health/status/+': (m, _topic, now) => {
    patchService(m.service, { metrics: m });
    for (const [key, v] of serviceMetricSamples(m)) addSample(key, v, now);
  },
  'alicia/system/logs/+': (m) => {
    const arr = logPatch.get(m.service) ?? [];
    for (const text of m.lines) arr.push({ at: m.ts, stream: m.stream, text });
    logPatch.set(m.service, arr);
    flushServices();
  },
  'alicia/health/status': (m) => onNextFrame('health.aggregate', () => useHealth.setState({ aggregate: m })),
  'alicia/health/alert': (m) => {
    alertPatch.push(m);
    onNextFrame('health.alerts', () => {
      const alerts = [...alertPatch.reverse(), ...useHealth.getState().alerts].slice(0, MAX_ALERTS);
      alertPatch.length = 0;
      useHealth.setState({ alerts });
    });
  },
  '$SYS/alicia/broker/stats': (m, _topic, now) => {
    for (const [key, v] of brokerSamples(m)) addSample(key, v, now);
    onNextFrame('health.broker', () => useHealth.setState({ broker: m }));
  },
  'alicia/system/host': (m) => onNextFrame('health.host', () => useHealth.setState({ host: m })),
  'alicia/system/window/sessions': (m) => onNextFrame('health.windowSessions', () => useHealth.setState({ windowSessions: m })),
  'alicia/system/bridge/+': (m, topic) =>
    onNextFrame(`bridge.${topic}`, () => useBridges.setState((s) => ({ bridges: { ...s.bridges, [lastSegment(topic)]: m } }))),
  'alicia/device/status/+': (m, topic) => {
    devicePatch.set(lastSegment(topic), m);
    flushDevices();
  },
  'alicia/voice/command': (m) => queueVoice('alicia/voice/command', m),
  'alicia/voice/event': (m) => queueVoice('alicia/voice/event', m),
  'alicia/voice/result': (m) => queueVoice('alicia/voice/result', m),
};

/**
 * What an empty payload means, by topic pattern: a retained state was removed (MQTT 3.1.1 section
 * 3.3.1.3). Only device cards go away with their state; other views keep the last value they saw.
 */
const CLEARED: { [P in TopicPattern]?: (topic: string) => void } = {
  'alicia/device/status/+': (topic) => {
    devicePatch.set(lastSegment(topic), null);
    flushDevices();
  },
};

/** Route one decoded message of `pattern` into the stores (committed on the next frame). */
export function routeMessage<P extends TopicPattern>(topic: string, pattern: P, msg: MessageOf<P>): void {
  const route: Route<P> | undefined = ROUTES[pattern];
  route?.(msg, topic, Date.now());
}

/** Route an empty payload on a topic of `pattern`. */
export function routeCleared(topic: string, pattern: TopicPattern): void {
  CLEARED[pattern]?.(topic);
}
