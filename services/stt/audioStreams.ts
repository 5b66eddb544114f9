import { newId } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';
import type { ErrorCode } from '../lib/protocol/errors.js';
import type { MessageOf } from '../lib/protocol/topics.js';
import type { Logger } from '../lib/runtime/logger.js';
import { wholeStream } from './wholeStream.js';
import type { GrammarKind, SttEngine } from './sttEngine.js';
import type { StreamConfig } from './sttConfig.js';
import { Utterance } from './utterance.js';
import type { ChunkFormat, UtteranceOutcome, UtteranceResources } from './utterance.js';
import { WebRtcVad } from './webrtcVad.js';

type AudioChunk = MessageOf<'alicia/voice/audio/+'>;

/** What AudioStreams needs from the service. */
export interface AudioStreamsDeps {
  engine: SttEngine;
  config: StreamConfig;
  log: Logger;
  /** the grammar reflects every device seen (an utterance starts on the current grammar) */
  grammarSettled(): Promise<void>;
  /** an utterance ended: tell the client to stop sending (alicia/voice/event type endpoint) */
  onEnd(sessionId: string, traceId: string, reason: 'final' | 'silence'): void;
}

interface Entry {
  utterance: Utterance | null;
  outcome: Promise<UtteranceOutcome>;
  /** the stt request that took this outcome (each is handed out once) */
  claimed: boolean;
  traceId: string;
  settledAt: number | null;
}

/** How long an unclaimed outcome waits for the router's request, and how many are kept. */
const KEEP_MS = 30_000;
const KEEP_MAX = 256;

/**
 * The streamed utterances stt is decoding, by session id: at most one live utterance per session
 * (a new `seq` 0 starts the next one), at most `max_streams` live at once (past that, the
 * utterance ends at once with STT_STREAM_BUSY and nothing is decoded). Each ends with an outcome
 * that the stt request `{stream: <session id>}` takes: the live utterance of that session or the
 * newest one not yet taken. Also the way in for the listen streams' sessions after a wake word
 * (listenSites.ts), which are the same utterances fed from another topic.
 */
export class AudioStreams {
  private readonly sessions = new Map<string, Entry[]>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private live = 0;
  private stopped = false;

  constructor(private readonly deps: AudioStreamsDeps) {}

  get liveCount(): number {
    return this.live;
  }

  /** A chunk of alicia/voice/audio/<session id> (the body already validated by its schema). */
  onChunk(msg: AudioChunk, topicSession: string): void {
    if (msg.session_id !== topicSession) {
      this.deps.log.warn('audio chunk ignored: its session_id differs from its topic', {
        topic_session: topicSession,
        session_id: msg.session_id,
      });
      return;
    }
    const format: ChunkFormat = { rate: msg.rate, channels: msg.channels, width: msg.width };
    const pcm = pcmOf(msg.pcm);
    const current = this.current(msg.session_id);
    if (msg.seq === 0) {
      // the first chunk of an utterance (a follow-up of the same session starts at 0 again)
      current?.abort('STT_STREAM_GAP', 'a new utterance of this session started before this one ended');
      const endpointing = msg.endpointing !== false;
      const grammar = msg.expect === 'answer' ? 'answers' : 'commands';
      this.begin(msg.session_id, msg.trace_id, format, 0, { endpointing, clipCheck: true, grammar })?.push(
        0,
        format,
        pcm,
        msg.final === true,
      );
      return;
    }
    // a chunk after the end (the client stops on the endpoint event, a few may still come): ignored
    current?.push(msg.seq, format, pcm, msg.final === true);
  }

  /**
   * Start an utterance fed by someone else (a listen stream after the wake word): its chunks come
   * through the returned utterance's push(null, ...). Undefined when the limit is reached (the
   * session then ends with STT_STREAM_BUSY for its request).
   */
  beginFed(sessionId: string, traceId: string, format: ChunkFormat): Utterance | undefined {
    return this.begin(sessionId, traceId, format, 0, { endpointing: true, clipCheck: false, grammar: 'commands' });
  }

