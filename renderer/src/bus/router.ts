import { HOST_NODE, instanceId } from '../../../services/lib/protocol/nodes.js';
import { TOPICS, lastSegment } from '../../../services/lib/protocol/topics.js';
import type { MessageOf, TopicPattern } from '../../../services/lib/protocol/topics.js';
import { brokerSamples, serviceMetricSamples } from '../model/healthSamples.js';
import { applyLive } from '../model/sessions.js';
import { useBridges } from '../stores/bridgesStore.js';
import { useDevices } from '../stores/devicesStore.js';
import type { DeviceStatus } from '../stores/devicesStore.js';
import { SERIES_WINDOW_MS, useHealth } from '../stores/healthStore.js';
import type { HealthAlert, Sample } from '../stores/healthStore.js';
import { LOG_LINES_PER_SERVICE, useServices } from '../stores/servicesStore.js';
import type { LogLine, NodeInfo, ServiceRow } from '../stores/servicesStore.js';
import { useTraces } from '../stores/tracesStore.js';
import { useVoice } from '../stores/voiceStore.js';
import { onNextFrame } from './frame.js';
import { emitVoiceMessage } from './voiceFeed.js';
import { RetainedSnapshot } from './retainedSnapshot.js';

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

/** The row a heartbeat or metrics message belongs to: the host's by service name, a node's by instance id. */
function instanceKey(m: { service: string; instance?: string | undefined; node?: string | undefined }): string {
  return m.node !== undefined && m.node !== HOST_NODE ? instanceId(m.service, m.node) : m.service;
}

/** A node's fields for its instance's row (nothing for the host's). */
function nodeFields(m: { service: string; node?: string | undefined }): Partial<ServiceRow> {
  return m.node !== undefined && m.node !== HOST_NODE ? { name: m.service, node: m.node } : {};
}

function setNode(node: string, info: NodeInfo | null): void {
  onNextFrame(`services.node.${node}`, () => {
    const nodes = { ...useServices.getState().nodes };
    if (info) nodes[node] = info;
    else delete nodes[node];
    useServices.setState({ nodes });
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
      if (q.topic === 'alicia/voice/event' && 'stage' in q.msg)
        useVoice.setState({ stage: `${String(q.msg.stage)} ${String(q.msg.status)}` });
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
  'alicia/system/nodes/+': (m) => {
    // each state in the record as a message of its own (the record's envelope)
    const envelope = { v: m.v, id: m.id, ts: m.ts, source: m.source, trace_id: m.trace_id };
    for (const st of m.services)
      patchService(instanceId(st.service, m.node), { name: st.service, node: m.node, state: { ...envelope, ...st } });
    setNode(m.node, { online: m.online, instances: m.services.map((st) => instanceId(st.service, m.node)) });
  },
  'alicia/health/heartbeat/+': (m, _topic, now) => patchService(instanceKey(m), { ...nodeFields(m), heartbeat: m, heartbeatAt: now }),
  'alicia/health/status/+': (m, _topic, now) => {
    const key = instanceKey(m);
    patchService(key, { ...nodeFields(m), metrics: m });
    // the Health view's charts are the host's instances'
    if (key === m.service) for (const [k, v] of serviceMetricSamples(m)) addSample(k, v, now);
  },
  'alicia/system/logs/+': (m) => {
    const arr = logPatch.get(m.service) ?? [];
    for (const text of m.lines)
      arr.push({ at: m.ts, stream: m.stream, text, pid: m.pid ?? null, ...(m.run !== undefined ? { run: m.run } : {}) });
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
  'alicia/voice/stt/grammar': (m) =>
    onNextFrame('voice.grammar', () => useVoice.setState({ unsayable: m.skipped.filter((k) => k.kind !== 'template').map((k) => k.text) })),
  'alicia/voice/command': (m) => queueVoice('alicia/voice/command', m),
  'alicia/voice/event': (m) => {
    emitVoiceMessage({ topic: 'alicia/voice/event', msg: m });
    queueVoice('alicia/voice/event', m);
  },
  'alicia/voice/result': (m) => {
    emitVoiceMessage({ topic: 'alicia/voice/result', msg: m });
    queueVoice('alicia/voice/result', m);
  },
};

/**
 * What an empty payload means, by topic pattern: a retained state was removed (MQTT 3.1.1 section
 * 3.3.1.3), or it was not sent again after a reconnection (a resync). The stores forget it: a
 * device card goes away, a service row loses its process state and metrics.
 */
const CLEARED: { [P in TopicPattern]?: (topic: string) => void } = {
  'alicia/device/status/+': (topic) => {
    devicePatch.set(lastSegment(topic), null);
    flushDevices();
  },
  'alicia/system/services/+': (topic) => patchService(lastSegment(topic), { state: undefined }),
  'alicia/system/nodes/+': (topic) => setNode(lastSegment(topic), null),
  'alicia/health/status/+': (topic) => patchService(lastSegment(topic), { metrics: undefined }),
  'alicia/health/status': () => onNextFrame('health.aggregate', () => useHealth.setState({ aggregate: null })),
  'alicia/system/host': () => onNextFrame('health.host', () => useHealth.setState({ host: null })),
  'alicia/system/window/sessions': () => onNextFrame('health.windowSessions', () => useHealth.setState({ windowSessions: null })),
};

/** Retained state held by the stores, replaced after every (re)connection (retainedSnapshot.ts). */
const snapshot = new RetainedSnapshot<TopicPattern>();

/** Route one decoded message of `pattern` into the stores (committed on the next frame). */
export function routeMessage<P extends TopicPattern>(topic: string, pattern: P, msg: MessageOf<P>): void {
  const route: Route<P> | undefined = ROUTES[pattern];
  if (!route) return;
  if ((TOPICS[pattern] as { retain?: boolean }).retain) snapshot.hold(topic, pattern);
  route(msg, topic, Date.now());
}

/** Route an empty payload on a topic of `pattern`. */
export function routeCleared(topic: string, pattern: TopicPattern): void {
  snapshot.release(topic);
  CLEARED[pattern]?.(topic);
}

/** A (re)connection is about to subscribe: what arrives from now on replaces the retained state held. */
export function beginResync(): void {
  snapshot.begin();
}

/** The retained burst has settled: forget the retained state that did not come again. Returns the topics forgotten. */
export function endResync(): string[] {
  const gone = snapshot.end();
  for (const g of gone) CLEARED[g.pattern]?.(g.topic);
  return gone.map((g) => g.topic);
}
