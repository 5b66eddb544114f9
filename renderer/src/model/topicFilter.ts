import { isValidTopicFilter } from '../../../services/lib/protocol/topicNames.js';
import { topicMatches } from '../../../services/lib/protocol/topics.js';

/**
 * The Topics view's filter box: an MQTT topic filter (`alicia/device/status/+`, `alicia/health/#`)
 * matches as a subscription would (MQTT 3.1.1 section 4.7, the protocol's own topicMatches); any
 * other text is a case-insensitive substring of the topic.
 */
export function topicFilterMatcher(text: string): { mqtt: boolean; matches: (topic: string) => boolean } {
  if (/[+#]/.test(text) && isValidTopicFilter(text)) return { mqtt: true, matches: (topic) => topicMatches(text, topic) };
  const needle = text.toLowerCase();
  return { mqtt: false, matches: (topic) => topic.toLowerCase().includes(needle) };
}
