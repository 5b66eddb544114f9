import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDesktopLog } from './desktopLog.js';

describe('desktop log file', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('writes JSON lines at or above its level into userData/logs/desktop.log, creating the folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'alicia-log-'));
    dirs.push(dir);
    const log = createDesktopLog(path.join(dir, 'logs', 'desktop.log'), 'info', false);
    log.debug('hidden');
    log.info('core started', { ws: 'ws://127.0.0.1:1/mqtt' });
    log.error('quit timed out', { after_ms: 8000 });
    const lines = readFileSync(log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'core started'],
      ['error', 'quit timed out'],
    ]);
    expect(lines[0]).toMatchObject({ origin: 'desktop', ws: 'ws://127.0.0.1:1/mqtt' });
  });

  it('keeps running when the log file cannot be written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'alicia-log-'));
    dirs.push(dir);
    // a regular file where the logs folder should be: every write fails with ENOTDIR
    writeFileSync(path.join(dir, 'logs'), 'not a folder');
    const log = createDesktopLog(path.join(dir, 'logs', 'desktop.log'), 'info', false);
    expect(() => {
      log.info('still fine');
      log.error('and again');
    }).not.toThrow();
  });
});
