import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKLIST_BEGIN, CHECKLIST_END, renderChecklist } from './checklistTable.js';
import { STATEMENTS } from './statements.js';
import { expectDocSection } from '../testing/docSection.js';

/**
 * The checklist holds: every server statement of MQTT 3.1.1 sections 3.1-3.14 is carried by the name
 * of a test in its file, no test names a statement that is not on the list (or is excluded), and
 * docs/conformance.md shows the list as it is.
 */
const HERE = new URL('./', import.meta.url);
const DOC = fileURLToPath(new URL('../../../../docs/conformance.md', import.meta.url));

/** The statement ids in the names of the tests (it(...)) of each conformance test file. */
function taggedIds(): Map<string, Set<string>> {
  const byFile = new Map<string, Set<string>>();
  for (const f of readdirSync(HERE).filter((x) => x.endsWith('.test.ts') && x !== 'checklist.test.ts')) {
    const src = readFileSync(new URL(f, HERE), 'utf8');
    const ids = new Set<string>();
    for (const m of src.matchAll(/\bit\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
      for (const id of m[2]!.matchAll(/\[(MQTT-[0-9.]+-[0-9]+)\]/g)) ids.add(id[1]!);
    }
    byFile.set(f.replace(/\.test\.ts$/, ''), ids);
  }
  return byFile;
}

describe('MQTT 3.1.1 conformance checklist', () => {
  const tagged = taggedIds();

  it('lists each statement once', () => {
    const ids = STATEMENTS.map((s) => s.id);
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('every statement a server must honour is carried by a test name in its file', () => {
    const missing = STATEMENTS.filter((s) => s.file !== null && !tagged.get(s.file)?.has(s.id)).map((s) => `${s.id} (${s.file})`);
    expect(missing).toEqual([]);
  });

  it('every statement a test names is on the list, tested in that file, not excluded', () => {
    const stray: string[] = [];
    for (const [file, ids] of tagged) {
      for (const id of ids) {
        const st = STATEMENTS.find((s) => s.id === id);
        if (!st || st.file !== file) stray.push(`${id} in ${file}.test.ts`);
      }
    }
    expect(stray).toEqual([]);
  });

  it('every excluded statement says why', () => {
    for (const s of STATEMENTS.filter((x) => x.file === null)) expect(s.excluded, s.id).toMatch(/\w{10}/);
  });

  it('docs/conformance.md shows the checklist (regenerate: ALICIA_UPDATE_DOCS=1 npx vitest run electron/host/broker/conformance/checklist.test.ts)', async () => {
    await expectDocSection(DOC, CHECKLIST_BEGIN, CHECKLIST_END, renderChecklist());
  });
});
