import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_PARTS, SHARED_WINDOW } from '../../../services/lib/protocol/services.js';
import { Credentials } from './credentials.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

/**
 * The principals that exist for the user's own broker only (docs/security.md, "On your own broker"):
 * beside the embedded broker the host's parts are in-process and every window has its own session
 * credential, so their stored passwords are refused here (CONNACK 5) rather than give a window
 * credential that never expires or a second `host`.
 */
let tb: TestBroker;
let creds: Credentials;
beforeAll(async () => {
  tb = await startTestBroker();
  creds = await Credentials.loadOrCreate(tb.dataDir);
});
afterAll(async () => {
  await tb?.stop();
});

describe('external-only principals on the embedded broker', () => {
  it('refuses window-shared and the host parts with "not authorized", and says why in its log', async () => {
    for (const p of [SHARED_WINDOW, ...HOST_PARTS] as const) {
      await expect(mqtt.connectAsync(tb.url, { ...creds.get(p), protocolVersion: 4, reconnectPeriod: 0 }), p).rejects.toThrow(
        /Not authorized/i,
      );
    }
    const refused = tb.logs.filter((l) => l.msg === 'connection refused').map((l) => l.fields?.username);
    expect(refused).toEqual(expect.arrayContaining([SHARED_WINDOW, ...HOST_PARTS]));
    // the operator's stored password, for comparison, is taken
    const op = await mqtt.connectAsync(tb.url, { ...creds.get('operator'), protocolVersion: 4, reconnectPeriod: 0 });
    await op.endAsync();
  });
});
