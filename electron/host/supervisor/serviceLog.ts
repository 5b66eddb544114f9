import type { Readable } from 'node:stream';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import type { InProcessBus } from '../broker/types.js';
import { RotatingFile } from './rotatingFile.js';
import type { RotatingFileOptions } from './rotatingFile.js';

export type LogStream = 'stdout' | 'stderr' | 'supervisor';

export interface ServiceLogOptions {
  service: string;
  /** <dataDir>/logs/<service>.log */
  filePath: string;
  bus: InProcessBus;
  file?: RotatingFileOptions;
  /** batching period for the log topic (default 250 ms) */
  flushMs?: number;
  /** strings that must never leave the process (the service's password): replaced by *** */
  secrets?: () => string[];
  onFileError?: (err: Error) => void;
}

/** logLinesSchema limits (services/lib/protocol/system.ts) */
const MAX_LINE = 4000;
const MAX_LINES_PER_MESSAGE = 500;
/** above this many unflushed lines per stream the oldest are dropped (a child printing in a loop) */
const MAX_PENDING = 5000;

const STREAMS = ['supervisor', 'stdout', 'stderr'] as const;

/** One run's unflushed lines, per stream. */
type RunLines = Record<LogStream, string[]>;

/**
 * One service's output: stdout/stderr split into lines, written to its rotating log file and
 * published in batches on alicia/system/logs/<service> (QoS 0, not retained: logs are events).
 * Batching (seed: "batched publishing") keeps a chatty service from costing one MQTT message per line.
 * A batch holds one run's lines (it carries the pid and the run): at a restart the old process's
 * last lines and the new one's first often fall into the same flush, and a reader must tell them
 * apart, also when both runs are threads of the same shared process (one pid).
 */
export class ServiceLog {
  private readonly file: RotatingFile;
  /** by pid and run, in the order the runs were first heard of (pid null: supervisor lines about no process) */
  private readonly pending = new Map<string, { pid: number | null; run: number | undefined; lines: RunLines }>();
  private readonly counts: Record<LogStream, number> = { stdout: 0, stderr: 0, supervisor: 0 };
  private readonly dropped: Record<LogStream, number> = { stdout: 0, stderr: 0, supervisor: 0 };
  private fileBuf = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly topic: string;

  constructor(private readonly opts: ServiceLogOptions) {
    this.file = new RotatingFile(opts.filePath, opts.file, opts.onFileError);
    this.topic = topicFor('alicia/system/logs/+', opts.service);
  }

  /** Follow a child's stream until it ends; `pid` and `run` name the run its lines belong to. */
  attach(stream: Readable | null, name: 'stdout' | 'stderr', pid: () => number | null, run?: number): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.line(name, partial.slice(0, nl).replace(/\r$/, ''), pid(), run);
        partial = partial.slice(nl + 1);
      }
      // A line without a newline that keeps growing is cut, not buffered forever.
      if (partial.length > MAX_LINE) {
        this.line(name, partial, pid(), run);
        partial = '';
      }
    });
    stream.on('end', () => {
      if (partial) this.line(name, partial, pid(), run);
      partial = '';
    });
    // A broken pipe from a dying child is not a host error.
    stream.on('error', () => undefined);
  }

  /** A line from the supervisor itself about a run of this service (started, exited, restarting). */
  supervisor(text: string, pid: number | null, run?: number): void {
    this.line('supervisor', text, pid, run);
  }

  line(stream: LogStream, raw: string, pid: number | null, run?: number): void {
    let text = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE - 1) + '…' : raw;
    for (const s of this.opts.secrets?.() ?? []) if (s) text = text.replaceAll(s, '***');
    this.fileBuf += `${new Date().toISOString()} [${stream}] ${text}\n`;
    const key = `${pid}:${run}`;
    let pending = this.pending.get(key);
    if (!pending) this.pending.set(key, (pending = { pid, run, lines: { supervisor: [], stdout: [], stderr: [] } }));
    pending.lines[stream].push(text);
    if (++this.counts[stream] > MAX_PENDING) this.dropOldest(stream);
    this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 250);
  }

  private dropOldest(stream: LogStream): void {
    for (const { lines } of this.pending.values()) {
      if (lines[stream].length === 0) continue;
      lines[stream].shift();
      this.counts[stream]--;
      this.dropped[stream]++;
      return;
    }
  }

  /** Write what is buffered to the file and the bus now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fileBuf) {
      this.file.append(this.fileBuf);
      this.fileBuf = '';
    }
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const stream of STREAMS) this.counts[stream] = 0;
    for (const { pid, run, lines: byStream } of runs) {
      for (const stream of STREAMS) {
        const lines = byStream[stream];
        if (lines.length > 0 && this.dropped[stream] > 0) {
          lines.unshift(`[${this.dropped[stream]} log lines dropped: the service printed faster than they could be published]`);
          this.dropped[stream] = 0;
        }
        for (let i = 0; i < lines.length; i += MAX_LINES_PER_MESSAGE) {
          const msg = seal(
            {
              service: this.opts.service,
              stream,
              pid,
              ...(run !== undefined ? { run } : {}),
              lines: lines.slice(i, i + MAX_LINES_PER_MESSAGE),
            },
            { source: 'supervisor' },
          );
          // Fire and forget: a log batch that cannot be published (broker stopping) is only lost from the topic; the file has it.
          this.opts.bus.publish(this.topic, JSON.stringify(msg), { qos: 0, retain: false }).catch(() => undefined);
        }
      }
    }
  }

  close(): void {
    this.flush();
  }
}
