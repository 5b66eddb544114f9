import { BusService } from '../lib/runtime/busService.js';
import type { ConnectionOptions } from '../lib/runtime/busService.js';
import type { BreakerOptions } from '../lib/runtime/circuitBreaker.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { ErrorInfo } from '../lib/protocol/errors.js';
import { lastSegment } from '../lib/protocol/topics.js';
import type { BodyOf, MessageOf } from '../lib/protocol/topics.js';
import { ContextStore } from './contextStore.js';
import { DeviceStateCache } from './deviceStateCache.js';
import { runVoiceSession } from './voiceSession.js';
import type { PendingConfirm } from './confirmation.js';
import type { SessionInput, SessionIo, Stage, VoiceResult } from './voiceSession.js';
import { parseVoiceRouterConfig } from './voiceRouterConfig.js';
import type { VoiceRouterConfig } from './voiceRouterConfig.js';

export interface VoiceRouterOptions {
  connection?: ConnectionOptions;
  /** the voice-router config section (defaults for anything missing) */
  config?: unknown;
  heartbeatMs?: number;
  /** breaker options of the downstream requests (tests shorten the reset time) */
  breaker?: BreakerOptions;
}

/** Decoding failures of a command: the client sent something that is not a voice command. */
const BAD_REQUEST_CAUSES = new Set(['BAD_JSON', 'BAD_ENVELOPE', 'SCHEMA_INVALID', 'UNSUPPORTED_VERSION', 'PAYLOAD_TOO_LARGE']);
/** sites whose latest wake is remembered, to run a session announced by several stt instances once */
const RECENT_WAKE_SITES = 256;
/**
 * A second wake of one site this soon after the first is another stt instance's announcement of the same
 * wake heard a chunk later: one person cannot say the phrase, a command and the phrase again in it.
 */
const SAME_WAKE_MS = 1000;

/**
 * The voice router: `alicia/voice/command` -> stt -> ai -> device command(s) -> tts ->
 * `alicia/voice/result`, one state machine per command (voiceSession.ts), one trace id per command
 * carried on every hop, the session id on every message. Commands of one session run in order (a
 * follow-up sees the context of the command before it); different sessions run concurrently and
 * never share anything but the device state cache.
 */
export class VoiceRouter extends BusService {
  readonly config: VoiceRouterConfig;
  private readonly contexts: ContextStore;
  private readonly devices = new DeviceStateCache();
  /** the tail of each session's command chain */
  private readonly chains = new Map<string, Promise<void>>();
  /** questions waiting for yes/no, by session; each expires (= no) on its timer */
  private readonly pending = new Map<string, { confirm: PendingConfirm; timer: NodeJS.Timeout; trace_id: string }>();
  private active = 0;
  /** each site's latest wake that started a session, and when; the least recently woken first */
  private readonly siteWakes = new Map<string, { session_id: string; at: number }>();

  constructor(options: VoiceRouterOptions = {}) {
    super({
      name: 'voice-router',
      version: '1.0.0',
      capabilities: ['voice.pipeline', 'voice.context'],
      connection: options.connection,
      heartbeatMs: options.heartbeatMs,
      breaker: options.breaker,
    });
    this.config = parseVoiceRouterConfig(options.config);
    this.contexts = new ContextStore(this.config.context_ttl_ms, this.config.max_sessions);
  }

  /** Commands in progress right now (all sessions). */
  get activeCommands(): number {
    return this.active;
  }

  /** The device state this router knows (for tests and diagnostics). */
  knownDevice(deviceId: string) {
    return this.devices.get(deviceId);
  }

  protected override async onStart(): Promise<void> {
    await this.subscribe('alicia/device/status/+', (msg) => this.devices.update(msg), {
      onClear: (topic) => this.devices.remove(lastSegment(topic)),
    });
    await this.handle('alicia/voice/command', (msg) => this.command(msg), { errorBody: (info, raw) => this.errorResult(info, raw) });
    // A streamed command starts with its first chunk; stt decodes the chunks, the router only asks
    // for the outcome. After a wake word, stt announces the session that follows.
    await this.subscribe(
      'alicia/voice/audio/+',
      (msg, topic) => {
        if (msg.seq === 0 && msg.session_id === lastSegment(topic))
          this.streamed(msg.session_id, msg.trace_id, msg.correlation_id ?? msg.id);
      },
      { qos: 1 },
    );
    await this.subscribe('alicia/voice/event', (msg) => {
      if (msg.type === 'wake' && this.firstWake(msg)) this.streamed(msg.session_id, msg.trace_id, msg.id);
    });
  }

