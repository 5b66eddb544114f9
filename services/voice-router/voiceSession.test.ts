import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeWav, parseWav } from '../lib/audio/wav.js';
import { seal } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';
import type { ErrorCode } from '../lib/protocol/errors.js';
import type { SessionContext } from './contextStore.js';
import { runVoiceSession } from './voiceSession.js';
import type { SessionInput, SessionIo, SessionOutcome } from './voiceSession.js';
import { parseVoiceRouterConfig } from './voiceRouterConfig.js';

/**
 * The session state machine alone, against a scripted SessionIo and Vitest's fake clock (timers and
 * performance.now): a downstream that "takes 40 ms" or "never answers" costs no real time, so budgets,
 * timings and event times are exact. The same stages against the real services: voiceRouter.test.ts.
 */

type SttReply = Awaited<ReturnType<SessionIo['stt']>>;
type AiReply = Awaited<ReturnType<SessionIo['ai']>>;
type DeviceReply = Awaited<ReturnType<SessionIo['device']>>;
type TtsReply = Awaited<ReturnType<SessionIo['tts']>>;
type DeviceCommand = Parameters<SessionIo['device']>[0];
type Known = ReturnType<SessionIo['deviceState']>;

const CFG = parseVoiceRouterConfig({});
const { timeouts, replies } = CFG;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

// ------------------------------------------------------------------ scripted downstreams

/** An answer after `ms` of (fake) time. */
function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** A refusal after `ms` of (fake) time, as the runtime hands a downstream's coded error reply. */
function refusal(ms: number, code: ErrorCode, message = `${code} from downstream`): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new AliciaError(code, message)), ms));
}

/** A downstream that never answers: the runtime's request gives up at the budget it was given. */
function silence(timeoutMs: number): Promise<never> {
  return refusal(timeoutMs, 'TIMEOUT', `no answer within ${timeoutMs} ms`);
}

const heard = (transcription: string, understood = true): SttReply =>
  seal({ ok: true as const, transcription, understood, confidence: 0.9, engine: 'pocketsphinx', processing_ms: 30 }, { source: 'stt' });

const lightOn: DeviceCommand = { device_id: 'kitchen_light', action: 'turn_on', params: {} };

const understood = (over: Partial<AiReply> = {}): AiReply =>
  seal(
    {
      ok: true as const,
      understood: true,
      intent: { name: 'turn_on', slots: { device: 'kitchen_light' } },
      commands: [lightOn],
      response_text: 'Turned on the kitchen light.',
      engine: 'rules',
      ...over,
    },
    { source: 'ai' },
  );

const notUnderstood = (response_text = ''): AiReply =>
  understood({ understood: false, intent: { name: 'unknown', slots: {} }, commands: [], response_text });

const applied = (cmd: DeviceCommand, state: Record<string, unknown> = { on: true }): DeviceReply =>
  seal({ ok: true, device_id: cmd.device_id, action: cmd.action, state }, { source: 'device-manager' });

const refused = (cmd: DeviceCommand, error?: { code: ErrorCode; message: string }): DeviceReply =>
  seal({ ok: false, device_id: cmd.device_id, action: cmd.action, ...(error ? { error } : {}) }, { source: 'device-manager' });

/** The audio of a spoken reply: its text, so a test can tell which sentence was spoken. */
const voiced = (text: string): TtsReply =>
  seal(
    {
      ok: true as const,
      audio_data: Buffer.from(`WAV:${text}`).toString('base64'),
      format: { container: 'wav' as const, sample_rate: 22050, channels: 1, bits: 16 },
      duration_ms: 900,
      processing_ms: 150,
      engine: 'espeak-ng-wasm',
    },
    { source: 'tts' },
  );
const audioOf = (text: string) => Buffer.from(`WAV:${text}`).toString('base64');

/** Stage times of the healthy script below (fake ms). */
const T = { stt: 40, ai: 5, device: 10, tts: 200 };

