import { describe, expect, it } from 'vitest';
import { MAX_TOPIC_BYTES, isValidTopicFilter, isValidTopicName, topicFilterProblem, topicNameProblem } from './topicNames.js';
import { topicMatches } from './topics.js';

const nameCode = (n: string, maxLevels?: number) => topicNameProblem(n, maxLevels)?.code ?? null;
const filterCode = (f: string, maxLevels?: number) => topicFilterProblem(f, maxLevels)?.code ?? null;

describe('topic names and filters (MQTT 3.1.1 section 4.7)', () => {
  it('[MQTT-4.7.3-1] both are at least one character long', () => {
    expect(nameCode('')).toBe('EMPTY');
    expect(filterCode('')).toBe('EMPTY');
    expect(isValidTopicName('a')).toBe(true);
    expect(isValidTopicFilter('a')).toBe(true);
  });

  it('[MQTT-4.7.1-1] wildcards are allowed in filters, never in a topic name', () => {
    for (const n of ['+', '#', 'a/+', 'a/#', 'a/+/b', 'a+', 'a#b', 'sport/tennis#']) {
      expect(nameCode(n), n).toBe('WILDCARD_IN_NAME');
    }
    expect(isValidTopicFilter('a/+')).toBe(true);
    expect(isValidTopicFilter('a/#')).toBe(true);
  });

  it('[MQTT-4.7.1-2] # stands alone in its level and is the last level', () => {
    for (const f of ['#', 'a/#', '/#', '+/#', 'sport/tennis/player1/#']) expect(isValidTopicFilter(f), f).toBe(true);
    for (const f of ['a/#/b', 'a/#/', '#/', 'a#', 'a/b#', 'sport/tennis#', '##', 'a/#b']) {
      expect(filterCode(f), f).toBe('HASH_NOT_LAST');
    }
  });

  it('[MQTT-4.7.1-3] + occupies a whole level, at any level', () => {
    for (const f of ['+', '+/+', '/+', '+/', 'a/+/b', 'sport/+/player1', '+/tennis/#']) expect(isValidTopicFilter(f), f).toBe(true);
    for (const f of ['a+', 'a/b+', 'a/+b', 'sport+', '++', 'a/++/b']) expect(filterCode(f), f).toBe('PLUS_NOT_ALONE');
  });

  it('empty levels are allowed and distinct (section 4.7.3)', () => {
    for (const t of ['/', '//', '/a', 'a/', 'a//b', ' ', 'a b/c']) {
      expect(isValidTopicName(t), t).toBe(true);
      expect(isValidTopicFilter(t), t).toBe(true);
    }
    expect(topicMatches('a//b', 'a//b')).toBe(true);
    expect(topicMatches('a/b', 'a//b')).toBe(false);
  });

  it('$-topics are valid names and filters; a leading wildcard does not match them [MQTT-4.7.2-1]', () => {
    expect(isValidTopicName('$SYS/alicia/broker/stats')).toBe(true);
    expect(isValidTopicFilter('$SYS/#')).toBe(true);
    expect(isValidTopicFilter('$SYS/+/heartbeat')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('+/x', '$SYS/x')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/x')).toBe(true);
  });

  it('[MQTT-4.7.3-2] no NUL character', () => {
    expect(nameCode('a\u0000b')).toBe('NUL');
    expect(filterCode('a/\u0000')).toBe('NUL');
    expect(filterCode('\u0000/#')).toBe('NUL');
  });

  it('[MQTT-4.7.3-3] at most 65535 bytes once UTF-8 encoded, counted in bytes, not characters', () => {
    expect(MAX_TOPIC_BYTES).toBe(65535);
    expect(isValidTopicName('a'.repeat(65535))).toBe(true);
    expect(nameCode('a'.repeat(65536))).toBe('TOO_LONG');
    expect(filterCode(`${'a'.repeat(65534)}/#`)).toBe('TOO_LONG');
    expect(isValidTopicFilter(`${'a'.repeat(65533)}/#`)).toBe(true);
    // 2-byte characters: 32,768 of them are 65,536 bytes though only 32,768 UTF-16 code units
    expect(isValidTopicName('é'.repeat(32767))).toBe(true);
    expect(nameCode('é'.repeat(32768))).toBe('TOO_LONG');
    // 3 bytes each: exactly at the limit
    expect(isValidTopicName('€'.repeat(21845))).toBe(true);
    expect(nameCode('€'.repeat(21846))).toBe('TOO_LONG');
    // a character outside the BMP is a surrogate pair (2 code units) and 4 bytes
    expect(isValidTopicName('😀'.repeat(16383) + 'abc')).toBe(true);
    expect(nameCode('😀'.repeat(16384))).toBe('TOO_LONG');
    // the count agrees with a real encoder (é 2 bytes, € 3, 😀 4, a 1: 10 bytes per repeat)
    const enc = new TextEncoder();
    for (const n of [6553, 6554]) {
      const mixed = `x/${'é€😀a'.repeat(n)}`;
      expect(isValidTopicName(mixed), `${n}`).toBe(enc.encode(mixed).length <= MAX_TOPIC_BYTES);
    }
    expect(enc.encode(`x/${'é€😀a'.repeat(6553)}`).length).toBe(65532);
  });

  it('a depth limit is the caller’s policy: levels are counted across empty ones too', () => {
    const sixteen = Array(16).fill('a').join('/');
    expect(isValidTopicName(sixteen, 16)).toBe(true);
    expect(nameCode(`${sixteen}/a`, 16)).toBe('TOO_DEEP');
    expect(nameCode('/'.repeat(16), 16)).toBe('TOO_DEEP');
    expect(filterCode(`${sixteen}/#`, 16)).toBe('TOO_DEEP');
    expect(isValidTopicName(`${sixteen}/a`)).toBe(true); // no limit unless asked
  });

  it('each problem has a message for people', () => {
    expect(topicNameProblem('a/+')?.message).toBe('wildcards (+ #) are not allowed when publishing');
    expect(topicNameProblem('')?.message).toBe('a topic is required');
    expect(topicFilterProblem('a/#/b')?.message).toMatch(/#/);
    expect(topicNameProblem('a'.repeat(70_000))?.message).toMatch(/65535 bytes/);
  });
});
