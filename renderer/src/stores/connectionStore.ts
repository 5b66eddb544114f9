import { create } from 'zustand';

type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error';

interface ConnectionState {
  status: ConnectionStatus;
  error: string | null;
  url: string;
  username: string;
  version: string;
  /** messages per second received by the window, over the last second */
  rate: number;
}

export const useConnection = create<ConnectionState>(() => ({
  status: 'idle',
  error: null,
  url: '',
  username: '',
  version: '',
  rate: 0,
}));
