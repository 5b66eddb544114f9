import { saveFile } from '../components/saveFile.js';
import { exportFile, safeFileName } from '../model/exportFormat.js';
import type { ExportFormat } from '../model/exportFormat.js';
import { recorderPages } from './recorderQuery.js';

/** What to export: a topic filter (optionally a time range) or one trace. */
export type ExportWhat = { topic: string; from?: number | null; to?: number | null } | { trace: string };

/** An answer carries at most the recorder's response limit (1 MiB): this many parts at most, i.e. ~200 MB. */
const MAX_PARTS = 200;

/**
 * Read an export from the recorder part by part (NDJSON, oldest first), write it in `format` and
 * save it as a file. Resolves with how many messages it holds and whether it stopped at MAX_PARTS.
 */
export async function exportToFile(what: ExportWhat, format: ExportFormat): Promise<{ lines: number; cut: boolean; name: string }> {
  const body =
    'trace' in what
      ? { query: 'export' as const, trace: what.trace }
      : {
          query: 'export' as const,
          topic: what.topic,
          ...(what.from != null ? { from: what.from } : {}),
          ...(what.to != null ? { to: what.to } : {}),
        };
  const parts: string[] = [];
  let lines = 0;
  let cut = false;
  let n = 0;
  for await (const a of recorderPages(body, 'export', MAX_PARTS)) {
    parts.push(typeof a.ndjson === 'string' ? a.ndjson : '');
    lines += typeof a.lines === 'number' ? a.lines : 0;
    cut = ++n === MAX_PARTS && typeof a.next_cursor === 'string';
  }
  const file = exportFile(parts.join(''), format);
  const name = safeFileName('trace' in what ? `trace-${what.trace}` : what.topic, file.ext);
  saveFile(name, file.text, file.mime);
  return { lines, cut, name };
}
