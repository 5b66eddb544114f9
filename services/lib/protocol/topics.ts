import type { z } from 'zod';
import { errorReplySchema } from './common.js';
import * as bridge from './bridge.js';
import * as device from './device.js';
import * as health from './health.js';
import * as system from './system.js';
import * as voice from './voice.js';
import type { Envelope } from './envelope.js';
import { isValidTopicName } from './topicNames.js';

/**
 * The topic contract: every topic the system uses, declared once, with the schema of its body.
 * Nothing else in the project spells a topic string: use TOPICS / topicFor(), and the typed
 * `publish`/`subscribe` of the runtime, so that a wrong topic or payload fails to compile.
 *
 * kind:
 *  - request: a command that expects a reply on `reply` (and failures on `error`), correlated by correlation_id
 *  - reply / error: the answer to a request, echoing its correlation_id
 *  - event: a fact, never retained
 *  - state: the current value of something, always retained (device status, service status, discovery)
 */
type TopicKind = 'request' | 'reply' | 'error' | 'event' | 'state';

export interface TopicDef {
  /** MQTT subscription pattern; `+` marks a parameter (device id, service name, ...) */
  readonly pattern: string;
  readonly kind: TopicKind;
  readonly schema: z.ZodType;
  readonly reply?: string;
  readonly error?: string;
  readonly retain?: boolean;
  readonly qos: 0 | 1;
  readonly doc: string;
}

const def = <const T extends TopicDef>(d: T): T => d;

