import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { ErrorCode, ErrorInfo } from '../lib/protocol/errors.js';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { prepareCommandAudio } from './commandAudio.js';
import type { CommandFormat } from './commandAudio.js';
import type { SessionContext } from './contextStore.js';
import { answerOf, needsConfirm, questionFor } from './confirmation.js';
import type { PendingConfirm } from './confirmation.js';
import { fillReply, hasPlaceholders, spoken } from './replyText.js';
import type { VoiceRouterConfig } from './voiceRouterConfig.js';

export type Stage = 'stt' | 'ai' | 'device' | 'tts';
export type VoiceResult = BodyOf<'alicia/voice/result'>;

type SttReply = MessageOf<'alicia/voice/stt/result'>;
type AiReply = MessageOf<'alicia/ai/response'>;
type DeviceReply = MessageOf<'alicia/device/response'>;
type TtsReply = MessageOf<'alicia/voice/tts/result'>;
type DeviceCommand = AiReply['commands'][number];

/** What a session needs from the outside world; the service wires these to bus requests. */
export interface SessionIo {
  stt(audio: { audio_data: string; format: object }, timeoutMs: number): Promise<SttReply>;
  /** the recognition of the session's streamed utterance, when it ends (stt request {stream}) */
  sttStream(timeoutMs: number): Promise<SttReply>;
  ai(text: string, context: SessionContext, timeoutMs: number): Promise<AiReply>;
  device(cmd: DeviceCommand, timeoutMs: number): Promise<DeviceReply>;
  tts(text: string, timeoutMs: number): Promise<TtsReply>;
  /** the last retained status of a device, if any */
  deviceState(deviceId: string): { name: string; room: string; state: Record<string, unknown>; confirm?: boolean } | undefined;
  /** stage progress for live traces; never throws */
  event(stage: Stage | 'done' | 'error', status: 'started' | 'finished' | 'failed', elapsedMs: number): void;
}

export interface SessionInput {
  session_id: string;
  audio_data?: string;
  format?: CommandFormat;
  text?: string;
  /** the audio comes as a stream (alicia/voice/audio/<session>, or the listen stream after a wake word) */
  stream?: boolean;
  /** a button's answer to the pending question */
  confirm?: boolean;
  /** the question this session is waiting on, if any (still valid) */
  pending?: PendingConfirm;
  speak: boolean;
}

export interface SessionOutcome {
  result: VoiceResult;
  /** the context to keep for the session's next command (unchanged unless the ai understood) */
  context: SessionContext;
  /** the question now waiting for yes/no (null: none) */
  pending: PendingConfirm | null;
}

/** The code a stage's failure ends the session with: the stage's own for a timeout, else the downstream's. */
const TIMEOUT_CODES: Record<Stage, ErrorCode> = { stt: 'STT_TIMEOUT', ai: 'AI_TIMEOUT', device: 'DEVICE_TIMEOUT', tts: 'TTS_TIMEOUT' };

class StageFailure extends Error {
  constructor(
    readonly stage: Stage,
    readonly info: ErrorInfo,
    /** what to say about it (empty: say nothing) */
    readonly reply: string,
  ) {
    super(info.message);
  }
}

/**
 * One voice command as a state machine: stt -> ai -> device command(s) -> tts. Each stage runs under
 * its own budget and either hands its output to the next or ends the session with a coded error.
 * Decisions (see README.md in this folder):
 * - a sentence that was not heard (stt understood:false) or not understood (ai understood:false)
 *   ends with ok:false (STT_NOT_UNDERSTOOD / AI_NOT_UNDERSTOOD), never a guessed device action;
 * - whenever the session ends in stt, ai or device, the user still hears why ("Sorry, ...") if
 *   speech was asked for and tts answers; a failing apology is not reported over the real error;
 * - a tts failure after the device acted ends with ok:false, stage "tts", but keeps the intent
 *   and the reply text: the window can still show what happened.
 */
