import { useEffect } from 'react';
import { backfillHealth } from '../actions/healthBackfill.js';
import { LineChart, PALETTE } from '../components/LineChart.js';
import type { Series } from '../components/LineChart.js';
import { useNow } from '../components/useNow.js';
import { useConnection } from '../stores/connectionStore.js';
import { useHealth } from '../stores/healthStore.js';
import './HealthCharts.css';

const WINDOW_MS = 5 * 60 * 1000;

/**
 * The Health view's charts: throughput and handler latency per service, broker messages/s, over
 * the last minutes. Live samples come from the router; what happened before the window opened
 * comes from the recorder once the bus is up (actions/healthBackfill.ts).
 */
export function HealthCharts({ names }: { names: readonly string[] }) {
  const series = useHealth((s) => s.series);
  const connected = useConnection((s) => s.status === 'connected');
  const now = useNow(2000);
  useEffect(() => {
    // the charts stay live-only when the recorder cannot answer
    if (connected) backfillHealth().catch((e: unknown) => console.debug('health backfill failed', e));
  }, [connected]);
  const svcSeries = (suffix: string): Series[] =>
    names
      .map((n, i) => ({ name: n, samples: series[`svc.${n}.${suffix}`] ?? [], color: PALETTE[i % PALETTE.length] as string }))
      .filter((s) => s.samples.length > 0);
  const from = now - WINDOW_MS;
  return (
    <section className="panel charts" data-testid="health-charts">
      <LineChart
        label="Service throughput (msgs/s in+out)"
        series={svcSeries('rate')}
        from={from}
        to={now}
        zero
        testId="chart-throughput"
      />
      <LineChart label="Handler latency p95" unit=" ms" series={svcSeries('p95')} from={from} to={now} testId="chart-latency" />
      <LineChart
        label="Broker messages/s"
        series={[
          { name: 'in', samples: series['broker.in'] ?? [], color: '--c1' },
          { name: 'out', samples: series['broker.out'] ?? [], color: '--c2' },
        ]}
        from={from}
        to={now}
        zero
        testId="chart-broker"
      />
    </section>
  );
}