export const TOPICS = {
  // --- voice: speech to text ---
  'alicia/voice/stt/request': def({
    pattern: 'alicia/voice/stt/request',
    kind: 'request',
    schema: voice.sttRequestSchema,
    reply: 'alicia/voice/stt/result',
    error: 'alicia/voice/stt/error',
    qos: 1,
    doc: 'Transcribe base64 WAV audio',
  }),
  'alicia/voice/stt/result': def({
    pattern: 'alicia/voice/stt/result',
    kind: 'reply',
    schema: voice.sttResultSchema,
    qos: 1,
    doc: 'Transcription, confidence, engine, processing time',
  }),
  'alicia/voice/stt/error': def({
    pattern: 'alicia/voice/stt/error',
    kind: 'error',
    schema: errorReplySchema,
    qos: 1,
    doc: 'STT failures and invalid STT requests',
  }),
  'alicia/voice/stt/grammar': def({
    pattern: 'alicia/voice/stt/grammar',
    kind: 'state',
    schema: voice.sttGrammarSchema,
    retain: true,
    qos: 1,
    doc: 'What the recogniser can hear now: grammar signature, size, and the device words it cannot say',
  }),
  // --- voice: streamed audio ---
  'alicia/voice/audio/+': def({
    pattern: 'alicia/voice/audio/+',
    kind: 'event',
    schema: voice.audioChunkSchema,
    qos: 1,
    doc: 'One 20-200 ms chunk of a spoken command, by session id; the first starts the session, `final` ends it (else stt ends it on silence)',
  }),
  'alicia/voice/listen/+': def({
    pattern: 'alicia/voice/listen/+',
    kind: 'event',
    schema: voice.listenChunkSchema,
    qos: 0,
    doc: 'Hands-free microphone of one site, streamed continuously for the wake word; never recorded',
  }),
  // --- ai / intent ---
  'alicia/ai/request': def({
    pattern: 'alicia/ai/request',
    kind: 'request',
    schema: voice.aiRequestSchema,
    reply: 'alicia/ai/response',
    error: 'alicia/ai/error',
    qos: 1,
    doc: 'Recognise the intent of a sentence',
  }),
  'alicia/ai/response': def({
    pattern: 'alicia/ai/response',
    kind: 'reply',
    schema: voice.aiResponseSchema,
    qos: 1,
    doc: 'Intent, slots, device commands and reply sentence',
  }),
  'alicia/ai/error': def({
    pattern: 'alicia/ai/error',
    kind: 'error',
    schema: errorReplySchema,
    qos: 1,
    doc: 'AI failures and invalid AI requests',
  }),
  // --- voice: text to speech ---
  'alicia/voice/tts/request': def({
    pattern: 'alicia/voice/tts/request',
    kind: 'request',
    schema: voice.ttsRequestSchema,
    reply: 'alicia/voice/tts/result',
    error: 'alicia/voice/tts/error',
    qos: 1,
    doc: 'Speak a sentence',
  }),
  'alicia/voice/tts/result': def({
    pattern: 'alicia/voice/tts/result',
    kind: 'reply',
    schema: voice.ttsResultSchema,
    qos: 1,
    doc: 'WAV audio (base64) of the sentence',
  }),
  'alicia/voice/tts/error': def({
    pattern: 'alicia/voice/tts/error',
    kind: 'error',
    schema: errorReplySchema,
    qos: 1,
    doc: 'TTS failures and invalid TTS requests',
  }),
  // --- voice sessions (orchestrated by the voice router) ---
  'alicia/voice/command': def({
    pattern: 'alicia/voice/command',
    kind: 'request',
    schema: voice.voiceCommandSchema,
    reply: 'alicia/voice/result',
    error: 'alicia/voice/result',
    qos: 1,
    doc: 'A spoken (audio_data) or typed (text) command for a session',
  }),
  'alicia/voice/result': def({
    pattern: 'alicia/voice/result',
    kind: 'reply',
    schema: voice.voiceResultSchema,
    qos: 1,
    doc: 'Outcome of a voice session: ok or a coded error',
  }),
  'alicia/voice/event': def({
    pattern: 'alicia/voice/event',
    kind: 'event',
    schema: voice.voiceEventSchema,
    qos: 0,
    doc: 'Stage progress of voice sessions (live traces); wake word heard; end of a streamed utterance',
  }),
  // --- devices ---
  'alicia/device/command': def({
    pattern: 'alicia/device/command',
    kind: 'request',
    schema: device.deviceCommandSchema,
    reply: 'alicia/device/response',
    error: 'alicia/device/response',
    qos: 1,
    doc: 'Act on a device',
  }),
  'alicia/device/response': def({
    pattern: 'alicia/device/response',
    kind: 'reply',
    schema: device.deviceResponseSchema,
    qos: 1,
    doc: 'Result of a device command (ok or coded error)',
  }),
  'alicia/device/status/+': def({
    pattern: 'alicia/device/status/+',
    kind: 'state',
    schema: device.deviceStatusSchema,
    retain: true,
    qos: 1,
    doc: 'Retained state of one device; empty payload = removed',
  }),
  'alicia/device/registry/request': def({
    pattern: 'alicia/device/registry/request',
    kind: 'request',
    schema: device.deviceRegistryRequestSchema,
    reply: 'alicia/device/registry/response',
    error: 'alicia/device/registry/response',
    qos: 1,
    doc: 'List, add, rename, remove devices',
  }),
  'alicia/device/registry/response': def({
    pattern: 'alicia/device/registry/response',
    kind: 'reply',
    schema: device.deviceRegistryResponseSchema,
    qos: 1,
    doc: 'Answer to a registry request',
  }),
  // --- health ---
  'alicia/health/heartbeat/+': def({
    pattern: 'alicia/health/heartbeat/+',
    kind: 'event',
    schema: health.heartbeatSchema,
    qos: 0,
    doc: 'Periodic heartbeat of a service (also its last will, status offline)',
  }),
  'alicia/health/status/+': def({
    pattern: 'alicia/health/status/+',
    kind: 'state',
    schema: health.serviceMetricsSchema,
    retain: true,
    qos: 0,
    doc: 'Metrics of one service: counts, rates, latency percentiles, breakers',
  }),
  'alicia/health/status': def({
    pattern: 'alicia/health/status',
    kind: 'state',
    schema: health.healthAggregateSchema,
    retain: true,
    qos: 1,
    doc: 'Aggregate health of all services',
  }),
  'alicia/health/alert': def({
    pattern: 'alicia/health/alert',
    kind: 'event',
    schema: health.healthAlertSchema,
    qos: 1,
    doc: 'Alerts: service down/recovered, error rate, slow handler',
  }),
  // --- discovery ---
  'alicia/system/discovery/register': def({
    pattern: 'alicia/system/discovery/register',
    kind: 'event',
    schema: system.discoveryRegisterSchema,
    qos: 1,
    doc: 'A service announces itself and its capabilities',
  }),
  'alicia/system/discovery/heartbeat': def({
    pattern: 'alicia/system/discovery/heartbeat',
    kind: 'event',
    schema: system.discoveryHeartbeatSchema,
    qos: 0,
    doc: 'A registered service is alive',
  }),
  'alicia/system/discovery/update': def({
    pattern: 'alicia/system/discovery/update',
    kind: 'state',
    schema: system.discoveryUpdateSchema,
    retain: true,
    qos: 1,
    doc: 'The service registry after a register, expiry or unregister',
  }),
  // --- config, broadcast ---
  'alicia/system/config/+': def({
    pattern: 'alicia/system/config/+',
    kind: 'state',
    schema: system.configSchema,
    retain: true,
    qos: 1,
    doc: 'Configuration of one service (retained)',
  }),
  'alicia/broadcast/+': def({
    pattern: 'alicia/broadcast/+',
    kind: 'event',
    schema: system.broadcastSchema,
    qos: 0,
    doc: 'System-wide announcements by type',
  }),
  // --- supervisor / host control plane ---
  'alicia/system/services/+': def({
    pattern: 'alicia/system/services/+',
    kind: 'state',
    schema: system.serviceStateSchema,
    retain: true,
    qos: 1,
    doc: 'Process state of one service (supervisor)',
  }),
  'alicia/system/nodes/+': def({
    pattern: 'alicia/system/nodes/+',
    kind: 'state',
    schema: system.nodeStateSchema,
    retain: true,
    qos: 1,
    doc: 'A service node (alicia node): online, and the state of each service it runs',
  }),
  'alicia/system/probe/+': def({
    pattern: 'alicia/system/probe/+',
    kind: 'event',
    schema: system.probeSchema,
    qos: 1,
    doc: 'Sent to itself at start to learn whether the broker has shared subscriptions',
  }),
  'alicia/system/supervisor/request': def({
    pattern: 'alicia/system/supervisor/request',
    kind: 'request',
    schema: system.supervisorRequestSchema,
    reply: 'alicia/system/supervisor/response',
    error: 'alicia/system/supervisor/response',
    qos: 1,
    doc: 'Start, stop or restart a service',
  }),
  'alicia/system/supervisor/response': def({
    pattern: 'alicia/system/supervisor/response',
    kind: 'reply',
    schema: system.supervisorResponseSchema,
    qos: 1,
    doc: 'Answer to a supervisor request',
  }),
  'alicia/system/logs/+': def({
    pattern: 'alicia/system/logs/+',
    kind: 'event',
    schema: system.logLinesSchema,
    qos: 0,
    doc: 'Log lines of one service',
  }),
  'alicia/system/recorder/request': def({
    pattern: 'alicia/system/recorder/request',
    kind: 'request',
    schema: system.recorderRequestSchema,
    reply: 'alicia/system/recorder/response',
    error: 'alicia/system/recorder/response',
    qos: 1,
    doc: 'History, trace, session and count queries',
  }),
  'alicia/system/recorder/response': def({
    pattern: 'alicia/system/recorder/response',
    kind: 'reply',
    schema: system.recorderResponseSchema,
    qos: 1,
    doc: 'Answer to a recorder query',
  }),
  'alicia/system/credentials/request': def({
    pattern: 'alicia/system/credentials/request',
    kind: 'request',
    schema: system.credentialsRequestSchema,
    reply: 'alicia/system/credentials/response',
    error: 'alicia/system/credentials/response',
    qos: 1,
    doc: 'Rotate service credentials, add/remove external device credentials (operator/window only; never carries passwords)',
  }),
  'alicia/system/credentials/response': def({
    pattern: 'alicia/system/credentials/response',
    kind: 'reply',
    schema: system.credentialsResponseSchema,
    qos: 1,
    doc: 'Answer to a credential rotation: which principals rotated, which services restarted',
  }),
  'alicia/system/host': def({
    pattern: 'alicia/system/host',
    kind: 'state',
    schema: system.hostInfoSchema,
    retain: true,
    qos: 1,
    doc: 'The host: version, start time, local MQTT URL, LAN listener, TLS certificate fingerprint (host only)',
  }),
  'alicia/system/window/sessions': def({
    pattern: 'alicia/system/window/sessions',
    kind: 'state',
    schema: system.windowSessionsSchema,
    retain: true,
    qos: 1,
    doc: 'Open window sessions: public id, kind, created, last seen, user agent, address, connections (host only)',
  }),
  'alicia/system/window/request': def({
    pattern: 'alicia/system/window/request',
    kind: 'request',
    schema: system.windowRequestSchema,
    reply: 'alicia/system/window/response',
    error: 'alicia/system/window/response',
    qos: 1,
    doc: 'End a window session: its credential is revoked, its connections closed (operator/window only)',
  }),
  'alicia/system/window/response': def({
    pattern: 'alicia/system/window/response',
    kind: 'reply',
    schema: system.windowResponseSchema,
    qos: 1,
    doc: 'Answer to a window session request',
  }),
  'alicia/system/bridge/+': def({
    pattern: 'alicia/system/bridge/+',
    kind: 'state',
    schema: bridge.bridgeStateSchema,
    retain: true,
    qos: 1,
    doc: 'One bridge to an upstream broker (config broker.bridges), published by the bridge: state, counters, the filters it holds',
  }),
  '$SYS/alicia/broker/stats': def({
    pattern: '$SYS/alicia/broker/stats',
    kind: 'event',
    schema: system.brokerStatsSchema,
    qos: 0,
    doc: 'Broker stats every few seconds',
  }),
} as const;

