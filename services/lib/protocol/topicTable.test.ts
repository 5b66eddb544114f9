import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTopicTable } from './topicTable.js';

describe('docs/topics.md', () => {
  it('contains the topic table exactly as the protocol declares it', () => {
    const doc = readFileSync(new URL('../../../docs/topics.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderTopicTable());
  });
});
