import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { ACL_TABLE_BEGIN, ACL_TABLE_END, renderAclMarkdown } from './aclTable.js';

const DOC = fileURLToPath(new URL('../../../docs/security.md', import.meta.url));

describe('docs/security.md ACL table', () => {
  it('is exactly the table the broker enforces (regenerate: ALICIA_UPDATE_DOCS=1 npx vitest run electron/host/broker/aclTable.test.ts)', async () => {
    let doc = await readFile(DOC, 'utf8');
    const start = doc.indexOf(ACL_TABLE_BEGIN);
    const end = doc.indexOf(ACL_TABLE_END);
    expect(start, 'begin marker').toBeGreaterThanOrEqual(0);
    expect(end, 'end marker').toBeGreaterThan(start);
    const current = doc.slice(start, end + ACL_TABLE_END.length);
    const rendered = renderAclMarkdown();
    if (process.env.ALICIA_UPDATE_DOCS === '1' && current !== rendered) {
      doc = doc.slice(0, start) + rendered + doc.slice(end + ACL_TABLE_END.length);
      await writeFile(DOC, doc);
      return;
    }
    expect(current).toBe(rendered);
  });

  it('has a row per principal', () => {
    const table = renderAclMarkdown();
    for (const p of [...SERVICE_NAMES, 'operator', 'window']) expect(table).toContain(`| \`${p}\` |`);
  });
});