export type TopicPattern = keyof typeof TOPICS;
type Def<P extends TopicPattern> = (typeof TOPICS)[P];
export type RequestTopic = { [P in TopicPattern]: Def<P>['kind'] extends 'request' ? P : never }[TopicPattern];

/** The body type (without envelope) a topic pattern carries. */
export type BodyOf<P extends TopicPattern> = z.input<Def<P>['schema']>;
/** The decoded message (body after defaults + envelope) a topic pattern carries. */
export type MessageOf<P extends TopicPattern> = z.output<Def<P>['schema']> & Envelope;
export type ReplyTopicOf<P extends RequestTopic> = Def<P> extends { reply: infer R extends TopicPattern } ? R : never;

/** Turn a pattern plus its parameters into a concrete topic: topicFor('alicia/device/status/+', 'kitchen_light'). */
export function topicFor<P extends TopicPattern>(pattern: P, ...params: string[]): string {
  let i = 0;
  const out = pattern
    .split('/')
    .map((seg) => {
      if (seg !== '+') return seg;
      const p = params[i++];
      // a parameter is one whole level of a topic name
      if (p === undefined || p.includes('/') || !isValidTopicName(p))
        throw new Error(`bad topic parameter ${JSON.stringify(p)} for ${pattern}`);
      return p;
    })
    .join('/');
  return out;
}

