import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import type { LogLevel } from './logger.js';

function capture(): { lines: { line: string; level: LogLevel }[]; sink: (line: string, level: LogLevel) => void } {
  const lines: { line: string; level: LogLevel }[] = [];
  return { lines, sink: (line, level) => lines.push({ line, level }) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createLogger', () => {
  it('writes one JSON line {t, level, origin, msg, ...fields} to its sink', () => {
    const { lines, sink } = capture();
    createLogger('stt', { level: 'debug', sink }).warn('grammar updated', { devices: 7 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.line.endsWith('\n')).toBe(true);
    const o = JSON.parse(lines[0]!.line) as Record<string, unknown>;
    expect(Object.keys(o)).toEqual(['t', 'level', 'origin', 'msg', 'devices']);
    expect(o).toMatchObject({ level: 'warn', origin: 'stt', msg: 'grammar updated', devices: 7 });
    expect(new Date(o.t as string).toISOString()).toBe(o.t);
  });

  it('drops lines below its level; a bare level is short for { level }', () => {
    const { lines, sink } = capture();
    const log = createLogger('host', { level: 'warn', sink });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    createLogger('t', 'error').warn('not shown');
    expect(out).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
  });

  it('a field named like a line key (origin, level, t, msg) cannot overwrite it', () => {
    const { lines, sink } = capture();
    createLogger('discovery', { level: 'info', sink }).info('registered', { origin: 'tts', level: 9, msg: 'x', t: 0, service: 'tts' });
    expect(JSON.parse(lines[0]!.line)).toMatchObject({
      origin: 'discovery',
      level: 'info',
      msg: 'registered',
      origin_: 'tts',
      level_: 9,
      msg_: 'x',
      t_: 0,
      service: 'tts',
    });
  });

  it('by default info and below go to stdout, warn and error to stderr', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const log = createLogger('ai', 'debug');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    const msgs = (spy: typeof out) => spy.mock.calls.map((c) => (JSON.parse(String(c[0])) as { msg: string }).msg);
    expect(msgs(out)).toEqual(['d', 'i']);
    expect(msgs(err)).toEqual(['w', 'e']);
  });

  it('fits a rotating-file host log: every line to the file, warnings also to the terminal', () => {
    const file: string[] = [];
    const terminal: string[] = [];
    const log = createLogger('host', {
      level: 'info',
      sink: (line, level) => {
        file.push(line);
        if (level === 'warn' || level === 'error') terminal.push(line);
      },
    });
    log.debug('hidden');
    log.info('listening');
    log.error('broker failed', { code: 'EADDRINUSE' });
    expect(file.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['listening', 'broker failed']);
    expect(terminal).toEqual([file[1]]);
  });
});
