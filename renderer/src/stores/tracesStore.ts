import { create } from 'zustand';
import type { SessionSummary, TraceMessage } from '../model/sessions.js';

interface TraceDetail {
  loading: boolean;
  error?: string;
  messages: TraceMessage[];
}

interface TracesState {
  sessions: Record<string, SessionSummary>;
  selected: string | null;
  /** by trace id */
  details: Record<string, TraceDetail>;
  historyLoading: boolean;
  historyError: string | null;
}

export const useTraces = create<TracesState>(() => ({
  sessions: {},
  selected: null,
  details: {},
  historyLoading: false,
  historyError: null,
}));
