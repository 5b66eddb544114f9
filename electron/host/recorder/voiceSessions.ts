import { parseJson } from '../../../services/lib/protocol/envelope.js';

/**
 * Voice-session summaries, taken from the full payloads of alicia/voice/command and
 * alicia/voice/result at ingest time. A row is keyed by the command's correlation id (the result
 * echoes it), so several commands in one conversation (same session_id) stay separate entries.
 */
export interface VoiceSessionPatch {
  key: string;
  session_id: string | null;
  trace_id: string | null;
  time: number;
  started: number | null;
  ended: number | null;
  input: string | null;
  command_text: string | null;
  ok: number | null;
  transcription: string | null;
  intent: string | null;
  intent_json: string | null;
  response_text: string | null;
  stage: string | null;
  error_code: string | null;
  error_message: string | null;
  timings: string | null;
  total_ms: number | null;
}

const str = (v: unknown, max = 2000): string | null => (typeof v === 'string' ? v.slice(0, max) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function blank(key: string, obj: Record<string, unknown>, time: number): VoiceSessionPatch {
  return {
    key,
    session_id: str(obj.session_id, 128),
    trace_id: str(obj.trace_id, 128),
    time,
    started: null,
    ended: null,
    input: null,
    command_text: null,
    ok: null,
    transcription: null,
    intent: null,
    intent_json: null,
    response_text: null,
    stage: null,
    error_code: null,
    error_message: null,
    timings: null,
    total_ms: null,
  };
}

/** Summary of a voice command payload; null when it is not a JSON object with an id. */
export function patchFromCommand(payload: Buffer, time: number): VoiceSessionPatch | null {
  let obj: Record<string, unknown>;
  try {
    obj = parseJson(payload);
  } catch {
    return null;
  }
  const key = str(obj.correlation_id, 128) ?? str(obj.id, 128);
  if (!key) return null;
  const p = blank(key, obj, time);
  p.started = time;
  p.input = typeof obj.audio_data === 'string' ? 'audio' : typeof obj.text === 'string' ? 'text' : null;
  p.command_text = str(obj.text);
  return p;
}

/** Summary of a voice result payload; null when it has no correlation id to attach to. */
export function patchFromResult(payload: Buffer, time: number): VoiceSessionPatch | null {
  let obj: Record<string, unknown>;
  try {
    obj = parseJson(payload);
  } catch {
    return null;
  }
  const key = str(obj.correlation_id, 128);
  if (!key) return null;
  const p = blank(key, obj, time);
  p.ended = time;
  p.ok = typeof obj.ok === 'boolean' ? (obj.ok ? 1 : 0) : null;
  p.transcription = str(obj.transcription);
  const intent = obj.intent;
  if (intent && typeof intent === 'object' && !Array.isArray(intent)) {
    p.intent = str((intent as Record<string, unknown>).name, 200);
    p.intent_json = JSON.stringify(intent).slice(0, 4000);
  }
  p.response_text = str(obj.response_text);
  p.stage = str(obj.stage, 32);
  const err = obj.error;
  if (err && typeof err === 'object' && !Array.isArray(err)) {
    p.error_code = str((err as Record<string, unknown>).code, 64);
    p.error_message = str((err as Record<string, unknown>).message, 500);
  }
  const timings = obj.timings;
  if (timings && typeof timings === 'object' && !Array.isArray(timings)) {
    const t: Record<string, number> = {};
    for (const [k, v] of Object.entries(timings as Record<string, unknown>)) {
      const n = num(v);
      if (n !== null && k.length <= 32) t[k] = n;
    }
    p.timings = JSON.stringify(t);
    p.total_ms = num(t.total_ms);
  }
  return p;
}

/**
 * A voice session as the `sessions` query returns it: the stored row with its JSON columns parsed.
 * `input` is "audio" or "text" (what the command carried); `ok` is null while the result has not been
 * seen (still running, or lost); `timings` holds the per-stage durations (stt_ms, ai_ms, device_ms,
 * tts_ms, total_ms).
 */
export type VoiceSessionSummary = Omit<VoiceSessionPatch, 'ok' | 'intent_json' | 'error_code' | 'error_message' | 'timings'> & {
  ok: boolean | null;
  intent_detail: unknown;
  error: { code: string; message: string } | null;
  timings: Record<string, number> | null;
};

export function summaryFromRow(r: Record<string, unknown>): VoiceSessionSummary {
  const parse = (s: unknown): unknown => {
    if (typeof s !== 'string') return null;
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return null;
    }
  };
  const started = num(r.started);
  const ended = num(r.ended);
  return {
    key: String(r.key),
    session_id: str(r.session_id),
    trace_id: str(r.trace_id),
    time: Number(r.sort_time),
    started,
    ended,
    input: str(r.input),
    command_text: str(r.command_text),
    ok: r.ok === null || r.ok === undefined ? null : r.ok === 1,
    transcription: str(r.transcription),
    intent: str(r.intent),
    intent_detail: parse(r.intent_json),
    response_text: str(r.response_text),
    stage: str(r.stage),
    error: typeof r.error_code === 'string' ? { code: r.error_code, message: str(r.error_message) ?? '' } : null,
    timings: parse(r.timings) as Record<string, number> | null,
    // The result's own total when it has one, else what the recorder saw between command and result.
    total_ms: num(r.total_ms) ?? (started !== null && ended !== null ? ended - started : null),
  };
}
