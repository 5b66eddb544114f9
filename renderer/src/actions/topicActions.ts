import { findRetained, publishRaw } from '../bus/connection.js';

/** Clear one retained topic: an empty retained message deletes the broker's copy (MQTT 3.1.1 section 3.3.1.3). */
export async function clearRetained(topic: string): Promise<void> {
  await publishRaw(topic, '', { qos: 1, retain: true });
}

/**
 * Clear a whole subtree: ask the broker which topics under it hold a retained message (a fresh
 * subscription replays them with RETAIN=1), then clear each one. Returns the topics cleared.
 * Live messages arrive with RETAIN=0 (section 3.3.1.3), so the tree alone cannot know this.
 */
export async function clearRetainedSubtree(prefix: string): Promise<string[]> {
  const topics = await findRetained(prefix === '' ? '#' : `${prefix}/#`);
  for (const t of topics) await clearRetained(t);
  return topics;
}
