import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';
import { ACL_TABLE_BEGIN, ACL_TABLE_END, renderAclMarkdown } from './aclTable.js';
import { expectDocSection } from './testing/docSection.js';

const DOC = fileURLToPath(new URL('../../../docs/security.md', import.meta.url));

describe('docs/security.md ACL table', () => {
  it('is exactly the table the broker enforces (regenerate: ALICIA_UPDATE_DOCS=1 npx vitest run electron/host/broker/aclTable.test.ts)', async () => {
    await expectDocSection(DOC, ACL_TABLE_BEGIN, ACL_TABLE_END, renderAclMarkdown());
  });

  it('has a row per principal', () => {
    const table = renderAclMarkdown();
    for (const p of [...SERVICE_NAMES, 'operator', 'window', 'bridge']) expect(table).toContain(`| \`${p}\` |`);
  });
});