interface Scripted {
  io: SessionIo;
  events: string[];
  calls: {
    stt: { audio: { audio_data: string; format: object }; timeoutMs: number }[];
    ai: { text: string; context: SessionContext; timeoutMs: number }[];
    device: { cmd: DeviceCommand; timeoutMs: number }[];
    tts: { text: string; timeoutMs: number }[];
  };
}

/**
 * A SessionIo whose downstreams all answer well (stt hears "turn on the kitchen light", the ai
 * switches the kitchen light on, the device applies, tts speaks), unless a test replaces one.
 * Every call and every progress event is recorded, events as "stage:status@elapsed_ms".
 */
function scripted(
  over: Partial<{
    stt: (timeoutMs: number) => Promise<SttReply>;
    ai: (text: string, timeoutMs: number) => Promise<AiReply>;
    device: (cmd: DeviceCommand, timeoutMs: number) => Promise<DeviceReply>;
    tts: (text: string, timeoutMs: number) => Promise<TtsReply>;
    deviceState: (id: string) => Known;
  }> = {},
): Scripted {
  const events: string[] = [];
  const calls: Scripted['calls'] = { stt: [], ai: [], device: [], tts: [] };
  const io: SessionIo = {
    stt: (audio, timeoutMs) => {
      calls.stt.push({ audio, timeoutMs });
      return over.stt ? over.stt(timeoutMs) : after(T.stt, heard('turn on the kitchen light'));
    },
    sttStream: (timeoutMs) => {
      calls.stt.push({ audio: { audio_data: '(stream)', format: {} }, timeoutMs });
      return over.stt ? over.stt(timeoutMs) : after(T.stt, heard('turn on the kitchen light'));
    },
    ai: (text, context, timeoutMs) => {
      calls.ai.push({ text, context, timeoutMs });
      return over.ai ? over.ai(text, timeoutMs) : after(T.ai, understood());
    },
    device: (cmd, timeoutMs) => {
      calls.device.push({ cmd, timeoutMs });
      return over.device ? over.device(cmd, timeoutMs) : after(T.device, applied(cmd));
    },
    tts: (text, timeoutMs) => {
      calls.tts.push({ text, timeoutMs });
      return over.tts ? over.tts(text, timeoutMs) : after(T.tts, voiced(text));
    },
    deviceState: (id) => over.deviceState?.(id),
    event: (stage, status, elapsedMs) => {
      events.push(`${stage}:${status}@${elapsedMs}`);
    },
  };
  return { io, events, calls };
}

/** Run one session to its end on the fake clock. */
async function run(io: SessionIo, input: Partial<SessionInput> = {}, context: SessionContext = {}): Promise<SessionOutcome> {
  const done = runVoiceSession({ session_id: 's1', speak: true, text: 'turn on the kitchen light', ...input }, io, CFG, context);
  await vi.runAllTimersAsync();
  return done;
}

/** A spoken command: 0.5 s of 16-bit WAV at the given rate and channel count. */
function wav(rate = 16_000, channels: 1 | 2 = 1): string {
  return encodeWav(new Int16Array((rate / 2) * channels), rate, channels).toString('base64');
}
const spoken = (audio = wav()): Partial<SessionInput> => ({ text: undefined, audio_data: audio });

// ------------------------------------------------------------------ tests