/**
 * MQTT topic filter matching (MQTT 3.1.1 section 4.7; which names and filters are valid at all is
 * topicNames.ts): `+` one level, `#` this level and below
 * (incl. the parent: `a/#` matches `a`); `$` topics never match a leading wildcard. Walks filter
 * and topic level by level without splitting: it runs for every message on the broker's ACL and
 * the recorder's publish path, where allocating two arrays per call was most of their cost.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const fc0 = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === 36 && (fc0 === 43 || fc0 === 35)) return false; // '$' vs '+' / '#'
  let fi = 0;
  let ti = 0;
  for (;;) {
    let fEnd = filter.indexOf('/', fi);
    if (fEnd < 0) fEnd = filter.length;
    const fLen = fEnd - fi;
    if (fLen === 1 && filter.charCodeAt(fi) === 35) return true; // '#'
    let tEnd = topic.indexOf('/', ti);
    if (tEnd < 0) tEnd = topic.length;
    const isPlus = fLen === 1 && filter.charCodeAt(fi) === 43;
    if (!isPlus) {
      if (fLen !== tEnd - ti) return false;
      for (let k = 0; k < fLen; k++) if (filter.charCodeAt(fi + k) !== topic.charCodeAt(ti + k)) return false;
    }
    const fDone = fEnd >= filter.length;
    const tDone = tEnd >= topic.length;
    if (fDone || tDone) {
      if (fDone && tDone) return true;
      // the topic ended and the filter goes on: only "/#" may follow
      return tDone && filter.length - fEnd === 2 && filter.charCodeAt(fEnd + 1) === 35;
    }
    fi = fEnd + 1;
    ti = tEnd + 1;
  }
}

const patterns = Object.keys(TOPICS) as TopicPattern[];

/** Which declared pattern a concrete topic belongs to (undefined for foreign topics). */
export function patternOf(topic: string): TopicPattern | undefined {
  return patterns.find((p) => topicMatches(p, topic));
}

/** The last `+` parameter of a concrete topic (device id, service name). */
export function lastSegment(topic: string): string {
  const i = topic.lastIndexOf('/');
  return i < 0 ? topic : topic.slice(i + 1);
}

/** Home Assistant MQTT discovery prefix (adopted devices). Not ours, but declared here so nothing else spells it. */
export const HA_DISCOVERY_PREFIX = 'homeassistant';
export const HA_DISCOVERY_FILTER = `${HA_DISCOVERY_PREFIX}/+/+/config`;
export const HA_DISCOVERY_FILTER_NODE = `${HA_DISCOVERY_PREFIX}/+/+/+/config`;
