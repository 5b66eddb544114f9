import { useState } from 'react';
import type { FormEvent } from 'react';
import { topicNameProblem } from '../../../services/lib/protocol/topicNames.js';
import { publishRaw, topicIndex } from '../bus/connection.js';
import { useTopics } from '../stores/topicsStore.js';
import './PublishForm.css';

/** Publish anything: topic, payload, QoS, retain. The answer (sent or why not) is shown beside it. */
export function PublishForm() {
  const topic = useTopics((s) => s.publishTopic);
  const [payload, setPayload] = useState('');
  const [qos, setQos] = useState<0 | 1 | 2>(0);
  const [retain, setRetain] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const bad = topicNameProblem(topic)?.message ?? null;
  const jsonLooking = /^\s*[[{]/.test(payload);
  let jsonError: string | null = null;
  if (jsonLooking) {
    try {
      JSON.parse(payload);
    } catch (e) {
      jsonError = (e as Error).message;
    }
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (bad) return;
    setBusy(true);
    try {
      await publishRaw(topic, payload, { qos, retain });
      if (retain && payload !== '') {
        topicIndex.markRetained(topic);
        useTopics.setState((s) => ({ layout: s.layout + 1 }));
      }
      setResult({ ok: true, text: `Sent ${payload.length} bytes to ${topic}${retain ? ' (retained)' : ''}.` });
    } catch (err) {
      setResult({ ok: false, text: `Not sent: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="publish" onSubmit={(e) => void submit(e)} aria-label="publish" data-testid="publish-form">
      <div className="row">
        <input
          className="mono grow"
          placeholder="topic, e.g. alicia/broadcast/info"
          value={topic}
          onChange={(e) => useTopics.setState({ publishTopic: e.target.value })}
          aria-label="publish topic"
          data-testid="publish-topic"
        />
        <select value={qos} onChange={(e) => setQos(Number(e.target.value) as 0 | 1 | 2)} aria-label="QoS">
          <option value={0}>QoS 0</option>
          <option value={1}>QoS 1</option>
          <option value={2}>QoS 2</option>
        </select>
        <label className="check">
          <input type="checkbox" checked={retain} onChange={(e) => setRetain(e.target.checked)} data-testid="publish-retain" /> retain
        </label>
        <button type="submit" className="primary" disabled={!!bad || busy} data-testid="publish-send">
          Publish
        </button>
      </div>
      <textarea
        className="mono"
        rows={3}
        placeholder='payload, e.g. {"message":"hello"}  (Ctrl+Enter sends)'
        value={payload}
        onChange={(e) => setPayload(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
        }}
        aria-label="publish payload"
        data-testid="publish-payload"
      />
      <div className="small">
        {bad && topic !== '' && <span className="bad">{bad}. </span>}
        {jsonError && <span className="warn-text">Not valid JSON ({jsonError}); it will be sent as text. </span>}
        {result && (
          <span className={result.ok ? 'ok-text' : 'bad'} data-testid="publish-result">
            {result.text}
          </span>
        )}
      </div>
    </form>
  );
}