describe('voice session: a command that works', () => {
  it('a typed command: ai -> device -> tts, each stage timed, events in order, done', async () => {
    const s = scripted();
    const { result } = await run(s.io);
    expect(result).toMatchObject({
      session_id: 's1',
      ok: true,
      stage: 'done',
      transcription: 'turn on the kitchen light',
      intent: { name: 'turn_on', slots: { device: 'kitchen_light' } },
      response_text: 'Turned on the kitchen light.',
      audio_data: audioOf('Turned on the kitchen light.'),
    });
    expect(result.error).toBeUndefined();
    expect(result.timings).toEqual({ stt_ms: 0, ai_ms: T.ai, device_ms: T.device, tts_ms: T.tts, total_ms: T.ai + T.device + T.tts });
    expect(s.calls.stt).toEqual([]);
    expect(s.calls.ai).toEqual([{ text: 'turn on the kitchen light', context: {}, timeoutMs: timeouts.ai_ms }]);
    expect(s.calls.device).toEqual([{ cmd: lightOn, timeoutMs: timeouts.device_ms }]);
    expect(s.calls.tts).toEqual([{ text: 'Turned on the kitchen light.', timeoutMs: timeouts.tts_ms }]);
    expect(s.events).toEqual([
      'ai:started@0',
      `ai:finished@${T.ai}`,
      `device:started@${T.ai}`,
      `device:finished@${T.ai + T.device}`,
      `tts:started@${T.ai + T.device}`,
      `tts:finished@${T.ai + T.device + T.tts}`,
      `done:finished@${T.ai + T.device + T.tts}`,
    ]);
  });

  it('a spoken command: stt hears it within its budget, and the ai is asked what stt heard', async () => {
    const audio = wav();
    const s = scripted({ stt: () => after(T.stt, heard('turn off the kitchen light')) });
    const { result } = await run(s.io, spoken(audio));
    expect(result.ok).toBe(true);
    expect(result.transcription).toBe('turn off the kitchen light');
    expect(result.stt).toEqual({ engine: 'pocketsphinx', confidence: 0.9, processing_ms: 30 });
    expect(result.timings.stt_ms).toBe(T.stt);
    // 16 kHz mono already: handed on untouched
    expect(s.calls.stt).toEqual([{ audio: expect.objectContaining({ audio_data: audio }), timeoutMs: timeouts.stt_ms }]);
    expect(s.calls.ai.map((c) => c.text)).toEqual(['turn off the kitchen light']);
    expect(s.events.slice(0, 3)).toEqual(['stt:started@0', `stt:finished@${T.stt}`, `ai:started@${T.stt}`]);
    expect(s.events.at(-1)).toBe(`done:finished@${T.stt + T.ai + T.device + T.tts}`);
  });

  it('audio from any microphone reaches stt as 16 kHz mono WAV', async () => {
    const s = scripted();
    await run(s.io, spoken(wav(22_050, 2)));
    const sent = s.calls.stt[0]!.audio;
    expect(sent.format).toEqual({ container: 'wav', sample_rate: 16_000, channels: 1, bits: 16 });
    const pcm = parseWav(Buffer.from(sent.audio_data, 'base64'), 'INTERNAL');
    expect([pcm.sampleRate, pcm.channels]).toEqual([16_000, 1]);
  });

  it('several device commands run one after another, each with what is left of the one device budget', async () => {
    const cmds: DeviceCommand[] = [
      lightOn,
      { device_id: 'living_room_light', action: 'turn_on', params: {} },
      { device_id: 'bedroom_lamp', action: 'set_brightness', params: { brightness: 40 } },
    ];
    const s = scripted({
      ai: () => after(T.ai, understood({ commands: cmds, response_text: 'Done: {device_id} is at {brightness} percent.' })),
      device: (cmd) => after(300, applied(cmd, { on: true, brightness: cmd.device_id === 'bedroom_lamp' ? 40 : 100 })),
    });
    const { result } = await run(s.io);
    expect(s.calls.device).toEqual([
      { cmd: cmds[0], timeoutMs: timeouts.device_ms },
      { cmd: cmds[1], timeoutMs: timeouts.device_ms - 300 },
      { cmd: cmds[2], timeoutMs: timeouts.device_ms - 600 },
    ]);
    expect(result.timings.device_ms).toBe(900);
    // the reply is filled from what the last device reported
    expect(result.response_text).toBe('Done: bedroom_lamp is at 40 percent.');
    expect(result.ok).toBe(true);
  });

  it('a question is answered from the device state the router knows, without a device command', async () => {
    const s = scripted({
      ai: () =>
        after(
          T.ai,
          understood({
            intent: { name: 'get_state', slots: { device: 'hallway_sensor', field: 'temperature' } },
            commands: [],
            query: { device_id: 'hallway_sensor', field: 'temperature' },
            response_text: 'The temperature in the {room} is {value} degrees.',
          }),
        ),
      deviceState: (id) =>
        id === 'hallway_sensor' ? { name: 'hallway sensor', room: 'hallway', state: { temperature: 21.4375 } } : undefined,
    });
    const { result } = await run(s.io, { text: 'what is the temperature in the hallway' });
    expect(result.ok).toBe(true);
    expect(result.query).toEqual({ device_id: 'hallway_sensor', field: 'temperature', value: 21.4375 });
    expect(result.response_text).toBe('The temperature in the hallway is 21.4 degrees.');
    expect(s.calls.device).toEqual([]);
    expect(s.events.some((e) => e.startsWith('device:'))).toBe(false);
  });

  it('speak:false: the reply text without audio, tts never asked', async () => {
    const s = scripted();
    const { result } = await run(s.io, { speak: false });
    expect(result).toMatchObject({ ok: true, stage: 'done', response_text: 'Turned on the kitchen light.', audio_data: '' });
    expect(result.timings.tts_ms).toBe(0);
    expect(s.calls.tts).toEqual([]);
    expect(s.events.some((e) => e.startsWith('tts:'))).toBe(false);
  });
});

