import { create } from 'zustand';
import type { RecordedMessage } from '../model/recorded.js';

/**
 * The selected topic's history as read from the recorder (the window itself keeps only the last
 * messages of each topic): pages of older messages, or one time range. Written by
 * actions/historyActions.ts.
 */
export interface TopicHistoryState {
  /** the topic these pages belong to (null: none loaded) */
  topic: string | null;
  /** a time range the user asked for; null: older than what the window keeps, page by page */
  range: { from: number | null; to: number | null } | null;
  /** recorded messages, newest first, with payload previews */
  recorded: RecordedMessage[];
  /** where the next older page starts; null when there is none (or nothing was asked yet) */
  cursor: string | null;
  /** the recorder said there is nothing older */
  exhausted: boolean;
  loading: boolean;
  error: string | null;
}

export const EMPTY_HISTORY: TopicHistoryState = {
  topic: null,
  range: null,
  recorded: [],
  cursor: null,
  exhausted: false,
  loading: false,
  error: null,
};

export const useTopicHistory = create<TopicHistoryState>(() => EMPTY_HISTORY);
