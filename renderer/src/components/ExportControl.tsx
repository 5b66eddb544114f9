import { useState } from 'react';
import { exportToFile } from '../actions/exportActions.js';
import type { ExportWhat } from '../actions/exportActions.js';
import { why } from '../actions/recorderQuery.js';
import { EXPORT_FORMATS } from '../model/exportFormat.js';
import type { ExportFormat } from '../model/exportFormat.js';
import './ExportControl.css';

const LABEL: Record<ExportFormat, string> = { ndjson: 'NDJSON', json: 'JSON', csv: 'CSV' };

/** Export from the recorder as a file: a format to pick, a button, and what came of it. */
export function ExportControl({ what, label = 'Export' }: { what: ExportWhat; label?: string }) {
  const [format, setFormat] = useState<ExportFormat>('ndjson');
  const [state, setState] = useState<{ busy: boolean; text: string | null; ok: boolean }>({ busy: false, text: null, ok: true });
  const run = async () => {
    setState({ busy: true, text: 'Exporting…', ok: true });
    try {
      const r = await exportToFile(what, format);
      setState({
        busy: false,
        ok: true,
        text:
          r.lines === 0
            ? 'Nothing recorded to export.'
            : `Saved ${r.lines.toLocaleString()} message${r.lines === 1 ? '' : 's'} as ${r.name}${r.cut ? ' (cut at the export limit)' : ''}.`,
      });
    } catch (e) {
      setState({ busy: false, ok: false, text: `Export failed: ${why(e)}` });
    }
  };
  return (
    <span className="export-control">
      <select
        value={format}
        onChange={(e) => setFormat(e.target.value as ExportFormat)}
        aria-label="export format"
        data-testid="export-format"
      >
        {EXPORT_FORMATS.map((f) => (
          <option key={f} value={f}>
            {LABEL[f]}
          </option>
        ))}
      </select>
      <button
        type="button"
        onClick={() => void run()}
        disabled={state.busy}
        data-testid="export"
        title="export what the recorder holds as a file"
      >
        {label}
      </button>
      {state.text && (
        <span className={`small ${state.ok ? 'muted' : 'bad'}`} data-testid="export-result" role="status">
          {state.text}
        </span>
      )}
    </span>
  );
}
