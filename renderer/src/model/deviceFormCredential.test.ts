import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDeviceName } from '../../../services/lib/protocol/services.js';
import { brokerAddress, credentialNameProblem, dataDirOf, mosquittoPubExample, shellQuote } from './deviceFormCredential.js';

describe('device credential form', () => {
  it('accepts exactly the names the host accepts (services/lib/protocol isDeviceName)', () => {
    for (const name of ['lamp1', 'porch_sensor', 'z2m-bridge', 'a'.repeat(40)]) {
      expect(credentialNameProblem(name), name).toBeNull();
      expect(isDeviceName(name)).toBe(true);
    }
    for (const name of ['', 'Lamp', 'lamp 1', 'lamp/1', '+', 'a'.repeat(41), 'alicia', 'homeassistant']) {
      expect(credentialNameProblem(name), name).not.toBeNull();
      expect(isDeviceName(name.trim())).toBe(false);
    }
  });

  it('explains each refusal', () => {
    expect(credentialNameProblem('  ')).toMatch(/Give the device a name/);
    expect(credentialNameProblem('Porch')).toMatch(/lower-case letters, digits, _ and -/);
    expect(credentialNameProblem('a'.repeat(41))).toMatch(/At most 40/);
    expect(credentialNameProblem('alicia')).toMatch(/reserved/);
  });

  it('finds the data dir from the password file the host named', () => {
    expect(dataDirOf('/home/u/.alicia/device-credentials/lamp1.txt')).toBe('/home/u/.alicia');
    expect(dataDirOf('C:\\Users\\u\\AppData\\alicia\\device-credentials\\lamp1.txt')).toBe('C:\\Users\\u\\AppData\\alicia');
  });

  it('prefers the LAN listener for the example, else the MQTT listener the host announced', () => {
    expect(brokerAddress('mqtts://192.168.1.20:8883', 'mqtt://127.0.0.1:1883', 'ws://127.0.0.1:9001')).toEqual({
      host: '192.168.1.20',
      port: '8883',
      tls: true,
      source: 'lan',
    });
    // `--mqtt-port 0`: whatever port the host got, never a guessed 1883
    expect(brokerAddress(null, 'mqtt://127.0.0.1:40731', 'ws://127.0.0.1:40123/mqtt')).toEqual({
      host: '127.0.0.1',
      port: '40731',
      tls: false,
      source: 'host',
    });
    expect(brokerAddress(null, 'mqtt://[::1]:1884', 'ws://[::1]:9001/mqtt')).toEqual({
      host: '::1',
      port: '1884',
      tls: false,
      source: 'host',
    });
    // a listener on every interface is reached the way the window reached the host
    expect(brokerAddress(null, 'mqtt://0.0.0.0:1999', 'ws://10.0.0.5:9001/mqtt')).toMatchObject({ host: '10.0.0.5', port: '1999' });
    expect(brokerAddress(null, 'mqtt://[::]:1999', '')).toMatchObject({ host: '127.0.0.1', port: '1999' });
  });

  it('falls back to the host the window reached and port 1883 with a host that does not announce its listener', () => {
    expect(brokerAddress(null, null, 'ws://127.0.0.1:40123/')).toEqual({ host: '127.0.0.1', port: '1883', tls: false, source: 'guess' });
    expect(brokerAddress(null, 'not a url', 'ws://localhost:9001/mqtt')).toEqual({
      host: 'localhost',
      port: '1883',
      tls: false,
      source: 'guess',
    });
    expect(brokerAddress(null, null, '')).toEqual({ host: '127.0.0.1', port: '1883', tls: false, source: 'guess' });
  });

  it("builds a mosquitto_pub line that reads the password from the host's file, quotes and all", () => {
    // The file as the host writes it (electron/host/broker/credentialRotation.ts), in a path that needs quoting.
    const dir = join(mkdtempSync(join(tmpdir(), 'cred-')), "it's here", 'device-credentials');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'lamp1.txt');
    writeFileSync(file, '# MQTT credential of external device "lamp1"\nusername=device:lamp1\npassword=Zx_9-abc\n');
    try {
      const line = mosquittoPubExample({ name: 'lamp1', host: '127.0.0.1', port: '1883', passwordFile: file, caFile: '/tmp/lan-cert.pem' });
      expect(line.startsWith('mosquitto_pub -h 127.0.0.1 -p 1883 --cafile /tmp/lan-cert.pem -u device:lamp1 -P ')).toBe(true);
      // A real shell and a real sed; only mosquitto_pub is replaced, by a function printing its arguments one a line.
      const args = execFileSync('sh', ['-c', `mosquitto_pub() { printf '%s\\n' "$@"; }; ${line}`], { encoding: 'utf8' })
        .trimEnd()
        .split('\n');
      expect(args).toEqual([
        '-h',
        '127.0.0.1',
        '-p',
        '1883',
        '--cafile',
        '/tmp/lan-cert.pem',
        '-u',
        'device:lamp1',
        '-P',
        'Zx_9-abc',
        '-t',
        'lamp1/status',
        '-m',
        'online',
      ]);
    } finally {
      rmSync(dirname(dirname(dir)), { recursive: true, force: true });
    }
  });

  it('quotes only what needs it', () => {
    expect(shellQuote('lamp1/status')).toBe('lamp1/status');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