describe('voice session: each stage has its own budget', () => {
  it.each([
    { stage: 'stt', code: 'STT_TIMEOUT', budget: timeouts.stt_ms, reply: replies.stt_failed },
    { stage: 'ai', code: 'AI_TIMEOUT', budget: timeouts.ai_ms, reply: replies.ai_failed },
    { stage: 'device', code: 'DEVICE_TIMEOUT', budget: timeouts.device_ms, reply: replies.device_failed },
  ] as const)('$stage never answers: $code at its budget, and the apology is spoken', async ({ stage, code, budget, reply }) => {
    const never = (...args: unknown[]) => silence(args.at(-1) as number);
    const s = scripted({ [stage]: never });
    const { result } = await run(s.io, stage === 'stt' ? spoken() : {});
    expect(result).toMatchObject({ ok: false, stage, error: { code }, response_text: reply, audio_data: audioOf(reply) });
    expect(result.error?.message).toMatch(new RegExp(`^${stage}: no answer within ${budget} ms`));
    expect(result.timings[`${stage}_ms`]).toBe(budget);
    expect(s.calls[stage]).toHaveLength(1);
    expect(s.calls[stage][0]!.timeoutMs).toBe(budget);
    expect(s.calls.tts.map((c) => c.text)).toEqual([reply]);
    // the apology's speech counts as tts time but is not a stage of its own
    expect(result.timings.tts_ms).toBe(T.tts);
    expect(s.events.filter((e) => e.startsWith(`${stage}:`) || e.startsWith('error:'))).toEqual([
      expect.stringMatching(new RegExp(`^${stage}:started@`)),
      expect.stringMatching(new RegExp(`^${stage}:failed@`)),
      expect.stringMatching(/^error:failed@/),
    ]);
  });

  it('tts never answers: TTS_TIMEOUT at its budget, the device acted and the reply text is kept', async () => {
    const s = scripted({ tts: (_text, ms) => silence(ms) });
    const { result } = await run(s.io);
    expect(result).toMatchObject({
      ok: false,
      stage: 'tts',
      error: { code: 'TTS_TIMEOUT' },
      intent: { name: 'turn_on' },
      response_text: 'Turned on the kitchen light.',
      audio_data: '',
    });
    expect(result.timings.tts_ms).toBe(timeouts.tts_ms);
    expect(s.calls.device).toHaveLength(1);
    // no second try at speaking
    expect(s.calls.tts).toHaveLength(1);
  });

  it('the device budget covers every command of the sentence: once it is spent, the next is never sent', async () => {
    const second: DeviceCommand = { device_id: 'living_room_light', action: 'turn_on', params: {} };
    const s = scripted({
      ai: () => after(T.ai, understood({ commands: [lightOn, second] })),
      // the first device answers exactly at the end of the budget
      device: (cmd, ms) => after(ms, applied(cmd)),
    });
    const { result } = await run(s.io);
    expect(result).toMatchObject({ ok: false, stage: 'device', error: { code: 'DEVICE_TIMEOUT' }, response_text: replies.device_failed });
    expect(result.error?.message).toContain(`within ${timeouts.device_ms} ms`);
    expect(s.calls.device.map((c) => c.cmd.device_id)).toEqual(['kitchen_light']);
    expect(result.timings.device_ms).toBe(timeouts.device_ms);
  });
});

