import { useDevices } from '../stores/devicesStore.js';
import { useServices } from '../stores/servicesStore.js';

/**
 * What an outage of the bus leaves on the cards: commands and service actions that failed because
 * the window was not connected (NOT_CONNECTED), or that failed while it was away (no answer could
 * arrive). Once the connection is back and the retained state read again, they say nothing true
 * any more: the cards show the current state instead.
 */
export function forgetOutageErrors(lostAt: number): void {
  const stale = (e: { code: string } | undefined, at: number) => !!e && (e.code === 'NOT_CONNECTED' || at >= lostAt);
  const d = useDevices.getState();
  const commands = Object.fromEntries(Object.entries(d.commands).filter(([, c]) => c.pending || !stale(c.error, c.at)));
  if (Object.keys(commands).length !== Object.keys(d.commands).length) useDevices.setState({ commands });
  const s = useServices.getState();
  const actions = Object.fromEntries(Object.entries(s.actions).filter(([, a]) => a.pending || a.ok !== false || !stale(a.error, a.at)));
  if (Object.keys(actions).length !== Object.keys(s.actions).length) useServices.setState({ actions });
}
