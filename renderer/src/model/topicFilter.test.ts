import { describe, expect, it } from 'vitest';
import { topicFilterMatcher } from './topicFilter.js';

const topics = [
  'alicia/device/status/kitchen_light',
  'alicia/device/status/hall/extra',
  'alicia/device/command',
  'alicia/health/status/stt',
  'alicia/health',
  '$SYS/alicia/broker/stats',
];

const pick = (text: string) => topics.filter(topicFilterMatcher(text).matches);

describe('topic filter', () => {
  it('matches MQTT wildcards as a subscription would', () => {
    expect(pick('alicia/device/status/+')).toEqual(['alicia/device/status/kitchen_light']);
    expect(pick('alicia/health/#')).toEqual(['alicia/health/status/stt', 'alicia/health']);
    expect(pick('+/device/#')).toEqual(topics.slice(0, 3));
    // a leading wildcard never matches a $ topic [MQTT-4.7.2-1]
    expect(pick('#')).toEqual(topics.slice(0, 5));
    expect(topicFilterMatcher('alicia/health/#').mqtt).toBe(true);
  });

  it('keeps plain text (and text that is no valid filter) a case-insensitive substring', () => {
    expect(pick('STATUS')).toEqual(['alicia/device/status/kitchen_light', 'alicia/device/status/hall/extra', 'alicia/health/status/stt']);
    expect(topicFilterMatcher('a+b').mqtt).toBe(false);
    expect(pick('broker')).toEqual(['$SYS/alicia/broker/stats']);
  });
});
