import { useHealth } from '../stores/healthStore.js';

/**
 * Acknowledging alerts: "I have seen it". Kept in this window's store, not on the bus. Alerts are
 * events (alicia/health/alert is not retained) and each window lists only those since it opened;
 * the health monitor keeps no list of open alerts to close, so an acknowledgement on the bus would
 * need a new shared state (a retained list, the monitor answering requests) for a list no other
 * window holds in the same form. When alerts become shared state (recorded, listed by the host),
 * acknowledging belongs there, as a request the host answers.
 */
export function acknowledgeAlert(id: string): void {
  useHealth.setState((s) => (s.acked[id] ? s : { acked: { ...s.acked, [id]: Date.now() } }));
}

export function acknowledgeAll(): void {
  useHealth.setState((s) => {
    const at = Date.now();
    const acked = { ...s.acked };
    for (const a of s.alerts) acked[a.id] ??= at;
    return { acked };
  });
}
