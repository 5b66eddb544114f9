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
}));
