import { TOPICS } from './topics.js';

/**
 * The topic contract as a markdown table, rendered from TOPICS so docs/topics.md cannot drift
 * (a test compares them). Regenerate with: node dist/electron/docs.js (or copy from the test diff).
 */
export function renderTopicTable(): string {
  const rows = Object.values(TOPICS).map((d) => {
    const def = d as { pattern: string; kind: string; reply?: string; error?: string; retain?: boolean; qos: number; doc: string };
    const answer = def.kind === 'request' ? `-> \`${def.reply}\`${def.error && def.error !== def.reply ? ` / \`${def.error}\`` : ''}` : '';
    return `| \`${def.pattern}\` | ${def.kind} | ${def.qos} | ${def.retain ? 'yes' : 'no'} | ${def.doc}${answer ? ` ${answer}` : ''} |`;
  });
  return ['| topic | kind | QoS | retained | what |', '|---|---|---|---|---|', ...rows].join('\n');
}
