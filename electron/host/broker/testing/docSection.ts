import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';

/**
 * A generated section of a doc (between its begin and end markers) is exactly what the code renders
 * now. With ALICIA_UPDATE_DOCS=1 the section is rewritten instead, when it differs.
 */
export async function expectDocSection(docPath: string, begin: string, end: string, rendered: string): Promise<void> {
  let doc = await readFile(docPath, 'utf8');
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  expect(start, 'begin marker').toBeGreaterThanOrEqual(0);
  expect(stop, 'end marker').toBeGreaterThan(start);
  const current = doc.slice(start, stop + end.length);
  if (process.env.ALICIA_UPDATE_DOCS === '1' && current !== rendered) {
    doc = doc.slice(0, start) + rendered + doc.slice(stop + end.length);
    await writeFile(docPath, doc);
    return;
  }
  expect(current).toBe(rendered);
}
