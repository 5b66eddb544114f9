import { useConnection } from '../stores/connectionStore.js';
import { useTopics } from '../stores/topicsStore.js';
import { formatBytes } from '../model/payload.js';
import { topicFilterMatcher } from '../model/topicFilter.js';
import { topicIndex } from '../bus/connection.js';
import { PublishForm } from './PublishForm.js';
import { TopicDetail } from './TopicDetail.js';
import { TopicTree } from './TopicTree.js';
import './TopicsView.css';

function Stats() {
  const received = useTopics((s) => s.received);
  const topics = useTopics((s) => s.topicCount);
  const rate = useConnection((s) => s.rate);
  return (
    <div className="stats small" data-testid="topic-stats" data-received={received} data-topics={topics}>
      <span>
        <b>{topics.toLocaleString()}</b> topics
      </span>
      <span>
        <b>{received.toLocaleString()}</b> messages
      </span>
      <span>
        <b>{rate.toLocaleString()}</b>/s
      </span>
      <span title="payload bytes kept in the window's history">{formatBytes(topicIndex.historyBytes)} kept</span>
    </div>
  );
}

export function TopicsView() {
  const topicFilter = useTopics((s) => s.topicFilter);
  const mqttFilter = topicFilterMatcher(topicFilter).mqtt;
  const payloadFilter = useTopics((s) => s.payloadFilter);
  return (
    <div className="view topics-view">
      <section className="panel tree-pane">
        <div className="filters">
          <input
            id="topic-filter"
            className="mono"
            placeholder="Filter topics (text or a/+/#)   /"
            title="text matches anywhere in a topic; a filter with + or # matches as an MQTT subscription would"
            value={topicFilter}
            onChange={(e) => useTopics.setState({ topicFilter: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                useTopics.setState({ topicFilter: '' });
                (e.target as HTMLInputElement).blur();
              }
            }}
            aria-label="filter topics"
            data-testid="topic-filter"
            data-mqtt={mqttFilter}
          />
          {mqttFilter && (
            <span className="badge" title="matched as an MQTT topic filter" data-testid="mqtt-filter">
              MQTT
            </span>
          )}
          <input
            className="mono"
            placeholder="Filter payloads"
            value={payloadFilter}
            onChange={(e) => useTopics.setState({ payloadFilter: e.target.value })}
            aria-label="filter payloads"
            data-testid="payload-filter"
          />
        </div>
        <Stats />
        <TopicTree />
      </section>
      <section className="panel detail-pane">
        <TopicDetail />
        <PublishForm />
      </section>
    </div>
  );
}
