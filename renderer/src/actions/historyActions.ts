import { recordedListFrom } from '../model/recorded.js';
import type { RecordedMessage } from '../model/recorded.js';
import { EMPTY_HISTORY, useTopicHistory } from '../stores/topicHistoryStore.js';
import { askRecorder, recorderPages, why } from './recorderQuery.js';

/** Rows per history page, and the preview bytes each carries (enough for a summary line; opening one loads it whole). */
const PAGE = 100;
const PREVIEW_BYTES = 4096;

/** Forget the loaded pages when another topic is selected. */
export function resetHistory(topic: string | null): void {
  if (useTopicHistory.getState().topic !== topic) useTopicHistory.setState({ ...EMPTY_HISTORY, topic });
}

/**
 * The next page of `topic`'s recorded history, older than what is shown: the first page starts at
 * `before` (the oldest message the window keeps, or now), later ones at the recorder's cursor.
 */
export async function loadOlder(topic: string, before: number | null): Promise<void> {
  resetHistory(topic);
  const s = useTopicHistory.getState();
  if (s.loading || s.exhausted) return;
  const from = s.range ? s.range.from : null;
  // later pages continue from the cursor, which is older than either bound
  const to = s.range ? s.range.to : before;
  useTopicHistory.setState({ loading: true, error: null });
  try {
    const a = await askRecorder(
      {
        query: 'messages',
        topic,
        order: 'desc',
        limit: PAGE,
        payload_bytes: PREVIEW_BYTES,
        ...(from !== null ? { from } : {}),
        ...(to !== null ? { to } : {}),
        ...(s.cursor !== null ? { cursor: s.cursor } : {}),
      },
      'load history',
    );
    if (useTopicHistory.getState().topic !== topic) return;
    const page = recordedListFrom(a.messages);
    const cursor = typeof a.next_cursor === 'string' ? a.next_cursor : null;
    useTopicHistory.setState((h) => ({ recorded: [...h.recorded, ...page], cursor, exhausted: cursor === null, loading: false }));
  } catch (e) {
    if (useTopicHistory.getState().topic === topic) useTopicHistory.setState({ loading: false, error: why(e) });
  }
}

/** Show `topic`'s recorded messages between two times (either may be open), newest first, paged. */
export async function loadRange(topic: string, from: number | null, to: number | null): Promise<void> {
  useTopicHistory.setState({ ...EMPTY_HISTORY, topic, range: { from, to } });
  await loadOlder(topic, null);
}

/** Back to the window's own history (and older pages on request). */
export function clearRange(topic: string): void {
  useTopicHistory.setState({ ...EMPTY_HISTORY, topic });
}

/**
 * Recorded messages of `topic` for a chart: the newest `max` since `from` (null: any age), whole
 * payloads (up to the recorder's inline limit), oldest first.
 */
export async function loadForChart(topic: string, from: number | null, max = 2000): Promise<RecordedMessage[]> {
  const out: RecordedMessage[] = [];
  const body = {
    query: 'messages' as const,
    topic,
    order: 'desc' as const,
    limit: Math.min(1000, max),
    ...(from !== null ? { from } : {}),
  };
  for await (const a of recorderPages(body, 'load chart points', 10)) {
    out.push(...recordedListFrom(a.messages));
    if (out.length >= max) break;
  }
  return out.slice(0, max).reverse();
}
