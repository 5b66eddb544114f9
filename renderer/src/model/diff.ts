/**
 * Line diff between two payloads (pretty-printed JSON or text): longest common subsequence on lines,
 * bounded so two huge payloads cannot freeze the window (beyond the bound it falls back to a
 * prefix/suffix trim and marks the middle as changed).
 */
interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

export function diffLines(a: string, b: string, maxCells = 4_000_000): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  // trim common prefix/suffix first: most message pairs differ in a few lines
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  const head: DiffLine[] = x.slice(0, pre).map((text) => ({ op: ' ', text }));
  const tail: DiffLine[] = x.slice(x.length - suf).map((text) => ({ op: ' ', text }));
  let mid: DiffLine[];
  if (xs.length * ys.length > maxCells) {
    mid = [...xs.map((text): DiffLine => ({ op: '-', text })), ...ys.map((text): DiffLine => ({ op: '+', text }))];
  } else {
    const n = xs.length;
    const m = ys.length;
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          xs[i] === ys[j]
            ? (lcs[(i + 1) * w + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
      }
    }
    mid = [];
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (xs[i] === ys[j]) {
        mid.push({ op: ' ', text: xs[i] as string });
        i++;
        j++;
      } else if ((lcs[(i + 1) * w + j] as number) >= (lcs[i * w + j + 1] as number)) {
        mid.push({ op: '-', text: xs[i++] as string });
      } else {
        mid.push({ op: '+', text: ys[j++] as string });
      }
    }
    while (i < n) mid.push({ op: '-', text: xs[i++] as string });
    while (j < m) mid.push({ op: '+', text: ys[j++] as string });
  }
  return [...head, ...mid, ...tail];
}
