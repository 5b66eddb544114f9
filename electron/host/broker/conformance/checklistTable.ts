import { STATEMENTS } from './statements.js';

export const CHECKLIST_BEGIN = '<!-- conformance-table:begin -->';
export const CHECKLIST_END = '<!-- conformance-table:end -->';

/** docs/conformance.md's table: every statement of sections 3.1-3.14, where it is tested or why not, and Aedes's faults fixed. */
export function renderChecklist(): string {
  const esc = (x: string) => x.replaceAll('|', '\\|');
  const rows = STATEMENTS.map((st) => {
    const where = st.file ? `\`conformance/${st.file}.test.ts\`` : `not tested: ${st.excluded ?? ''}`;
    return `| [${st.id}] | ${esc(st.summary)} | ${esc(where)} | ${esc(st.fixed ?? '')} |`;
  });
  return [
    CHECKLIST_BEGIN,
    '<!-- prettier-ignore-start -->',
    '| statement | what the server must do | tested in (`electron/host/broker/`) | fixed: what Aedes 1.2 alone did |',
    '| --- | --- | --- | --- |',
    ...rows,
    '<!-- prettier-ignore-end -->',
    CHECKLIST_END,
  ].join('\n');
}
