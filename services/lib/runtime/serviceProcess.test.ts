import { describe, expect, it } from 'vitest';
import { connectionFromEnv, envInt, serviceConfigFromEnv } from './serviceProcess.js';

describe('settings from the environment', () => {
  it('envInt: the default when unset or empty, a positive integer, CONFIG_INVALID otherwise', () => {
    expect(envInt('X', 5, {})).toBe(5);
    expect(envInt('X', 5, { X: '' })).toBe(5);
    expect(envInt('X', 5, { X: '200' })).toBe(200);
    for (const v of ['0', '-1', '1.5', 'ten'])
      expect(() => envInt('X', 5, { X: v })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('connectionFromEnv: mqtt or ws URL and the credential; anything else is CONFIG_INVALID', () => {
    expect(connectionFromEnv({})).toEqual({ url: 'mqtt://127.0.0.1:1883', username: undefined, password: undefined });
    expect(connectionFromEnv({ ALICIA_MQTT_URL: 'ws://h:9001/mqtt', ALICIA_MQTT_USERNAME: 'tts', ALICIA_MQTT_PASSWORD: 'p' })).toEqual({
      url: 'ws://h:9001/mqtt',
      username: 'tts',
      password: 'p',
    });
    expect(() => connectionFromEnv({ ALICIA_MQTT_URL: 'http://h' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('serviceConfigFromEnv: a JSON object, {} when unset, CONFIG_INVALID for anything else', () => {
    expect(serviceConfigFromEnv({})).toEqual({});
    expect(serviceConfigFromEnv({ ALICIA_SERVICE_CONFIG: '{"engine":"espeak"}' })).toEqual({ engine: 'espeak' });
    for (const v of ['[1]', '"x"', '{bad']) {
      expect(() => serviceConfigFromEnv({ ALICIA_SERVICE_CONFIG: v })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
