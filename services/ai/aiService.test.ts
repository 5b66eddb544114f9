import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { defaultHomeDevices } from '../lib/language/testing/defaultHome.js';
import { seal } from '../lib/protocol/envelope.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { OperatorClient } from '../voice-router/testing/operatorClient.js';
import { AiService, sanitizeContext } from './aiService.js';
import { chatCompletionsUrl } from './llmClient.js';

const NOW = new Date(2026, 10, 27, 9, 30);

function offlineAi(config?: unknown): AiService {
  // Never started: understand() is the handler's logic; the registry is fed by hand.
  const svc = new AiService({ config, now: () => NOW, connection: { url: 'mqtt://127.0.0.1:1' } });
  for (const d of defaultHomeDevices()) svc.registry.upsert(d);
  return svc;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AliciaError);
    return (e as AliciaError).code;
  }
  throw new Error('expected a rejection');
}

describe('ai understand()', () => {
  it('recognises a command and returns the updated context; follows up with "it"', async () => {
    const ai = offlineAi();
    const r = await ai.understand({ text: 'Turn on the kitchen light' });
    expect(r).toMatchObject({
      ok: true,
      understood: true,
      engine: 'templates',
      intent: { name: 'turn_on', slots: { device: 'kitchen_light' } },
      commands: [{ device_id: 'kitchen_light', action: 'turn_on', params: {} }],
      context: { last_device_id: 'kitchen_light', last_intent: 'turn_on' },
    });
    const f = await ai.understand({ text: 'make it dimmer', context: r.context });
    expect(f.commands).toEqual([{ device_id: 'kitchen_light', action: 'set_brightness', params: { brightness: 55 } }]);
    expect((await ai.understand({ text: 'what time is it' })).response_text).toBe('It is 9:30 AM.');
  });

  it('empty text is a coded error; an unknown sentence is not understood with a helpful reply', async () => {
    const ai = offlineAi();
    expect(await code(ai.understand({ text: '   ' }))).toBe('AI_EMPTY_TEXT');
    const r = await ai.understand({ text: 'please call my mother' });
    expect(r).toMatchObject({ ok: true, understood: false, commands: [], intent: { name: 'unknown' } });
    expect(r.response_text).toMatch(/did not understand/);
  });

  it('keeps only well-formed context fields from the request', () => {
    expect(sanitizeContext({ last_device_id: 'kitchen_light', last_intent: 5, evil: { a: 1 }, last_room: 'x'.repeat(500) })).toEqual({
      last_device_id: 'kitchen_light',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// LLM fallback against a local OpenAI-compatible server (node:http on 127.0.0.1)

type Mode = 'good' | 'invented_device' | 'bad_params' | 'garbage' | 'slow' | 'http500' | 'fenced';
let llmServer: Server;
let llmUrl: string;
let mode: Mode = 'good';
const seen: Array<{ auth?: string; body: { model: string; messages: Array<{ role: string; content: string }> } }> = [];

function answer(res: ServerResponse, content: string): void {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    }),
  );
}

function handleLlm(req: IncomingMessage, res: ServerResponse): void {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString()));
  req.on('end', () => {
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    seen.push({ auth: req.headers.authorization, body: JSON.parse(raw) as (typeof seen)[number]['body'] });
    switch (mode) {
      case 'good':
        return answer(
          res,
          JSON.stringify({
            understood: true,
            commands: [{ device_id: 'living_room_light', action: 'set_brightness', params: { brightness: '40' } }],
            response_text: 'Dimming the {living} room light.',
          }),
        );
      case 'fenced':
        return answer(
          res,
          '```json\n{"understood": true, "commands": [{"device_id": "front_door", "action": "lock"}], "response_text": "Locked."}\n```',
        );
      case 'invented_device':
        return answer(
          res,
          JSON.stringify({
            understood: true,
            commands: [{ device_id: 'garage_door', action: 'unlock' }],
            response_text: 'Opening the garage.',
          }),
        );
      case 'bad_params':
        return answer(
          res,
          JSON.stringify({
            understood: true,
            commands: [{ device_id: 'thermostat', action: 'set_temperature', params: { target: 90 } }],
            response_text: 'Hot!',
          }),
        );
      case 'garbage':
        res.setHeader('content-type', 'application/json');
        return void res.end('<html>502 bad gateway</html>');
      case 'http500':
        res.statusCode = 500;
        return void res.end('{"error":"model not loaded"}');
      case 'slow':
        setTimeout(() => answer(res, '{"understood": false, "commands": []}'), 5000).unref();
        return;
    }
  });
}

describe('ai LLM fallback (OpenAI-compatible server on 127.0.0.1)', () => {
  beforeAll(async () => {
    llmServer = createServer(handleLlm);
    await new Promise<void>((r) => llmServer.listen(0, '127.0.0.1', r));
    llmUrl = `http://127.0.0.1:${(llmServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    llmServer.closeAllConnections();
    await new Promise((r) => llmServer.close(r));
  });

  const llmAi = (extra: Record<string, unknown> = {}) =>
    offlineAi({
      llm: {
        url: `${llmUrl}/v1`,
        model: 'tiny',
        apiKey: 'sk-test',
        timeoutMs: 1500,
        failureThreshold: 2,
        resetTimeoutMs: 60_000,
        ...extra,
      },
    });

  it('builds the chat/completions URL from a base, /v1 or the full URL', () => {
    expect(chatCompletionsUrl('http://h:8080')).toBe('http://h:8080/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:8080/v1/')).toBe('http://h:8080/v1/chat/completions');
    expect(chatCompletionsUrl('http://h/api/v1/chat/completions')).toBe('http://h/api/v1/chat/completions');
  });

  it('is off by default and never asked for sentences a template matches', async () => {
    seen.length = 0;
    mode = 'good';
    expect((await offlineAi().understand({ text: 'dim the lounge a bit' })).understood).toBe(false);
    expect((await llmAi().understand({ text: 'turn on the kitchen light' })).engine).toBe('templates');
    // a template refusal is an answer too: not overridden by a model
    expect((await llmAi().understand({ text: 'set the bedroom lamp to 50 percent' })).understood).toBe(false);
    expect(seen).toHaveLength(0);
  });

  it('uses a valid model answer, validated and normalised against the known devices', async () => {
    seen.length = 0;
    mode = 'good';
    const r = await llmAi().understand({ text: 'dim the lounge a bit' });
    expect(r).toMatchObject({
      understood: true,
      engine: 'llm',
      intent: { name: 'set_brightness', slots: { device: 'living_room_light', source: 'llm' } },
      commands: [{ device_id: 'living_room_light', action: 'set_brightness', params: { brightness: 40 } }],
      response_text: 'Dimming the living room light.',
      context: { last_device_id: 'living_room_light' },
    });
    expect(seen[0]?.auth).toBe('Bearer sk-test');
    expect(seen[0]?.body.model).toBe('tiny');
    expect(seen[0]?.body.messages[0]?.content).toContain('"device_id":"living_room_light"');
    expect(seen[0]?.body.messages[1]).toEqual({ role: 'user', content: 'dim the lounge a bit' });
    mode = 'fenced';
    expect((await llmAi().understand({ text: 'secure the house' })).commands).toEqual([
      { device_id: 'front_door', action: 'lock', params: {} },
    ]);
  });

  it('discards answers naming unknown devices or out-of-range parameters', async () => {
    for (const m of ['invented_device', 'bad_params'] as const) {
      mode = m;
      const r = await llmAi().understand({ text: 'open sesame' });
      expect(r).toMatchObject({ understood: false, commands: [], engine: 'templates' });
      expect(r).not.toHaveProperty('llm_error');
    }
  });

  it('survives garbage, HTTP errors and a slow server (timeout), then opens the circuit', async () => {
    mode = 'garbage';
    expect((await llmAi().understand({ text: 'open sesame' })).llm_error).toMatchObject({ code: 'AI_LLM_FAILED' });
    mode = 'http500';
    expect((await llmAi().understand({ text: 'open sesame' })).llm_error).toMatchObject({
      code: 'AI_LLM_FAILED',
      message: expect.stringContaining('HTTP 500'),
    });
    mode = 'slow';
    const ai = llmAi();
    // AI_TIMEOUT (not an answer) proves the 1.5 s deadline fired before the server's 5 s reply
    const first = await ai.understand({ text: 'open sesame' });
    expect(first).toMatchObject({ understood: false, llm_error: { code: 'AI_TIMEOUT' } });
    await ai.understand({ text: 'open sesame' });
    expect(ai.llmBreaker.state).toBe('open');
    seen.length = 0;
    const fast = await ai.understand({ text: 'open sesame' });
    expect(fast.llm_error).toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(seen).toHaveLength(0); // the open circuit did not call the server
  });
});

// ---------------------------------------------------------------------------------------------
// Through a real broker: device registry from retained statuses, request/response, errors

describe('ai service on the bus', () => {
  let broker: TestBroker;
  let op: OperatorClient;
  let ai: AiService;

  beforeAll(async () => {
    broker = await startTestBroker();
    op = await OperatorClient.connect(broker.url, broker.credentials.operator);
    await op.subscribe('alicia/ai/response', 'alicia/ai/error');
    // retained device statuses as the device manager publishes them (before the ai starts: retained delivery)
    for (const d of defaultHomeDevices()) {
      const status = seal({ ...d, origin: 'simulated', updated_at: Date.now() }, { source: 'device-manager' });
      await op.client.publishAsync(`alicia/device/status/${d.device_id}`, JSON.stringify(status), { qos: 1, retain: true });
    }
    const c = broker.credentials.ai;
    ai = new AiService({ connection: { url: broker.url, username: c.username, password: c.password }, now: () => NOW });
    await ai.start();
  }, 30_000);
  afterAll(async () => {
    await ai?.stop();
    await op?.close();
    await broker?.stop();
  });

  async function ask(body: Record<string, unknown>, session_id = 's1') {
    const { correlation_id } = await op.send('alicia/ai/request', body, { session_id });
    return op.reply(correlation_id);
  }

  it('answers with intent, commands and context, echoing the session; follows up with the returned context', async () => {
    await expect.poll(() => ai.registry.size, { timeout: 5000 }).toBe(7);
    const r = await ask({ text: 'lock the front door' });
    expect(r.topic).toBe('alicia/ai/response');
    expect(r.msg).toMatchObject({
      ok: true,
      understood: true,
      session_id: 's1',
      commands: [{ device_id: 'front_door', action: 'lock', params: {} }],
    });
    const f = await ask({ text: 'unlock it', context: r.msg.context });
    expect(f.msg.commands).toEqual([{ device_id: 'front_door', action: 'unlock', params: {} }]);
  });

  it('learns a device added later and forgets a removed one', async () => {
    const garage = seal(
      {
        device_id: 'garage_light',
        name: 'garage light',
        kind: 'light',
        room: 'garage',
        aliases: [],
        traits: ['on_off'],
        state: { on: false },
        online: true,
        origin: 'simulated',
        updated_at: Date.now(),
      },
      { source: 'device-manager' },
    );
    await op.client.publishAsync('alicia/device/status/garage_light', JSON.stringify(garage), { qos: 1, retain: true });
    await expect.poll(() => ai.registry.get('garage_light')?.name, { timeout: 5000 }).toBe('garage light');
    expect((await ask({ text: 'turn on the garage light' })).msg.understood).toBe(true);
    await op.client.publishAsync('alicia/device/status/garage_light', '', { qos: 1, retain: true });
    await expect.poll(() => ai.registry.get('garage_light'), { timeout: 5000 }).toBeUndefined();
    expect((await ask({ text: 'turn on the garage light' })).msg.understood).toBe(false);
  });

  it('empty text and invalid requests get coded errors on alicia/ai/error; the service keeps answering', async () => {
    const e = await ask({ text: '' });
    expect(e.topic).toBe('alicia/ai/error');
    expect(e.msg).toMatchObject({ ok: false, error: { code: 'AI_EMPTY_TEXT' } });
    const bad = await ask({ text: 42 });
    expect(bad.msg).toMatchObject({ ok: false, error: { code: 'SCHEMA_INVALID' } });
    expect((await ask({ text: 'what time is it' })).msg.response_text).toBe('It is 9:30 AM.');
  });
});
