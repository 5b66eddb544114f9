import { describe, expect, it } from 'vitest';
import { topicMatches } from './topics.js';

/** The MQTT 3.1.1 section 4.7 rules written the plain way (split into levels): the reference. */
function reference(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topicMatches (allocation-free)', () => {
  it('agrees with the plain reference on a grid of filters and topics', () => {
    const filters = [
      '#',
      '+',
      'a',
      'a/#',
      'a/+',
      'a/b',
      'a/+/c',
      '+/b/#',
      'a/b/c',
      '+/+',
      'a//b',
      'a/+/#',
      '$SYS/#',
      '$SYS/+/heartbeat',
      '+/x',
      '/#',
      '+/',
      'alicia/device/status/+',
    ];
    const topics = [
      'a',
      'a/b',
      'a/b/c',
      'a/c',
      'b',
      'a//b',
      'a/b/c/d',
      '$SYS/x',
      '$SYS/h/heartbeat',
      'x/b',
      'a/',
      '/a',
      '/',
      'alicia/device/status/k',
      'alicia/device/status/k/x',
      'alicia/device/status',
    ];
    let matched = 0;
    for (const f of filters)
      for (const t of topics) {
        const want = reference(f, t);
        if (want) matched++;
        expect(topicMatches(f, t), `${f} ~ ${t}`).toBe(want);
      }
    expect(matched).toBeGreaterThan(30); // the grid exercises matches, not only misses
  });

  it('follows the spec examples', () => {
    expect(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1')).toBe(true);
    expect(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1/ranking')).toBe(true);
    expect(topicMatches('sport/#', 'sport')).toBe(true);
    expect(topicMatches('sport/tennis/+', 'sport/tennis/player1/ranking')).toBe(false);
    expect(topicMatches('sport/+', 'sport')).toBe(false);
    expect(topicMatches('sport/+', 'sport/')).toBe(true);
    expect(topicMatches('+/+', '/finance')).toBe(true);
    expect(topicMatches('/+', '/finance')).toBe(true);
    expect(topicMatches('+', '/finance')).toBe(false);
    expect(topicMatches('#', '$SYS/monitor/Clients')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/monitor/Clients')).toBe(true);
    expect(topicMatches('+/monitor/Clients', '$SYS/monitor/Clients')).toBe(false);
  });
});