describe('voice session: a downstream failure ends it with a code and says why', () => {
  const fail = (code: ErrorCode) => () => refusal(3, code);
  it.each([
    {
      what: 'stt has no engine',
      over: { stt: fail('STT_ENGINE_MISSING') },
      audio: true,
      stage: 'stt',
      code: 'STT_ENGINE_MISSING',
      reply: replies.stt_failed,
    },
    {
      what: "stt's circuit is open",
      over: { stt: fail('CIRCUIT_OPEN') },
      audio: true,
      stage: 'stt',
      code: 'CIRCUIT_OPEN',
      reply: replies.stt_failed,
    },
    {
      what: 'stt heard nothing it knows',
      over: { stt: () => after(T.stt, heard('', false)) },
      audio: true,
      stage: 'stt',
      code: 'STT_NOT_UNDERSTOOD',
      reply: replies.not_heard,
    },
    {
      what: 'stt "understood" only blanks',
      over: { stt: () => after(T.stt, heard('   ', true)) },
      audio: true,
      stage: 'stt',
      code: 'STT_NOT_UNDERSTOOD',
      reply: replies.not_heard,
    },
    {
      what: "the ai's language model failed",
      over: { ai: fail('AI_LLM_FAILED') },
      stage: 'ai',
      code: 'AI_LLM_FAILED',
      reply: replies.ai_failed,
    },
    {
      what: 'the ai threw something uncoded',
      over: { ai: () => Promise.reject(new Error('boom')) },
      stage: 'ai',
      code: 'INTERNAL',
      reply: replies.ai_failed,
    },
    {
      what: 'the ai did not understand and gave no sentence',
      over: { ai: () => after(T.ai, notUnderstood()) },
      stage: 'ai',
      code: 'AI_NOT_UNDERSTOOD',
      reply: replies.not_understood,
    },
    {
      what: 'the ai did not understand and said why',
      over: { ai: () => after(T.ai, notUnderstood('The front door cannot be turned on.')) },
      stage: 'ai',
      code: 'AI_NOT_UNDERSTOOD',
      reply: 'The front door cannot be turned on.',
    },
    {
      what: 'the device refused with a code',
      over: {
        device: (cmd: DeviceCommand) => after(T.device, refused(cmd, { code: 'DEVICE_OFFLINE', message: 'kitchen_light is offline' })),
      },
      stage: 'device',
      code: 'DEVICE_OFFLINE',
      reply: replies.device_failed,
    },
    {
      what: 'the device refused without a code',
      over: { device: (cmd: DeviceCommand) => after(T.device, refused(cmd)) },
      stage: 'device',
      code: 'VOICE_STAGE_FAILED',
      reply: replies.device_failed,
    },
    {
      what: 'the device is unknown',
      over: { device: fail('DEVICE_UNKNOWN') },
      stage: 'device',
      code: 'DEVICE_UNKNOWN',
      reply: replies.device_failed,
    },
    {
      what: 'a question about a device whose state is unknown',
      over: {
        ai: () =>
          after(
            T.ai,
            understood({
              commands: [],
              query: { device_id: 'attic_sensor', field: 'temperature' },
              response_text: 'It is {value} degrees.',
            }),
          ),
      },
      stage: 'device',
      code: 'DEVICE_UNKNOWN',
      reply: replies.no_state,
    },
  ] as const)('$what: $code in stage $stage, apology "$reply"', async ({ over, stage, code, reply, ...rest }) => {
    const s = scripted(over);
    const { result } = await run(s.io, 'audio' in rest ? spoken() : {});
    expect(result).toMatchObject({ ok: false, stage, error: { code }, response_text: reply, audio_data: audioOf(reply) });
    expect(s.calls.tts.map((c) => c.text)).toEqual([reply]);
    expect(s.events.at(-1)).toMatch(/^error:failed@/);
  });

  it('a device that refuses without a code is named in the message', async () => {
    const s = scripted({ device: (cmd) => after(T.device, refused(cmd)) });
    const { result } = await run(s.io);
    expect(result.error).toEqual({ code: 'VOICE_STAGE_FAILED', message: 'kitchen_light refused turn_on' });
  });

  it('a not understood sentence keeps no intent and commands nothing', async () => {
    const s = scripted({ ai: () => after(T.ai, notUnderstood()) });
    const { result } = await run(s.io, { text: 'make me a cup of tea' });
    expect(result.intent).toBeNull();
    expect(result.error?.message).toBe('no command matches "make me a cup of tea"');
    expect(s.calls.device).toEqual([]);
  });

  it('a failed device keeps the intent the ai understood', async () => {
    const s = scripted({ device: fail('DEVICE_OFFLINE') });
    const { result } = await run(s.io);
    expect(result.intent).toEqual({ name: 'turn_on', slots: { device: 'kitchen_light' } });
  });

  it('audio that is not a WAV: VOICE_BAD_AUDIO, stt never asked, nothing said', async () => {
    const s = scripted();
    const { result } = await run(s.io, spoken(Buffer.from('this is not a wav file').toString('base64')));
    expect(result).toMatchObject({ ok: false, stage: 'stt', error: { code: 'VOICE_BAD_AUDIO' }, response_text: '', audio_data: '' });
    expect(s.calls.stt).toEqual([]);
    expect(s.calls.tts).toEqual([]);
    expect(s.events).toEqual(['stt:started@0', 'stt:failed@0', 'error:failed@0']);
  });

  it('empty text: AI_EMPTY_TEXT, the ai never asked, nothing said', async () => {
    const s = scripted();
    const { result } = await run(s.io, { text: '  ' });
    expect(result).toMatchObject({ ok: false, stage: 'ai', error: { code: 'AI_EMPTY_TEXT' }, response_text: '', audio_data: '' });
    expect(s.calls.ai).toEqual([]);
    expect(s.calls.tts).toEqual([]);
  });

  it('tts refusing after the device acted: its code, stage tts, the reply text kept, no apology attempted', async () => {
    const s = scripted({ tts: fail('TTS_ENGINE_FAILED') });
    const { result } = await run(s.io);
    expect(result).toMatchObject({
      ok: false,
      stage: 'tts',
      error: { code: 'TTS_ENGINE_FAILED' },
      intent: { name: 'turn_on' },
      response_text: 'Turned on the kitchen light.',
      audio_data: '',
    });
    expect(s.calls.device).toHaveLength(1);
    expect(s.calls.tts).toHaveLength(1);
  });
});