  /** The outcome for an stt request `{stream}`: waits for the utterance to start, then to end. */
  async outcome(sessionId: string, waitMs: number): Promise<UtteranceOutcome> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const entry = this.sessions.get(sessionId)?.find((e) => !e.claimed);
      if (entry) {
        entry.claimed = true;
        return entry.outcome;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.stopped)
        return { ok: false, error: new AliciaError('STT_STREAM_TIMEOUT', `no audio arrived for session ${sessionId} within ${waitMs} ms`) };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        const list = this.waiters.get(sessionId) ?? [];
        list.push(() => {
          clearTimeout(t);
          resolve();
        });
        this.waiters.set(sessionId, list);
      });
    }
  }

  /** End every live utterance (the service stops); their requests get the code. */
  stop(code: ErrorCode, message: string): void {
    this.stopped = true;
    for (const list of this.sessions.values()) for (const e of list) e.utterance?.abort(code, message);
    for (const list of this.waiters.values()) for (const w of list) w();
    this.waiters.clear();
  }

  private current(sessionId: string): Utterance | undefined {
    const u = this.sessions.get(sessionId)?.at(-1)?.utterance;
    return u?.open ? u : undefined;
  }

  private begin(
    sessionId: string,
    traceId: string,
    format: ChunkFormat,
    firstSeq: number,
    mode: { endpointing: boolean; clipCheck: boolean; grammar: GrammarKind },
  ): Utterance | undefined {
    this.prune();
    let settle!: (o: UtteranceOutcome) => void;
    const entry: Entry = {
      utterance: null,
      outcome: new Promise<UtteranceOutcome>((r) => (settle = r)),
      claimed: false,
      traceId,
      settledAt: null,
    };
    const done = (o: UtteranceOutcome) => {
      entry.settledAt = Date.now();
      entry.utterance = null;
      settle(o);
    };
    const list = this.sessions.get(sessionId) ?? [];
    list.push(entry);
    this.sessions.set(sessionId, list);
    for (const w of this.waiters.get(sessionId) ?? []) w();
    this.waiters.delete(sessionId);
    if (this.stopped || this.live >= this.deps.config.max_streams) {
      const busy = this.stopped
        ? new AliciaError('NOT_CONNECTED', 'stt is stopping')
        : new AliciaError(
            'STT_STREAM_BUSY',
            `${this.live} audio streams are being decoded (limit ${this.deps.config.max_streams}); try again shortly`,
          );
      this.deps.onEnd(sessionId, traceId, 'final');
      done({ ok: false, error: busy });
      return undefined;
    }
    this.live++;
    const cfg = this.deps.config;
    // Resources are taken in order and given back in reverse if a later one fails; chunks queue
    // in the utterance meanwhile.
    const resources = (async (): Promise<UtteranceResources> => {
      let vad: WebRtcVad | undefined;
      try {
        await this.deps.grammarSettled();
        vad = await WebRtcVad.create(cfg.vad_mode);
        const stream =
          cfg.decode === 'stream' && this.deps.engine.openStream
            ? await this.deps.engine.openStream(mode.grammar)
            : wholeStream(this.deps.engine, mode.grammar);
        const v = vad;
        return {
          isSpeech: (f) => v.isSpeech(f),
          frameSamples: v.frameSamples,
          stream,
          release: () => {
            v.close();
            this.live--;
          },
        };
      } catch (e) {
        vad?.close();
        this.live--;
        throw e instanceof AliciaError ? e : new AliciaError('STT_ENGINE_FAILED', `could not start decoding the stream: ${String(e)}`);
      }
    })();
    const u = new Utterance(
      format,
      firstSeq,
      {
        endpointing: mode.endpointing,
        clipCheck: mode.clipCheck,
        timeoutMs: cfg.stream_timeout_ms,
        endpoint: { silenceMs: cfg.endpoint_silence_ms, maxMs: cfg.max_utterance_ms, noSpeechMs: cfg.no_speech_ms, onsetMs: cfg.onset_ms },
      },
      resources,
      {
        // an utterance that failed tells the client to stop too (its request gets the code)
        onEnd: (reason) => this.deps.onEnd(sessionId, traceId, reason === 'silence' ? 'silence' : 'final'),
        onSettled: done,
      },
    );
    entry.utterance = u;
    return u;
  }

  /** Drop outcomes nobody asked for within KEEP_MS, and the oldest past KEEP_MAX. */
  private prune(): void {
    const now = Date.now();
    let kept = 0;
    for (const [sid, list] of this.sessions) {
      const alive = list.filter((e) => e.settledAt === null || (!e.claimed && now - e.settledAt < KEEP_MS));
      if (alive.length === 0) this.sessions.delete(sid);
      else this.sessions.set(sid, alive);
      kept += alive.length;
    }
    if (kept > KEEP_MAX) {
      for (const [sid, list] of this.sessions) {
        if (kept <= KEEP_MAX) break;
        if (list.every((e) => e.settledAt !== null)) {
          kept -= list.length;
          this.sessions.delete(sid);
        }
      }
    }
  }
}

/** base64 little-endian 16-bit PCM -> samples (copied when the bytes are not 2-aligned). */
export function pcmOf(b64: string): Int16Array {
  const bytes = Buffer.from(b64, 'base64');
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : Buffer.from(bytes);
  return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length >> 1);
}

export function newSessionId(prefix: string): string {
  return `${prefix}-${newId()}`;
}
