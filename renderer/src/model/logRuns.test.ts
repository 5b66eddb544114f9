import { describe, expect, it } from 'vitest';
import type { LogLine } from '../stores/servicesStore.js';
import { filterRuns, groupRuns, logAsText } from './logRuns.js';

const line = (at: number, pid: number | null, text: string, stream = 'stdout'): LogLine => ({ at, pid, text, stream });
const json = (level: string, msg: string) => JSON.stringify({ t: 1, level, origin: 'stt', msg });

describe('log runs', () => {
  it('a restart whose batches interleave is shown as two runs, each with its own lines', () => {
    const runs = groupRuns([
      line(1, 10, 'started pid 10', 'supervisor'),
      line(2, 10, json('info', 'ready')),
      line(5, 10, 'stopping (restart by window:a)', 'supervisor'),
      line(5, 11, 'started pid 11', 'supervisor'),
      // the old process's last lines arrive after the new one's first: same flush, same timestamp
      line(5, 10, json('info', 'stopped')),
      line(5, 11, json('info', 'started')),
      line(6, 10, 'stopped (code 0)', 'supervisor'),
    ]);
    expect(runs.map((r) => [r.pid, r.firstAt, r.rows.map((x) => x.text)])).toEqual([
      [10, 1, ['started pid 10', 'ready', 'stopping (restart by window:a)', 'stopped', 'stopped (code 0)']],
      [11, 5, ['started pid 11', 'started']],
    ]);
  });

  it('runs of a thread in the shared process have one pid: the run number tells them apart', () => {
    const at = (n: number, run: number, text: string): LogLine => ({ ...line(n, 10, text), run });
    const runs = groupRuns([at(1, 1, 'first'), at(5, 2, 'second'), at(5, 1, 'first, last words'), at(6, 2, 'second again')]);
    expect(runs.map((r) => [r.pid, r.run, r.rows.map((x) => x.text)])).toEqual([
      [10, 1, ['first', 'first, last words']],
      [10, 2, ['second', 'second again']],
    ]);
  });

  it('lines of an older host (no pid) join the run before them, or one run of their own', () => {
    expect(groupRuns([line(1, null, 'a'), line(2, null, 'b')]).map((r) => [r.pid, r.rows.length])).toEqual([[null, 2]]);
    expect(groupRuns([line(1, 7, 'a'), line(2, null, 'b')]).map((r) => [r.pid, r.rows.length])).toEqual([[7, 2]]);
  });

  it('levels: JSON lines say theirs, bare stderr is a warning, the rest info; the filter keeps a level and above', () => {
    const runs = groupRuns([
      line(1, 1, json('debug', 'tick')),
      line(2, 1, json('error', 'engine failed')),
      line(3, 1, '(node:1) DeprecationWarning: x', 'stderr'),
      line(4, 1, 'plain stdout'),
    ]);
    expect(runs[0]!.rows.map((r) => r.level)).toEqual(['debug', 'error', 'warn', 'info']);
    expect(filterRuns(runs, { minLevel: 'warn', search: '' })[0]!.rows.map((r) => r.text)).toEqual([
      'engine failed',
      '(node:1) DeprecationWarning: x',
    ]);
    expect(filterRuns(runs, { minLevel: 'debug', search: 'ENGINE' })[0]!.rows.map((r) => r.text)).toEqual(['engine failed']);
    // a run with nothing left still stands (its divider says a process ran)
    expect(filterRuns(runs, { minLevel: 'debug', search: 'nothing like this' })).toEqual([{ ...runs[0], rows: [] }]);
  });

  it('as text: a divider per run, then time, stream, level and text per line', () => {
    const text = logAsText('stt', groupRuns([line(Date.UTC(2026, 0, 2, 3, 4, 5), 9, json('warn', 'slow'))]));
    expect(text).toBe('---- stt pid 9 ----\n2026-01-02T03:04:05.000Z stdout WARN slow\n');
  });
});
