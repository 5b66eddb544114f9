/**
 * Quit must end even if a part hangs: stop the core (services get their stop message, then SIGKILL
 * after the supervisor's grace period; the recorder flushes; the broker closes), but give up after
 * `timeoutMs` so the app never lingers as an invisible process the user cannot close.
 */
export type StopOutcome =
  { outcome: 'stopped'; ms: number } | { outcome: 'timeout'; ms: number } | { outcome: 'failed'; ms: number; error: string };

export async function stopWithin(stop: () => Promise<void>, timeoutMs: number, now: () => number = Date.now): Promise<StopOutcome> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const r = await Promise.race([
      Promise.resolve()
        .then(stop)
        .then(() => 'stopped' as const),
      timeout,
    ]);
    return { outcome: r, ms: now() - started };
  } catch (e) {
    return { outcome: 'failed', ms: now() - started, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