describe('voice session: the apology', () => {
  it('is text only when speech was not asked for', async () => {
    const s = scripted({ ai: () => silence(timeouts.ai_ms) });
    const { result } = await run(s.io, { speak: false });
    expect(result).toMatchObject({ error: { code: 'AI_TIMEOUT' }, response_text: replies.ai_failed, audio_data: '' });
    expect(s.calls.tts).toEqual([]);
  });

  it('failing to be spoken leaves the real error in place', async () => {
    const s = scripted({ device: () => refusal(T.device, 'DEVICE_OFFLINE'), tts: () => refusal(50, 'TTS_ENGINE_FAILED') });
    const { result } = await run(s.io);
    expect(result).toMatchObject({
      ok: false,
      stage: 'device',
      error: { code: 'DEVICE_OFFLINE' },
      response_text: replies.device_failed,
      audio_data: '',
    });
    expect(result.timings.tts_ms).toBe(50);
  });

  it('gets the tts budget: when it is never spoken the session ends with the real error once the budget is spent', async () => {
    const s = scripted({ ai: () => refusal(T.ai, 'AI_LLM_FAILED'), tts: (_text, ms) => silence(ms) });
    const { result } = await run(s.io);
    expect(result).toMatchObject({ error: { code: 'AI_LLM_FAILED' }, audio_data: '' });
    expect(s.calls.tts).toEqual([{ text: replies.ai_failed, timeoutMs: timeouts.tts_ms }]);
    expect(result.timings.total_ms).toBe(T.ai + timeouts.tts_ms);
  });
});

