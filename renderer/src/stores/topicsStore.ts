import { create } from 'zustand';

/**
 * The React-facing side of the topic tree. The tree itself lives in the TopicIndex (model/), mutated
 * per message; this store only carries counters copied once per frame, so a component re-renders at
 * most once per frame whatever the message rate.
 */
interface TopicsState {
  /** TopicIndex.version at the last commit */
  version: number;
  received: number;
  topicCount: number;
  selected: string | null;
  topicFilter: string;
  payloadFilter: string;
  /** the publish form's topic (set by "Publish here") */
  publishTopic: string;
  /** bumped when a node is expanded/collapsed (UI state kept on the nodes) */
  layout: number;
}

export const useTopics = create<TopicsState>(() => ({
  version: 0,
  received: 0,
  topicCount: 0,
  selected: null,
  topicFilter: '',
  payloadFilter: '',
  publishTopic: '',
  layout: 0,
}));
