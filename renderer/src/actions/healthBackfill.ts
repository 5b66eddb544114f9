import { decode } from '../../../services/lib/protocol/decode.js';
import { patternOf } from '../../../services/lib/protocol/topics.js';
import type { MessageOf, TopicPattern } from '../../../services/lib/protocol/topics.js';
import { brokerSamples, serviceMetricSamples } from '../model/healthSamples.js';
import { recordedListFrom } from '../model/recorded.js';
import { SERIES_WINDOW_MS, useHealth } from '../stores/healthStore.js';
import type { Sample } from '../stores/healthStore.js';
import { recorderPages } from './recorderQuery.js';

/**
 * Samples of one recorded metric topic since `from`, into `found` by series key. Decoded with the
 * protocol like live messages; an invalid one is skipped, as the live path drops it.
 */
async function collect<P extends TopicPattern>(
  pattern: P,
  samples: (m: MessageOf<P>) => [string, number][],
  from: number,
  found: Map<string, Sample[]>,
): Promise<void> {
  const body = { query: 'messages' as const, topic: pattern, from, order: 'asc' as const, limit: 1000 };
  for await (const a of recorderPages(body, 'load health history', 20)) {
    for (const r of recordedListFrom(a.messages)) {
      if (patternOf(r.topic) !== pattern) continue;
      let msg: MessageOf<P>;
      try {
        msg = decode(pattern, r.payload);
      } catch {
        continue;
      }
      for (const [key, v] of samples(msg)) {
        let arr = found.get(key);
        if (!arr) found.set(key, (arr = []));
        arr.push({ t: r.time, v });
      }
    }
  }
}

/**
 * Fill the Health charts with what the recorder kept of the last SERIES_WINDOW_MS (per-service
 * metrics, broker stats), so they show the recent past as soon as the window opens instead of
 * starting empty. Only samples older than a series' first live one are added, so running it again
 * adds nothing twice.
 */
export async function backfillHealth(now = Date.now()): Promise<void> {
  const found = new Map<string, Sample[]>();
  const from = now - SERIES_WINDOW_MS;
  await collect('alicia/health/status/+', serviceMetricSamples, from, found);
  await collect('$SYS/alicia/broker/stats', brokerSamples, from, found);
  if (found.size === 0) return;
  useHealth.setState((s) => {
    const series = { ...s.series };
    for (const [key, old] of found) {
      const live = series[key] ?? [];
      const first = live[0]?.t ?? Infinity;
      series[key] = [...old.filter((p) => p.t < first), ...live];
    }
    return { series };
  });
}
