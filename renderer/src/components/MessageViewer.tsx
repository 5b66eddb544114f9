import { useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { safeFileName } from '../model/exportFormat.js';
import { formatTime } from '../model/format.js';
import { searchJson } from '../model/jsonTree.js';
import { splitEnvelope } from '../model/messageParts.js';
import { describePayload, findAudioFields, formatBytes, hexDump } from '../model/payload.js';
import { CopyButton } from './CopyButton.js';
import { Highlight } from './Highlight.js';
import { JsonTreeView } from './JsonTreeView.js';
import { saveFile } from './saveFile.js';
import './MessageViewer.css';

type Mode = 'tree' | 'raw' | 'hex';

/** The raw view shows this much text; the whole payload is one Save away. */
const RAW_LIMIT = 256 * 1024;

/** One message's payload to read: what the viewer needs to know about it. */
export interface ViewedPayload {
  topic: string;
  time: number;
  payload: Uint8Array;
  /** size on the bus (more than payload.byteLength when only the first bytes are at hand) */
  size: number;
  qos: number;
  retain: boolean;
}

function envelopeValue(k: string, v: unknown): string {
  if (k === 'ts' || k === 'deadline') return typeof v === 'number' ? `${formatTime(v)} (${v})` : String(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Occurrences of `q` (case-insensitive) in `text`, at most `max`. */
function countIn(text: string, q: string, max = 5000): number {
  if (q === '') return 0;
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let n = 0;
  for (let i = lower.indexOf(needle); i >= 0 && n < max; i = lower.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * A payload to read: JSON as a collapsible tree (the envelope fields apart from the body), text
 * raw, binary as hex; search with next/previous; copy; save as a file; base64 WAV fields playable.
 * It fills its parent and has one scroller.
 */
export function MessageViewer({ msg, note }: { msg: ViewedPayload; note?: ReactNode }) {
  const info = useMemo(() => describePayload(msg.payload), [msg.payload]);
  const [mode, setMode] = useState<Mode>(info.kind === 'json' ? 'tree' : info.kind === 'binary' ? 'hex' : 'raw');
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const parts = useMemo(() => (info.kind === 'json' ? splitEnvelope(info.json) : { envelope: null, body: undefined }), [info]);
  const audio = useMemo(() => (info.kind === 'json' ? findAudioFields(info.json) : []), [info]);
  const rawText = info.text ?? '';
  const treeMatches = useMemo(
    () => (mode === 'tree' && info.kind === 'json' ? searchJson(parts.body, query) : []),
    [mode, info.kind, parts.body, query],
  );
  const rawCount = useMemo(() => (mode === 'raw' ? countIn(rawText.slice(0, RAW_LIMIT), query) : 0), [mode, rawText, query]);
  const total = mode === 'tree' ? treeMatches.length : rawCount;
  const at = total === 0 ? 0 : Math.min(current, total - 1);
  const rawRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (mode !== 'raw' || total === 0) return;
    const marks = rawRef.current?.querySelectorAll('mark');
    const m = marks?.[at];
    marks?.forEach((x, i) => x.classList.toggle('current', i === at));
    m?.scrollIntoView({ block: 'center' });
  }, [mode, at, total, query]);
  const step = (d: number) => total > 0 && setCurrent((c) => (Math.min(c, total - 1) + d + total) % total);
  const copyText =
    info.kind === 'json'
      ? JSON.stringify(info.json, null, 2)
      : info.kind === 'binary'
        ? hexDump(msg.payload, msg.payload.byteLength)
        : rawText;
  const save = () => {
    const ext = info.kind === 'json' ? 'json' : info.kind === 'binary' ? 'bin' : 'txt';
    const mime = info.kind === 'json' ? 'application/json' : info.kind === 'binary' ? 'application/octet-stream' : 'text/plain';
    // a copy: a Blob takes only bytes backed by a plain ArrayBuffer
    saveFile(safeFileName(msg.topic, ext, msg.time), new Uint8Array(msg.payload), mime);
  };
  const searchable = mode === 'tree' || mode === 'raw';
  return (
    <div className="viewer" data-testid="message-viewer">
      <div className="viewer-bar">
        <div className="seg" role="group" aria-label="show as">
          {(['tree', 'raw', 'hex'] as Mode[]).map((m) => (
            <button
              key={m}
              type="button"
              className={mode === m ? 'on' : ''}
              aria-pressed={mode === m}
              onClick={() => {
                setMode(m);
                setCurrent(0);
              }}
              disabled={(m === 'tree' && info.kind !== 'json') || (m === 'raw' && info.kind === 'binary')}
            >
              {m === 'tree' ? 'Tree' : m === 'raw' ? 'Raw' : 'Hex'}
            </button>
          ))}
        </div>
        {searchable && (
          <div className="viewer-search">
            <input
              type="search"
              placeholder="Search in the payload"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setCurrent(0);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  step(e.shiftKey ? -1 : 1);
                }
              }}
              aria-label="search in the payload"
              data-testid="payload-search"
            />
            <span className="muted small num" data-testid="search-count" aria-live="polite">
              {query === '' ? '' : total === 0 ? 'no match' : `${at + 1} / ${total}${total >= 5000 ? '+' : ''}`}
            </span>
            <button
              type="button"
              onClick={() => step(-1)}
              disabled={total === 0}
              aria-label="previous match"
              title="previous match (Shift+Enter)"
            >
              ↑
            </button>
            <button
              type="button"
              onClick={() => step(1)}
              disabled={total === 0}
              aria-label="next match"
              title="next match (Enter)"
              data-testid="search-next"
            >
              ↓
            </button>
          </div>
        )}
        <div className="buttons">
          <CopyButton text={copyText} testId="copy-payload" />
          <button type="button" onClick={save} data-testid="save-payload" title="save the payload as a file">
            Save
          </button>
        </div>
      </div>
      <div className="viewer-meta small muted">
        {info.kind} · <span data-testid="payload-size">{formatBytes(msg.size)}</span>
        {msg.size > msg.payload.byteLength ? ` (${formatBytes(msg.payload.byteLength)} shown)` : ''} · QoS {msg.qos}
        {msg.retain ? ' · retained copy' : ''} · {formatTime(msg.time)}
        {note}
      </div>
      {mode === 'tree' && parts.envelope && (
        <dl className="envelope" data-testid="envelope" aria-label="envelope">
          {Object.entries(parts.envelope).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd className="mono">{envelopeValue(k, v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {audio.map((a) => (
        <div key={a.path} className="audio-field">
          <span className="mono">{a.path}</span> <span className="muted">WAV {formatBytes(a.bytes)}</span>
          <audio controls src={`data:audio/wav;base64,${a.base64}`} />
        </div>
      ))}
      <div className="viewer-body">
        {mode === 'tree' && info.kind === 'json' ? (
          <JsonTreeView value={parts.body} query={query} matches={treeMatches} current={at} />
        ) : (
          <pre className="code viewer-text" ref={rawRef} data-testid="payload">
            {mode === 'hex' || info.kind === 'binary' ? (
              hexDump(msg.payload)
            ) : (
              <>
                <Highlight text={rawText.slice(0, RAW_LIMIT)} query={query} />
                {rawText.length > RAW_LIMIT && (
                  <span className="muted">{`\n… cut at ${formatBytes(RAW_LIMIT)} for display: Save gives the whole payload`}</span>
                )}
              </>
            )}
          </pre>
        )}
      </div>
    </div>
  );
}
