import { describe, expect, it } from 'vitest';
import { ServiceNotices } from './serviceNotices.js';

const s = (
  service: string,
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'failed',
  extra: Record<string, unknown> = {},
) => ({
  service,
  state,
  restarts: 0,
  ...extra,
});

describe('service failure notifications', () => {
  it('stays quiet for the retained states replayed at startup', () => {
    const n = new ServiceNotices();
    expect(n.observe(s('stt', 'failed'), 0)).toBeNull();
    expect(n.observe(s('ai', 'crashed'), 0)).toBeNull();
  });

  it('announces a service that failed, with why and what to do', () => {
    const n = new ServiceNotices();
    n.observe(s('stt', 'running'), 0);
    const notice = n.observe(s('stt', 'failed', { restarts: 5, last_error: 'exit code 1' }), 1000);
    expect(notice).toMatchObject({ title: 'stt has stopped', urgency: 'critical' });
    expect(notice?.body).toContain('5 times');
    expect(notice?.body).toContain('exit code 1');
  });

  it('announces a crash once, then stays quiet through a crash loop for the quiet period', () => {
    const n = new ServiceNotices(60_000);
    n.observe(s('tts', 'running'), 0);
    expect(n.observe(s('tts', 'crashed', { exit_signal: 'SIGKILL' }), 1_000)).toMatchObject({
      title: 'tts crashed',
      body: 'Restarting it (killed by SIGKILL).',
    });
    n.observe(s('tts', 'starting'), 2_000);
    expect(n.observe(s('tts', 'crashed'), 3_000)).toBeNull();
    n.observe(s('tts', 'running'), 4_000);
    expect(n.observe(s('tts', 'crashed'), 62_000)).not.toBeNull();
    // failure is always announced, even inside the quiet period
    expect(n.observe(s('tts', 'failed'), 62_500)?.urgency).toBe('critical');
  });

  it('does not repeat for the same state or announce normal stops', () => {
    const n = new ServiceNotices();
    n.observe(s('ai', 'running'), 0);
    expect(n.observe(s('ai', 'running'), 1)).toBeNull();
    expect(n.observe(s('ai', 'stopping'), 2)).toBeNull();
    expect(n.observe(s('ai', 'stopped'), 3)).toBeNull();
  });

  it('tracks services independently', () => {
    const n = new ServiceNotices();
    n.observe(s('ai', 'running'), 0);
    n.observe(s('stt', 'running'), 0);
    expect(n.observe(s('ai', 'crashed'), 1)).not.toBeNull();
    expect(n.observe(s('stt', 'crashed'), 2)).not.toBeNull();
  });
});
