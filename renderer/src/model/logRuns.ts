import type { LogLine } from '../stores/servicesStore.js';
import { formatLogLine } from '../views/logLine.js';

/**
 * A service's log tail as people read it: one section per process run (a restart's old process
 * and new one apart, each under a "started pid 1234" divider), with a level per line for the level
 * filter, a search, and a plain-text copy to download.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogRow {
  line: LogLine;
  level: LogLevel;
  /** the line as shown: "msg  key=value" for a JSON log line, else as it came */
  text: string;
}

export interface LogRun {
  /** the run's process; null when the host did not say (lines of an older host) */
  pid: number | null;
  /** which start of the service (several runs of a thread in the shared process share a pid); absent from older hosts */
  run?: number;
  /** its first line's time */
  firstAt: number;
  rows: LogRow[];
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function levelOf(line: LogLine, parsed: string | null): LogLevel {
  if (parsed && (LOG_LEVELS as readonly string[]).includes(parsed)) return parsed as LogLevel;
  if (parsed === 'fatal') return 'error';
  // a line on stderr that is not one of ours (a Node warning, a stack trace): worth a look
  return line.stream === 'stderr' ? 'warn' : 'info';
}

export function toRow(line: LogLine): LogRow {
  const v = formatLogLine(line.text);
  return { line, level: levelOf(line, v.level), text: v.text };
}

/**
 * Lines (in arrival order) -> runs in the order their processes were first heard of. A line of a
 * run already shown joins it, even after the next run began: batches of the old process can arrive
 * after the new one's first. A run is its pid and, where the host says it, its start number (threads
 * of the shared process keep its pid from run to run). A line without a pid joins the run before it.
 */
export function groupRuns(lines: readonly LogLine[]): LogRun[] {
  const runs: LogRun[] = [];
  const byKey = new Map<string, LogRun>();
  for (const line of lines) {
    let run: LogRun | undefined;
    const key = `${line.pid}:${line.run}`;
    if (line.pid === null) run = runs.at(-1);
    else run = byKey.get(key);
    if (!run) {
      run = { pid: line.pid, ...(line.run !== undefined ? { run: line.run } : {}), firstAt: line.at, rows: [] };
      runs.push(run);
      if (line.pid !== null) byKey.set(key, run);
    }
    run.rows.push(toRow(line));
  }
  return runs;
}

export interface LogFilter {
  /** show lines at this level and above */
  minLevel: LogLevel;
  /** case-insensitive text to look for; '' for all */
  search: string;
}

/** The rows each run keeps under a filter; runs left empty are kept (their divider still says a process ran). */
export function filterRuns(runs: readonly LogRun[], f: LogFilter): LogRun[] {
  const q = f.search.trim().toLowerCase();
  const min = RANK[f.minLevel];
  if (!q && min === 0) return [...runs];
  return runs.map((r) => ({
    ...r,
    rows: r.rows.filter((row) => RANK[row.level] >= min && (!q || row.text.toLowerCase().includes(q))),
  }));
}

/** Plain text for a download: a divider per run, then "time stream LEVEL text" per line. */
export function logAsText(service: string, runs: readonly LogRun[]): string {
  const out: string[] = [];
  for (const r of runs) {
    out.push(
      `---- ${service} ${r.pid === null ? '(process not named)' : `pid ${r.pid}${r.run !== undefined ? ` start ${r.run}` : ''}`} ----`,
    );
    for (const row of r.rows) out.push(`${new Date(row.line.at).toISOString()} ${row.line.stream} ${row.level.toUpperCase()} ${row.text}`);
  }
  return out.join('\n') + '\n';
}