export async function runVoiceSession(
  input: SessionInput,
  io: SessionIo,
  cfg: VoiceRouterConfig,
  context: SessionContext,
): Promise<SessionOutcome> {
  const t0 = performance.now();
  const elapsed = () => Math.round((performance.now() - t0) * 10) / 10;
  const timings: { stt_ms: number; ai_ms: number; device_ms: number; tts_ms: number; total_ms: number; endpoint_ms?: number } = {
    stt_ms: 0,
    ai_ms: 0,
    device_ms: 0,
    tts_ms: 0,
    total_ms: 0,
  };
  const result: VoiceResult = {
    session_id: input.session_id,
    ok: false,
    transcription: input.text ?? '',
    intent: null,
    response_text: '',
    audio_data: '',
    timings,
  };
  let nextContext = context;
  // any command but the answer drops a pending question: no answer = no
  let pending: PendingConfirm | null = null;
  const now = Date.now();

  /** Run one stage: time it, announce it, and turn any failure into a StageFailure. */
  const stage = async <T>(name: Stage, run: () => Promise<T>, failReply: (info: ErrorInfo) => string): Promise<T> => {
    const s0 = performance.now();
    io.event(name, 'started', elapsed());
    try {
      const out = await run();
      timings[`${name}_ms`] += performance.now() - s0;
      io.event(name, 'finished', elapsed());
      return out;
    } catch (e) {
      timings[`${name}_ms`] += performance.now() - s0;
      io.event(name, 'failed', elapsed());
      if (e instanceof StageFailure) throw e;
      const info = toErrorInfo(e);
      const mapped: ErrorInfo = info.code === 'TIMEOUT' ? { code: TIMEOUT_CODES[name], message: `${name}: ${info.message}` } : info;
      throw new StageFailure(name, mapped, failReply(mapped));
    }
  };

  try {
    // --- stt (skipped for typed commands)
    if (input.stream) {
      const heard = await stage(
        'stt',
        async () => {
          const r = await io.sttStream(cfg.max_stream_ms + cfg.timeouts.stt_ms);
          if (!r.understood || r.transcription.trim() === '') {
            throw new StageFailure(
              'stt',
              { code: 'STT_NOT_UNDERSTOOD', message: 'no command was recognised in the audio' },
              cfg.replies.not_heard,
            );
          }
          return r;
        },
        (info) => streamFailReply(info.code, cfg),
      );
      result.transcription = heard.transcription;
      result.stt = {
        engine: heard.engine,
        confidence: heard.confidence,
        processing_ms: heard.processing_ms,
        ...(heard.endpoint ? { endpoint: heard.endpoint } : {}),
      };
      if (heard.endpoint?.reason === 'silence') timings.endpoint_ms = heard.endpoint.endpoint_ms;
    } else if (input.audio_data !== undefined) {
      const audio = input.audio_data;
      const heard = await stage(
        'stt',
        async () => {
          const prepared = prepareCommandAudio(audio, input.format, cfg.max_audio_ms);
          const r = await io.stt(prepared, cfg.timeouts.stt_ms);
          if (!r.understood || r.transcription.trim() === '') {
            throw new StageFailure(
              'stt',
              { code: 'STT_NOT_UNDERSTOOD', message: 'no command was recognised in the audio' },
              cfg.replies.not_heard,
            );
          }
          return r;
        },
        (info) => (info.code === 'VOICE_BAD_AUDIO' ? '' : cfg.replies.stt_failed),
      );
      result.transcription = heard.transcription;
      // what the recogniser itself reported, beside the router's own stt_ms (which includes the hop)
      result.stt = { engine: heard.engine, confidence: heard.confidence, processing_ms: heard.processing_ms };
    }

    // --- a button's answer skips stt and ai
    let understood: AiReply;
    const text = result.transcription.trim();
    if (input.confirm !== undefined) {
      understood = answerReply(input.confirm);
      result.transcription = input.confirm ? 'yes' : 'no';
    } else
      understood = await stage(
        'ai',
        async () => {
          if (text === '') throw new StageFailure('ai', { code: 'AI_EMPTY_TEXT', message: 'the command text is empty' }, '');
          const r = await io.ai(text, context, cfg.timeouts.ai_ms);
          result.intent = r.understood ? { name: r.intent.name, slots: r.intent.slots } : null;
          if (!r.understood) {
            throw new StageFailure(
              'ai',
              { code: 'AI_NOT_UNDERSTOOD', message: `no command matches "${text.slice(0, 200)}"` },
              r.response_text.trim() || cfg.replies.not_understood,
            );
          }
          return r;
        },
        (info) => (info.code === 'AI_EMPTY_TEXT' ? '' : cfg.replies.ai_failed),
      );

    // --- the answer to a question asked before a risky action; or a new risky action: ask first
    const answer = answerOf(understood.intent.name);
    if (answer !== null) {
      result.intent = { name: understood.intent.name, slots: {} };
      const asked = input.pending && input.pending.expiresAt > now ? input.pending : undefined;
      if (!asked) {
        throw new StageFailure(
          'ai',
          { code: 'VOICE_NOTHING_TO_CONFIRM', message: 'there is no question waiting for an answer' },
          cfg.replies.nothing_to_confirm,
        );
      }
      if (answer === 'no') {
        result.response_text = cfg.replies.not_confirmed;
        if (input.speak)
          result.audio_data = (
            await stage(
              'tts',
              () => io.tts(result.response_text, cfg.timeouts.tts_ms),
              () => '',
            )
          ).audio_data;
        result.ok = true;
        result.stage = 'done';
        io.event('done', 'finished', elapsed());
        return finish();
      }
      understood = asked.understood;
      result.intent = { name: understood.intent.name, slots: understood.intent.slots };
    } else if (needsConfirm(understood.commands, (id) => io.deviceState(id)?.confirm === true)) {
      const question = questionFor(text);
      pending = { question, understood, text, expiresAt: now + cfg.confirm_timeout_ms };
      result.stage = 'confirm';
      result.confirm = { question, expires_in_ms: cfg.confirm_timeout_ms };
      result.response_text = question;
      if (input.speak)
        result.audio_data = (
          await stage(
            'tts',
            () => io.tts(question, cfg.timeouts.tts_ms),
            () => '',
          )
        ).audio_data;
      result.ok = true;
      io.event('done', 'finished', elapsed());
      return finish();
    }
    nextContext = understood.context ?? deriveContext(context, understood);

    // --- device command(s), all within one budget; then fill the reply from what the devices report
    let scope: Record<string, unknown> = {};
    if (understood.commands.length > 0) {
      scope = await stage(
        'device',
        async () => {
          const deadline = performance.now() + cfg.timeouts.device_ms;
          let last: Record<string, unknown> = {};
          const touched: NonNullable<VoiceResult['devices']> = [];
          result.devices = touched;
          for (const cmd of understood.commands) {
            const known = io.deviceState(cmd.device_id);
            touched.push({
              device_id: cmd.device_id,
              name: known?.name ?? cmd.device_id,
              action: cmd.action,
              params: cmd.params,
              before: { ...known?.state },
            });
            const left = Math.round(deadline - performance.now());
            if (left <= 0) throw new AliciaError('TIMEOUT', `device commands did not finish within ${cfg.timeouts.device_ms} ms`);
            const r = await io.device(cmd, left);
            if (!r.ok)
              throw new AliciaError(
                (r.error?.code ?? 'VOICE_STAGE_FAILED') as ErrorCode,
                r.error?.message ?? `${cmd.device_id} refused ${cmd.action}`,
              );
            last = { ...(r.state ?? {}), state: r.state ?? {}, device_id: r.device_id };
          }
          return last;
        },
        () => cfg.replies.device_failed,
      );
    }
    let reply = understood.response_text;
    if (understood.query) {
      // Questions are answered from the retained device state this router keeps (the ai's sentence
      // already holds the value it knew; placeholders, if any, get the router's latest).
      const q = understood.query;
      const known = io.deviceState(q.device_id);
      const value = known?.state[q.field];
      result.query = { device_id: q.device_id, field: q.field, value: value === undefined ? null : (value as never) };
      if (hasPlaceholders(reply)) {
        if (value === undefined) {
          throw new StageFailure(
            'device',
            { code: 'DEVICE_UNKNOWN', message: `no state known for ${q.device_id}.${q.field}` },
            cfg.replies.no_state,
          );
        }
        scope = { ...known?.state, value: spoken(q.field, value), name: known?.name, room: known?.room };
      }
    }
    result.response_text = hasPlaceholders(reply) ? fillReply(reply, scope) : reply;
    reply = result.response_text;

    // --- tts
    if (input.speak && reply.trim() !== '') {
      const spokenReply = await stage(
        'tts',
        () => io.tts(reply, cfg.timeouts.tts_ms),
        () => '',
      );
      result.audio_data = spokenReply.audio_data;
    }
    result.ok = true;
    result.stage = 'done';
    io.event('done', 'finished', elapsed());
  } catch (e) {
    const f = e instanceof StageFailure ? e : new StageFailure('ai', toErrorInfo(e), '');
    result.ok = false;
    result.stage = f.stage;
    result.error = { ...f.info };
    if (f.stage !== 'tts' && f.reply !== '') {
      result.response_text = f.reply;
      if (input.speak) {
        // An apology is best effort: if tts fails too, the session's error stays the real one.
        const s0 = performance.now();
        try {
          result.audio_data = (await io.tts(f.reply, cfg.timeouts.tts_ms)).audio_data;
        } catch {
          result.audio_data = '';
        }
        timings.tts_ms += performance.now() - s0;
      }
    }
    io.event('error', 'failed', elapsed());
  }
  return finish();

  function finish(): SessionOutcome {
    for (const k of ['stt_ms', 'ai_ms', 'device_ms', 'tts_ms'] as const) timings[k] = round1(timings[k]);
    timings.total_ms = round1(performance.now() - t0);
    return { result, context: nextContext, pending };
  }
}

/** What a button's yes/no means, as if the ai had understood the spoken word. */
function answerReply(yes: boolean): AiReply {
  return {
    ok: true,
    understood: true,
    intent: { name: yes ? 'confirm' : 'deny', slots: {} },
    commands: [],
    response_text: '',
    engine: 'button',
  } as unknown as AiReply;
}

/** What to say when a stream ends without a recognition: the user should hear why, in words. */
function streamFailReply(code: string, cfg: VoiceRouterConfig): string {
  switch (code) {
    case 'STT_NO_SPEECH':
      return cfg.replies.no_speech;
    case 'STT_CLIPPED':
      return cfg.replies.clipped;
    case 'STT_TOO_LONG':
      return cfg.replies.too_long;
    default:
      return cfg.replies.stt_failed;
  }
}

/** When the ai gives no context back, remember at least the device and intent for "it" follow-ups. */
function deriveContext(prev: SessionContext, r: AiReply): SessionContext {
  const device = r.commands[0]?.device_id ?? r.query?.device_id;
  return { ...prev, ...(device ? { last_device_id: device } : {}), last_intent: r.intent.name };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
