import { topicFor } from '../../../services/lib/protocol/topics.js';
import { request } from '../bus/connection.js';
import { traceMessagesFrom } from '../model/sessions.js';
import { LOG_LINES_PER_SERVICE, useServices } from '../stores/servicesStore.js';
import type { LogLine } from '../stores/servicesStore.js';

const loaded = new Set<string>();

/**
 * Backfill a service's log tail from the recorder (lines published before the window opened), once
 * per service. Live lines already received are kept; recorded ones go before them.
 */
export async function loadRecentLogs(service: string): Promise<void> {
  if (loaded.has(service)) return;
  loaded.add(service);
  try {
    const r = await request(
      'alicia/system/recorder/request',
      { query: 'messages', topic: topicFor('alicia/system/logs/+', service), limit: 200, order: 'desc' },
      { timeoutMs: 8000, what: 'load logs' },
    );
    const old: LogLine[] = [];
    for (const m of traceMessagesFrom(r.messages)) {
      try {
        const body = JSON.parse(m.text ?? '') as { lines?: unknown; stream?: unknown; ts?: unknown; pid?: unknown };
        if (!Array.isArray(body.lines)) continue;
        for (const text of body.lines)
          if (typeof text === 'string')
            old.push({
              at: typeof body.ts === 'number' ? body.ts : m.time,
              stream: typeof body.stream === 'string' ? body.stream : 'stdout',
              text,
              pid: typeof body.pid === 'number' ? body.pid : null,
            });
      } catch {
        /* not a log batch: skip */
      }
    }
    if (old.length === 0) return;
    useServices.setState((s) => {
      const live = s.logs[service] ?? [];
      const firstLive = live[0]?.at ?? Infinity;
      const merged = [...old.filter((l) => l.at < firstLive), ...live];
      return { logs: { ...s.logs, [service]: merged.slice(-LOG_LINES_PER_SERVICE) } };
    });
  } catch {
    // recorder unavailable: the tail still shows live lines; allow a retry on next selection
    loaded.delete(service);
  }
}