  /**
   * Every stt instance hears the listen stream, and those that hear the wake phrase in the same chunk
   * announce the same session id (listenSites.ts): the first announcement starts it, the others are the
   * same session. One that heard it a chunk later announces another id within SAME_WAKE_MS: running
   * that one too could carry the command out twice, so it is dropped (its stt instance ends the
   * utterance unasked). A bounded record: a site's latest wake only.
   */
  private firstWake(wake: { session_id: string; site_id: string }): boolean {
    const now = Date.now();
    const last = this.siteWakes.get(wake.site_id);
    if (last?.session_id === wake.session_id) return false;
    if (last !== undefined && now - last.at < SAME_WAKE_MS) {
      this.log.info('wake ignored: this site woke moments ago (another stt instance heard it too)', {
        site_id: wake.site_id,
        session_id: wake.session_id,
      });
      return false;
    }
    this.siteWakes.delete(wake.site_id);
    this.siteWakes.set(wake.site_id, { session_id: wake.session_id, at: now });
    if (this.siteWakes.size > RECENT_WAKE_SITES) this.siteWakes.delete(this.siteWakes.keys().next().value as string);
    return true;
  }

  protected override onStop(): void {
    this.chains.clear();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /**
   * A streamed command: the same session run as alicia/voice/command, its result published on
   * alicia/voice/result with the first chunk's correlation id (or the wake event's id), since no
   * request came to answer.
   */
  private streamed(session_id: string, trace_id: string, correlation_id: string): void {
    const ids = { trace_id, session_id, correlation_id };
    const run = async (): Promise<VoiceResult> => {
      if (this.active >= this.config.max_active) {
        return this.errorResult(
          { code: 'VOICE_BUSY', message: `${this.active} commands are in progress (limit ${this.config.max_active}); try again shortly` },
          { session_id },
        ) as VoiceResult;
      }
      this.active++;
      try {
        return await this.inSession(session_id, () => this.runSession({ session_id, trace_id, stream: true }));
      } finally {
        this.active--;
      }
    };
    run()
      .then((result) => this.publish('alicia/voice/result', result, ids))
      .catch((e: unknown) => this.log.error('streamed voice session not answered', { session_id, ...toErrorInfo(e) }));
  }

  private async command(msg: MessageOf<'alicia/voice/command'>): Promise<BodyOf<'alicia/voice/result'>> {
    if (this.active >= this.config.max_active) {
      throw new AliciaError('VOICE_BUSY', `${this.active} commands are in progress (limit ${this.config.max_active}); try again shortly`);
    }
    this.active++;
    try {
      const input = {
        session_id: msg.session_id,
        trace_id: msg.trace_id,
        ...(msg.speak !== undefined ? { speak: msg.speak } : {}),
        ...(msg.audio_data !== undefined ? { audio_data: msg.audio_data } : {}),
        ...(msg.format !== undefined ? { format: msg.format } : {}),
        ...(msg.text !== undefined ? { text: msg.text } : {}),
        ...(msg.confirm !== undefined ? { confirm: msg.confirm } : {}),
      };
      return await this.inSession(msg.session_id, () => this.runSession(input));
    } finally {
      this.active--;
    }
  }

  private async runSession(
    msg: { session_id: string; trace_id: string; speak?: boolean; stream?: boolean; confirm?: boolean } & Pick<
      SessionInput,
      'audio_data' | 'format' | 'text'
    >,
  ): Promise<VoiceResult> {
    const { session_id, trace_id } = msg;
    const hop = { trace_id, session_id };
    const io: SessionIo = {
      stt: (audio, timeoutMs) =>
        this.request('alicia/voice/stt/request', audio as BodyOf<'alicia/voice/stt/request'>, { ...hop, timeoutMs }),
      sttStream: (timeoutMs) => this.request('alicia/voice/stt/request', { stream: session_id }, { ...hop, timeoutMs }),
      ai: (text, context, timeoutMs) => this.request('alicia/ai/request', { text, context }, { ...hop, timeoutMs }),
      device: (cmd, timeoutMs) =>
        this.request('alicia/device/command', { device_id: cmd.device_id, action: cmd.action, params: cmd.params }, { ...hop, timeoutMs }),
      tts: (text, timeoutMs) => this.request('alicia/voice/tts/request', { text }, { ...hop, timeoutMs }),
      deviceState: (id) => this.devices.get(id),
      event: (stage: Stage | 'done' | 'error', status, elapsed_ms) => {
        this.publish('alicia/voice/event', { session_id, stage, status, elapsed_ms }, hop).catch((e: unknown) =>
          // progress events are for live traces only; losing one must not end the session
          this.log.warn('voice event not sent', { session_id, ...toErrorInfo(e) }),
        );
      },
    };
    const asked = this.pending.get(session_id);
    const input: SessionInput = {
      session_id,
      speak: msg.speak ?? this.config.speak_default,
      ...(msg.audio_data !== undefined ? { audio_data: msg.audio_data } : {}),
      ...(msg.format !== undefined ? { format: msg.format } : {}),
      ...(msg.text !== undefined ? { text: msg.text } : {}),
      ...(msg.stream ? { stream: true } : {}),
      ...(msg.confirm !== undefined ? { confirm: msg.confirm } : {}),
      ...(asked ? { pending: asked.confirm } : {}),
    };
    const { result, context, pending } = await runVoiceSession(input, io, this.config, this.contexts.get(session_id));
    this.contexts.set(session_id, context);
    this.setPending(session_id, pending, trace_id);
    if (!result.ok) this.log.info('voice session failed', { session_id, trace_id, stage: result.stage, code: result.error?.code });
    return result;
  }

  /**
   * Keep the question a session now waits on (or none). No answer within confirm_timeout_ms is a
   * no: the session gets a result saying so (VOICE_NOT_CONFIRMED) and nothing is done.
   */
  private setPending(session_id: string, confirm: PendingConfirm | null, trace_id: string): void {
    const old = this.pending.get(session_id);
    if (old) clearTimeout(old.timer);
    this.pending.delete(session_id);
    if (!confirm) return;
    const timer = setTimeout(
      () => {
        if (this.pending.get(session_id)?.confirm !== confirm) return;
        this.pending.delete(session_id);
        const result: VoiceResult = {
          session_id,
          ok: false,
          transcription: confirm.text,
          intent: { name: confirm.understood.intent.name, slots: confirm.understood.intent.slots },
          response_text: this.config.replies.confirm_expired,
          audio_data: '',
          timings: { stt_ms: 0, ai_ms: 0, device_ms: 0, tts_ms: 0, total_ms: 0 },
          stage: 'confirm',
          error: {
            code: 'VOICE_NOT_CONFIRMED',
            message: `no yes within ${this.config.confirm_timeout_ms} ms: "${confirm.question}" was not done`,
          },
        };
        this.publish('alicia/voice/result', result, { trace_id, session_id }).catch((e: unknown) =>
          this.log.warn('unanswered question not reported', { session_id, ...toErrorInfo(e) }),
        );
      },
      Math.max(0, confirm.expiresAt - Date.now()),
    );
    timer.unref?.();
    this.pending.set(session_id, { confirm, timer, trace_id });
  }

  /** Run commands of one session one after another (so "turn it off" sees "turn on the kitchen light"). */
  private inSession<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(sessionId) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(sessionId, tail);
    void tail.then(() => {
      if (this.chains.get(sessionId) === tail) this.chains.delete(sessionId);
    });
    return run;
  }

  /**
   * Even a command that cannot be read gets a full voice result, with its session id when that
   * much can be read, so the window can show the failure in the right session.
   */
  private errorResult(info: ErrorInfo, raw: Record<string, unknown> | null): Record<string, unknown> {
    const sid = raw?.session_id;
    const error: ErrorInfo = BAD_REQUEST_CAUSES.has(info.code)
      ? {
          code: 'VOICE_BAD_REQUEST',
          message: info.message,
          details: { cause: info.code, ...(info.details === undefined ? {} : { issues: info.details }) },
        }
      : info;
    const result: VoiceResult = {
      // seal() lifts session_id into the envelope, where it must be 1..128 chars: an empty one made
      // the error result itself invalid (found by e2e/system/reliability/fuzz.test.ts)
      session_id: typeof sid === 'string' && sid.length > 0 ? sid.slice(0, 128) : 'unknown',
      ok: false,
      transcription: '',
      intent: null,
      response_text: '',
      audio_data: '',
      timings: { stt_ms: 0, ai_ms: 0, device_ms: 0, tts_ms: 0, total_ms: 0 },
      stage: 'request',
      error: { ...error },
    };
    return result;
  }
}
