import { create } from 'zustand';

type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error' | 'signed-out';

interface ConnectionState {
  status: ConnectionStatus;
  error: string | null;
  url: string;
  username: string;
  version: string;
  /** the public id of this window's session (alicia/system/window/sessions marks it "this window") */
  sessionId: string | null;
  /** status signed-out: the user signed out here, or the session ended some other way */
  signedOut: 'signed-out' | 'session-ended' | null;
  /** messages per second received by the window, over the last second */
  rate: number;
  /** when the bus went away (window clock); null while connected, and before the first connection */
  lostAt: number | null;
  /** reconnect attempts since it went away */
  attempts: number;
  /** the transport's last word while away ("connect ECONNREFUSED", a WebSocket error), if it said one */
  lostReason: string | null;
  /** how often the connection retries, ms (shown in the banner) */
  retryMs: number;
  /**
   * Connected again (or for the first time) and re-reading the retained state: until it settles,
   * what the views show may be older than the bus.
   */
  resyncing: boolean;
  /** completed resyncs (the first connection's included) */
  syncs: number;
}

export const useConnection = create<ConnectionState>(() => ({
  status: 'idle',
  error: null,
  url: '',
  username: '',
  version: '',
  sessionId: null,
  signedOut: null,
  rate: 0,
  lostAt: null,
  attempts: 0,
  lostReason: null,
  retryMs: 2000,
  resyncing: false,
  syncs: 0,
}));

/**
 * The bus is up and the retained state read: what the views show is current, and controls may act.
 * Every control that sends something is disabled while this is false:
 *   const live = useConnection(selectLive);  <button disabled={!live || busy}>
 */
export function selectLive(s: ConnectionState): boolean {
  // The first connection's retained burst fills empty stores: nothing older is shown while it
  // arrives, so the controls need not wait for it (and a control focused meanwhile keeps its focus).
  return s.status === 'connected' && !(s.resyncing && s.syncs > 0);
}

/**
 * Since when what the window shows is only the last known state: the time the bus went away, or
 * null while it is current (and before the first connection, when nothing is shown yet). Views grey
 * such values and say "last known":
 *   const staleSince = useConnection(selectStaleSince);  // number | null
 */
export function selectStaleSince(s: ConnectionState): number | null {
  return selectLive(s) ? null : s.lostAt;
}
