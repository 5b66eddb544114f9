import { describe, expect, expectTypeOf, it } from 'vitest';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import type { request } from './connection.js';
import { PendingRequests, RefusedError } from './pending.js';

describe('PendingRequests', () => {
  it('resolves on the matching reply topic and correlation id only', async () => {
    const p = new PendingRequests();
    const pr = p.add('c1', ['alicia/device/response'], 5000, 'toggle');
    expect(p.settle('alicia/device/response', { correlation_id: 'other', ok: true })).toBe(false);
    expect(p.settle('alicia/ai/response', { correlation_id: 'c1', ok: true })).toBe(false);
    expect(p.settle('alicia/device/response', { correlation_id: 'c1', ok: true, device_id: 'x' })).toBe(true);
    await expect(pr).resolves.toMatchObject({ device_id: 'x' });
    expect(p.size).toBe(0);
  });
  it('rejects with the remote error code', async () => {
    const p = new PendingRequests();
    const pr = p.add('c2', ['alicia/device/response'], 5000, 'toggle');
    p.settle('alicia/device/response', { correlation_id: 'c2', ok: false, error: { code: 'DEVICE_OFFLINE', message: 'lamp is offline' } });
    await expect(pr).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', message: 'lamp is offline' });
  });
  it('times out with TIMEOUT', async () => {
    const p = new PendingRequests();
    await expect(p.add('c3', ['x'], 20, 'stop stt')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(p.size).toBe(0);
  });
  it('a refusal carries the answer that refused, for services that say more than the error', async () => {
    const p = new PendingRequests();
    const pr = p.add('c4', ['alicia/voice/result'], 5000, 'voice command');
    const reply = { correlation_id: 'c4', ok: false, response_text: 'Sorry', error: { code: 'VOICE_STAGE_FAILED', message: 'stt failed' } };
    p.settle('alicia/voice/result', reply);
    const e: unknown = await pr.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(RefusedError);
    expect(e).toMatchObject({ code: 'VOICE_STAGE_FAILED', topic: 'alicia/voice/result', reply });
  });
  it('an invalid answer rejects with why it is invalid, or with its own error code', async () => {
    const p = new PendingRequests();
    const invalid = new AliciaError('SCHEMA_INVALID', 'invalid alicia/device/response message');
    const bad = p.add('c5', ['alicia/device/response'], 5000, 'toggle');
    expect(p.settleInvalid('alicia/device/response', { correlation_id: 'other' }, invalid)).toBe(false);
    expect(p.settleInvalid('alicia/device/response', null, invalid)).toBe(false);
    expect(p.settleInvalid('alicia/device/response', { correlation_id: 'c5', ok: true }, invalid)).toBe(true);
    await expect(bad).rejects.toBe(invalid);
    const refused = p.add('c6', ['alicia/device/response'], 5000, 'toggle');
    p.settleInvalid('alicia/device/response', { correlation_id: 'c6', ok: false, error: { code: 'DEVICE_OFFLINE' } }, invalid);
    await expect(refused).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', message: 'DEVICE_OFFLINE' });
    expect(p.size).toBe(0);
  });
  it('fails one request whose publish failed', async () => {
    const p = new PendingRequests();
    const pr = p.add('c7', ['alicia/device/response'], 5000, 'toggle');
    p.fail('c7', new AliciaError('NOT_CONNECTED', 'offline'));
    await expect(pr).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    expect(p.size).toBe(0);
  });
  // Type-level, checked by `npm run typecheck`: a request resolves with its reply topic's message.
  it("request() is typed by the request's reply topic", () => {
    type Answer<P extends Parameters<typeof request>[0]> = Awaited<ReturnType<typeof request<P>>>;
    expectTypeOf<Answer<'alicia/voice/command'>>().toEqualTypeOf<MessageOf<'alicia/voice/result'>>();
    expectTypeOf<Answer<'alicia/system/supervisor/request'>>().toEqualTypeOf<MessageOf<'alicia/system/supervisor/response'>>();
    expectTypeOf<Answer<'alicia/system/supervisor/request'>>().not.toEqualTypeOf<MessageOf<'alicia/system/recorder/response'>>();
  });
});
