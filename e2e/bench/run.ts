import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchSection } from './types.js';

/**
 * `npm run bench` (= build, then `node dist/e2e/bench/run.js [--only name]`): runs each benchmark
 * below in order, prints each as an aligned table and writes docs/benchmarks.md. Benchmarks report,
 * they never assert. Add a benchmark by appending it here.
 */
const BENCHES: { name: string; load: () => Promise<BenchModule> }[] = [
  { name: 'broker', load: () => import('./broker.bench.js') },
  { name: 'shared', load: () => import('./shared.bench.js') },
  { name: 'recorder', load: () => import('./recorder.bench.js') },
  { name: 'stt', load: () => import('./stt.bench.js') },
  { name: 'voice', load: () => import('./voice.bench.js') },
  { name: 'soak', load: () => import('./soak.bench.js') },
  { name: 'ui', load: () => import('./ui.bench.js') },
  { name: 'external-broker', load: () => import('./externalBroker.bench.js') },
  { name: 'memory', load: () => import('./memory.bench.js') },
  { name: 'memory-run', load: () => import('./memoryRun.bench.js') },
  { name: 'recognition', load: () => import('./recognition.bench.js') },
  { name: 'wake', load: () => import('./wake.bench.js') },
];

// dist/e2e/bench/run.js -> <repo>/docs/benchmarks.md (also right when run from source e2e/bench)
const DOC = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../docs/benchmarks.md' : '../../docs/benchmarks.md', import.meta.url),
);

function machine(): string {
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // nproc missing: os.cpus() count stands in
  }
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${nproc} cores (nproc), ${model}, Node ${process.version}, ${process.platform} ${process.arch}`;
}

function fmt(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v >= 10 ? 1 : 2);
}

export function textTable(s: BenchSection): string {
  const cells = [s.columns, ...s.rows.map((r) => r.map(fmt))];
  const widths = s.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [s.title, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  for (const n of s.notes ?? []) out.push(`  * ${n}`);
  return out.join('\n');
}

function markdownSection(name: string, s: BenchSection, when: string, host: string): string {
  const esc = (c: string) => c.replaceAll('|', '\\|');
  const lines = [
    `<!-- bench:${name}:begin -->`,
    // generated: prettier would re-align the table on every `npm run format`
    '<!-- prettier-ignore-start -->',
    `## ${s.title}`,
    '',
    `Measured ${when} on ${host}.`,
    '',
    `| ${s.columns.map(esc).join(' | ')} |`,
    `| ${s.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...s.rows.map((r) => `| ${r.map((c) => esc(fmt(c))).join(' | ')} |`),
  ];
  if (s.notes?.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  lines.push('<!-- prettier-ignore-end -->', `<!-- bench:${name}:end -->`);
  return lines.join('\n');
}

/** Replace this benchmark's block in the doc (or append it), keeping the other benchmarks' last results. */
async function writeDoc(results: { name: string; section: BenchSection }[], when: string, host: string): Promise<void> {
  let doc: string;
  try {
    doc = await readFile(DOC, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nWritten by `npm run bench` (e2e/bench/run.ts). Numbers are reported, never asserted in tests.\n';
  }
  for (const { name, section } of results) {
    const block = markdownSection(name, section, when, host);
    const begin = `<!-- bench:${name}:begin -->`;
    const end = `<!-- bench:${name}:end -->`;
    const i = doc.indexOf(begin);
    const j = doc.indexOf(end);
    doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  }
  await writeFile(DOC, doc);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  if (onlyAt >= 0 && (!only || !BENCHES.some((b) => b.name === only))) {
    process.stderr.write(`--only needs one of: ${BENCHES.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  const host = machine();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  process.stdout.write(`Benchmarks ${when}\n${host}\n\n`);
  const results: { name: string; section: BenchSection }[] = [];
  let failed = false;
  for (const b of BENCHES) {
    if (only && b.name !== only) continue;
    const t0 = Date.now();
    try {
      const section = await (await b.load()).run();
      results.push({ name: b.name, section });
      process.stdout.write(`${textTable(section)}\n  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`benchmark ${b.name} failed: ${(e as Error).stack ?? String(e)}\n\n`);
    }
  }
  if (results.length) {
    await writeDoc(results, when, host);
    process.stdout.write(`wrote ${DOC}\n`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench runner failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
