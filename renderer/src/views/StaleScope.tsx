import type { ReactNode } from 'react';
import { formatClock } from '../model/format.js';
import { selectLive, selectStaleSince, useConnection } from '../stores/connectionStore.js';
import './StaleScope.css';

/**
 * Around a view whose every control sends something on the bus (Devices, Voice): while the bus is
 * gone or the retained state is being read again, its controls are off (a disabled fieldset turns
 * off every button, field and slider inside at once, keyboard included) and what it shows is greyed
 * as the last known state. The view itself needs to know nothing about the connection.
 */
export function StaleScope({ name, children }: { name: string; children: ReactNode }) {
  const live = useConnection(selectLive);
  const staleSince = useConnection(selectStaleSince);
  return (
    <fieldset className="stale-scope" disabled={!live} data-stale={staleSince !== null ? 'true' : undefined} data-testid={`scope-${name}`}>
      <legend className="visually-hidden">{live ? name : `${name}: last known state, controls off until the connection is back`}</legend>
      {staleSince !== null && (
        <span className="badge warn stale-note" data-testid="stale-note">
          last known · {formatClock(staleSince)}
        </span>
      )}
      {children}
    </fieldset>
  );
}
