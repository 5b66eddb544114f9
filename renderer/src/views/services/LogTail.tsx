import { useEffect, useMemo, useRef, useState } from 'react';
import { loadRecentLogs } from '../../actions/logActions.js';
import { saveFile } from '../../components/saveFile.js';
import { formatClock, formatTime } from '../../model/format.js';
import { LOG_LEVELS, filterRuns, groupRuns, logAsText } from '../../model/logRuns.js';
import type { LogLevel } from '../../model/logRuns.js';
import { useConnection } from '../../stores/connectionStore.js';
import { LOG_LINES_PER_SERVICE, useServices } from '../../stores/servicesStore.js';
import './LogTail.css';

const LEVEL_WORDS: Record<LogLevel, string> = {
  debug: 'All levels',
  info: 'Info and above',
  warn: 'Warnings and errors',
  error: 'Errors only',
};

/**
 * The selected service's log: one section per process run under a "started pid 1234" divider (a
 * restart's old and new process apart), a search, a lowest level, follow, and a download of what
 * is shown.
 */
export function LogTail({ name }: { name: string }) {
  const lines = useServices((s) => s.logs[name]);
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [minLevel, setMinLevel] = useState<LogLevel>('debug');
  const connected = useConnection((s) => s.status === 'connected');
  useEffect(() => {
    if (connected) void loadRecentLogs(name);
  }, [name, connected]);
  const runs = useMemo(() => groupRuns(lines ?? []), [lines]);
  const shown = useMemo(() => filterRuns(runs, { minLevel, search }), [runs, minLevel, search]);
  const total = lines?.length ?? 0;
  const matching = shown.reduce((n, r) => n + r.rows.length, 0);
  const filtered = search.trim() !== '' || minLevel !== 'debug';
  useEffect(() => {
    const el = ref.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);
  const download = () => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    saveFile(`alicia-${name}-log-${stamp}.txt`, logAsText(name, shown), 'text/plain;charset=utf-8');
  };
  return (
    <section className="panel logs" aria-labelledby="log-title">
      <header className="panel-head log-head">
        <h2 id="log-title">
          Log · <span className="mono">{name}</span>
        </h2>
        <span className="muted small" data-testid="log-count">
          {filtered ? `${matching} of ${total} lines` : `${total} lines`} (last {LOG_LINES_PER_SERVICE} kept)
        </span>
        <div className="log-tools">
          <input
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Search the log"
            aria-label="Search the log"
            data-testid="log-search"
          />
          <select
            value={minLevel}
            onChange={(e) => setMinLevel(e.target.value as LogLevel)}
            aria-label="Lowest level shown"
            data-testid="log-level"
          >
            {LOG_LEVELS.map((l) => (
              <option key={l} value={l}>
                {LEVEL_WORDS[l]}
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
          </label>
          <button onClick={download} disabled={matching === 0} data-testid="log-download" title="Save the lines shown as a text file">
            Download
          </button>
        </div>
      </header>
      <div ref={ref} className="logtail" data-testid="log-tail" tabIndex={0} aria-label={`log lines of ${name}`}>
        {total === 0 && <div className="muted">No log lines received since the window opened.</div>}
        {shown.map((run, i) => (
          <div
            key={`${run.pid ?? 'none'}-${i}`}
            className="log-run"
            data-testid="log-run"
            data-pid={run.pid ?? ''}
            data-run={run.run ?? ''}
          >
            <div className="run-divider" role="separator" aria-label={run.pid === null ? 'earlier lines' : `process ${run.pid}`}>
              <span>
                {run.pid === null
                  ? 'lines from a host that did not name the process'
                  : `started pid ${run.pid}${run.run !== undefined ? ` (start ${run.run})` : ''}`}{' '}
                · {formatClock(run.firstAt)}
              </span>
            </div>
            {run.rows.map((row, j) => (
              <div
                key={j}
                className={`log-line ${row.level === 'error' || row.level === 'warn' ? 'bad' : row.line.stream === 'supervisor' ? 'muted' : ''}`}
                data-level={row.level}
              >
                <span className="ts">{formatTime(row.line.at)}</span>
                {row.level !== 'info' && <span className="lvl">{row.level.toUpperCase()} </span>}
                {row.text}
              </div>
            ))}
          </div>
        ))}
        {total > 0 && matching === 0 && <div className="muted">No line matches.</div>}
      </div>
    </section>
  );
}
