import { messageSummary, payloadText } from './messageParts.js';
import { recordedListFrom } from './recorded.js';
import type { RecordedMessage } from './recorded.js';
/**
 * Voice sessions as the Traces view lists them: merged from the recorder's `sessions` answer (history)
 * and from live alicia/voice/command, alicia/voice/event and alicia/voice/result messages. Pure
 * functions over plain objects, unit-tested.
 */

export interface SessionSummary {
  /**
   * One row per voice command: keyed by its trace id (every hop of a command carries it), so the
   * commands of one conversation (same session_id, e.g. "turn it off" after "turn on ...") stay
   * separate rows. Falls back to the session id for messages without a trace id.
   */
  key: string;
  session_id: string;
  trace_id: string | null;
  /** when the session started (ms) */
  time: number;
  input: 'audio' | 'text' | null;
  command_text: string | null;
  /** null while running */
  ok: boolean | null;
  transcription: string | null;
  intent: string | null;
  response_text: string | null;
  stage: string | null;
  error: { code: string; message: string } | null;
  timings: Record<string, number> | null;
  total_ms: number | null;
  /** live stage progress seen on alicia/voice/event: stage -> {started, finished} elapsed ms */
  live: Record<string, { started?: number; finished?: number; failed?: boolean }>;
}

/** A bus message of a trace, for the ordered message list. */
export interface TraceMessage extends RecordedMessage {
  /** payload as text when it is text */
  text: string | null;
  /** one readable line: the body without its envelope fields (messageParts.ts) */
  summary: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function blank(key: string, session_id: string, time: number): SessionSummary {
  return {
    key,
    session_id,
    trace_id: null,
    time,
    input: null,
    command_text: null,
    ok: null,
    transcription: null,
    intent: null,
    response_text: null,
    stage: null,
    error: null,
    timings: null,
    total_ms: null,
    live: {},
  };
}

/** Parse one entry of the recorder's `sessions` answer; null when it is unusable. */
export function fromRecorder(raw: unknown): SessionSummary | null {
  const r = raw as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') return null;
  const sid = str(r.session_id) ?? str(r.key);
  const time = num(r.time) ?? num(r.started);
  if (!sid || time === null) return null;
  const s = blank(str(r.trace_id) ?? str(r.key) ?? sid, sid, time);
  s.trace_id = str(r.trace_id);
  s.input = r.input === 'audio' || r.input === 'text' ? r.input : null;
  s.command_text = str(r.command_text);
  s.ok = typeof r.ok === 'boolean' ? r.ok : null;
  s.transcription = str(r.transcription);
  s.intent = str(r.intent);
  s.response_text = str(r.response_text);
  s.stage = str(r.stage);
  const e = r.error as Record<string, unknown> | null;
  s.error = e && typeof e.code === 'string' ? { code: e.code, message: str(e.message) ?? '' } : null;
  s.timings = r.timings && typeof r.timings === 'object' ? (r.timings as Record<string, number>) : null;
  s.total_ms = num(r.total_ms);
  return s;
}

/** Apply a live voice message (command, event or result) to the session map; returns the new map. */
export function applyLive(
  sessions: Record<string, SessionSummary>,
  topic: 'alicia/voice/command' | 'alicia/voice/event' | 'alicia/voice/result',
  msg: Record<string, unknown>,
  now: number,
): Record<string, SessionSummary> {
  const sid = str(msg.session_id);
  if (!sid) return sessions;
  const id = str(msg.trace_id) ?? sid;
  const prev = sessions[id];
  const s: SessionSummary = prev ? { ...prev, live: { ...prev.live } } : blank(id, sid, num(msg.ts) ?? now);
  s.trace_id = s.trace_id ?? str(msg.trace_id);
  if (topic === 'alicia/voice/command') {
    s.input = typeof msg.audio_data === 'string' ? 'audio' : 'text';
    s.command_text = str(msg.text) ?? s.command_text;
    s.time = num(msg.ts) ?? s.time;
  } else if (topic === 'alicia/voice/event') {
    const stage = str(msg.stage);
    const status = str(msg.status);
    const at = num(msg.elapsed_ms) ?? 0;
    if (stage) {
      const st = { ...(s.live[stage] ?? {}) };
      if (status === 'started') st.started = at;
      else if (status === 'finished') st.finished = at;
      else if (status === 'failed') {
        st.finished = at;
        st.failed = true;
      }
      s.live[stage] = st;
      if (stage !== 'done' && stage !== 'error') s.stage = stage;
    }
  } else {
    s.ok = msg.ok === true;
    s.transcription = str(msg.transcription);
    const intent = msg.intent as Record<string, unknown> | null;
    s.intent = intent && typeof intent.name === 'string' ? intent.name : null;
    s.response_text = str(msg.response_text);
    s.stage = str(msg.stage) ?? (s.ok ? 'done' : s.stage);
    const e = msg.error as Record<string, unknown> | undefined;
    s.error = e && typeof e.code === 'string' ? { code: e.code, message: str(e.message) ?? '' } : null;
    s.timings = msg.timings && typeof msg.timings === 'object' ? { ...(msg.timings as Record<string, number>) } : null;
    s.total_ms = num(s.timings?.total_ms) ?? s.total_ms;
  }
  return { ...sessions, [id]: s };
}

/** Merge recorder history into the live map: live (newer) data wins for sessions both know. */
export function mergeHistory(sessions: Record<string, SessionSummary>, history: SessionSummary[]): Record<string, SessionSummary> {
  const out = { ...sessions };
  for (const h of history) {
    const live = out[h.key];
    out[h.key] = live ? { ...h, ...Object.fromEntries(Object.entries(live).filter(([, v]) => v !== null)), live: live.live } : h;
  }
  return out;
}

interface WaterfallBar {
  stage: 'stt' | 'ai' | 'device' | 'tts';
  start: number;
  duration: number;
  failed: boolean;
}

const STAGES = ['stt', 'ai', 'device', 'tts'] as const;

/**
 * Waterfall bars. Live stage events give real offsets; otherwise the result's per-stage durations
 * are laid end to end (the router runs the stages in sequence: stt -> ai -> device -> tts).
 */
export function waterfall(s: SessionSummary): WaterfallBar[] {
  const bars: WaterfallBar[] = [];
  const hasLive = STAGES.some((st) => s.live[st]?.started !== undefined);
  if (hasLive) {
    for (const st of STAGES) {
      const l = s.live[st];
      if (l?.started === undefined) continue;
      const end = l.finished ?? l.started;
      bars.push({ stage: st, start: l.started, duration: Math.max(0, end - l.started), failed: !!l.failed });
    }
    return bars;
  }
  if (!s.timings) return bars;
  let t = 0;
  for (const st of STAGES) {
    const d = num(s.timings[`${st}_ms`]);
    if (d === null || d <= 0) continue;
    bars.push({ stage: st, start: t, duration: d, failed: !s.ok && s.stage === st });
    t += d;
  }
  return bars;
}

/** Parse the recorder's `trace` answer's messages (payload as base64 or text), in time order. */
export function traceMessagesFrom(raw: unknown): TraceMessage[] {
  return recordedListFrom(raw)
    .map((m) => {
      const text = payloadText(m.payload);
      return { ...m, text, summary: messageSummary(m.payload, text) };
    })
    .sort((a, b) => a.time - b.time);
}
