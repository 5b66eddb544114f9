/** One benchmark's result: printed as an aligned table and written to docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** What each e2e/bench/*.bench.ts module exports. */
export interface BenchModule {
  run(): Promise<BenchSection>;
}
