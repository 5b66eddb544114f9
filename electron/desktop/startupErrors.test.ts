import { describe, expect, it } from 'vitest';
import { AliciaError } from '../../services/lib/protocol/errors.js';
import { describeStartupError } from './startupErrors.js';

const ctx = {
  dataDir: '/home/u/.config/Alicia Control Center',
  configFile: '/home/u/.config/Alicia Control Center/config.json',
  logFile: '/home/u/.config/Alicia Control Center/logs/desktop.log',
};

describe('startup error dialog text', () => {
  it('names the bad config key and the file to fix', () => {
    const p = describeStartupError(
      new AliciaError('CONFIG_INVALID', 'invalid configuration in config.json: unknown key "ports.mqqt"'),
      ctx,
    );
    expect(p.title).toMatch(/configuration/);
    expect(p.detail).toContain('ports.mqqt');
    expect(p.detail).toContain(ctx.configFile);
    expect(p.detail).toContain(ctx.logFile);
  });

  it('explains a busy port and how to choose another', () => {
    const p = describeStartupError(new AliciaError('BROKER_LISTEN_FAILED', 'cannot listen on 127.0.0.1:1883 (mqtt): EADDRINUSE'), ctx);
    expect(p.title).toMatch(/already in use/);
    expect(p.detail).toMatch(/Mosquitto/);
    expect(p.detail).toContain('"ports"');
  });

  it('tells a developer how to rebuild a native module for Electron', () => {
    const e = new Error(
      "The module 'better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.",
    );
    expect(describeStartupError(e, ctx).detail).toContain('npm start');
  });

  it('points at the data folder for permission and disk-full errors', () => {
    const e = Object.assign(new Error("EACCES: permission denied, mkdir '/home/u/.config/Alicia Control Center/logs'"), { code: 'EACCES' });
    const p = describeStartupError(e, ctx);
    expect(p.title).toMatch(/data folder/);
    expect(p.detail).toContain(ctx.dataDir);
  });

  it('falls back to the message itself', () => {
    expect(describeStartupError(new Error('boom'), ctx)).toMatchObject({ title: 'Alicia Control Center could not start' });
    expect(describeStartupError('plain', ctx).detail).toContain('plain');
  });
});
