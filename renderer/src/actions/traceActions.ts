import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import { request } from '../bus/connection.js';
import { fromRecorder, mergeHistory, traceMessagesFrom } from '../model/sessions.js';
import type { SessionSummary } from '../model/sessions.js';
import { useTraces } from '../stores/tracesStore.js';
import { why } from './recorderQuery.js';

/** Load the recorder's session list (newest first) and merge it with the live sessions. */
export async function loadSessions(limit = 200): Promise<void> {
  useTraces.setState({ historyLoading: true, historyError: null });
  try {
    const r = await request('alicia/system/recorder/request', { query: 'sessions', limit }, { timeoutMs: 10_000, what: 'load sessions' });
    const list = (Array.isArray(r.sessions) ? r.sessions : []).map(fromRecorder).filter((s): s is SessionSummary => s !== null);
    useTraces.setState((s) => ({ sessions: mergeHistory(s.sessions, list), historyLoading: false }));
  } catch (e) {
    useTraces.setState({ historyLoading: false, historyError: why(e) });
  }
}

/** Load every bus message of one trace, in order. */
export async function loadTrace(trace_id: string, attempt = 0): Promise<void> {
  useTraces.setState((s) => ({ details: { ...s.details, [trace_id]: { loading: true, messages: s.details[trace_id]?.messages ?? [] } } }));
  try {
    // The trace to read travels as `trace`: a body `trace_id` would be the envelope's own field
    // (docs/decisions.md 2). The request keeps a trace of its own, so the window's queries do not
    // show up among the messages of the trace they read.
    const r = await request(
      'alicia/system/recorder/request',
      { query: 'trace', trace: trace_id, limit: 1000 },
      { timeoutMs: 10_000, what: 'load trace' },
    );
    const messages = traceMessagesFrom(r.messages);
    useTraces.setState((s) => ({ details: { ...s.details, [trace_id]: { loading: false, messages } } }));
  } catch (e) {
    // The recorder writes in batches: a session that just ended may not be stored yet.
    if (isAliciaError(e) && e.code === 'RECORDER_NOT_FOUND' && attempt < 4) {
      setTimeout(() => void loadTrace(trace_id, attempt + 1), 750);
      return;
    }
    useTraces.setState((s) => ({ details: { ...s.details, [trace_id]: { loading: false, error: why(e), messages: [] } } }));
  }
}