describe('voice session: conversation context', () => {
  const before: SessionContext = { last_device_id: 'bedroom_lamp', last_intent: 'turn_on', last_room: 'bedroom' };

  it('the ai is given the session context, and its own context replaces it when it understood', async () => {
    const theirs = { last_device_id: 'kitchen_light', last_intent: 'turn_on', last_room: 'kitchen' };
    const s = scripted({ ai: () => after(T.ai, understood({ context: theirs })) });
    const { context } = await run(s.io, {}, before);
    expect(s.calls.ai[0]!.context).toEqual(before);
    expect(context).toEqual(theirs);
  });

  it('without one from the ai, the device and intent are remembered for "it" follow-ups', async () => {
    const s = scripted({
      ai: () => after(T.ai, understood({ intent: { name: 'turn_off', slots: {} }, commands: [{ ...lightOn, action: 'turn_off' }] })),
    });
    const { context } = await run(s.io, {}, before);
    expect(context).toEqual({ ...before, last_device_id: 'kitchen_light', last_intent: 'turn_off' });
  });

  it('a question remembers the device it asked about', async () => {
    const s = scripted({
      ai: () =>
        after(
          T.ai,
          understood({
            intent: { name: 'get_state', slots: {} },
            commands: [],
            query: { device_id: 'front_door', field: 'locked' },
            response_text: 'The front door is locked.',
          }),
        ),
    });
    const { context } = await run(s.io, {}, before);
    expect(context).toEqual({ ...before, last_device_id: 'front_door', last_intent: 'get_state' });
  });

  it('a failed device command still counts as understood: the follow-up can say "it"', async () => {
    const s = scripted({ device: () => refusal(T.device, 'DEVICE_OFFLINE') });
    const { result, context } = await run(s.io, {}, before);
    expect(result.ok).toBe(false);
    expect(context).toEqual({ ...before, last_device_id: 'kitchen_light', last_intent: 'turn_on' });
  });

  it.each([
    ['stt hears nothing', { stt: () => after(T.stt, heard('', false)) }, true],
    ['the ai does not understand', { ai: () => after(T.ai, notUnderstood('Sorry?')) }, false],
    ['the ai never answers', { ai: (_t: string, ms: number) => silence(ms) }, false],
  ] as const)('unchanged when %s', async (_what, over, audio) => {
    const s = scripted(over);
    const { result, context } = await run(s.io, audio ? spoken() : {}, before);
    expect(result.ok).toBe(false);
    expect(context).toEqual(before);
  });
});
