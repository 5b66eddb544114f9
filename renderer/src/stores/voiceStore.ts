import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

export type VoiceResult = MessageOf<'alicia/voice/result'>;

type MicState = 'idle' | 'starting' | 'listening' | 'sending' | 'waiting' | 'unavailable';

interface VoiceState {
  mic: MicState;
  /** 0..1 level for the meter */
  level: number;
  /** why the microphone cannot be used (no device, permission denied, insecure origin) */
  micError: string | null;
  /** what happened to the last attempt (no speech heard, timeout...) */
  notice: string | null;
  pendingSession: string | null;
  lastResult: VoiceResult | null;
  /** live stage of the pending session */
  stage: string | null;
}

export const useVoice = create<VoiceState>(() => ({
  mic: 'idle',
  level: 0,
  micError: null,
  notice: null,
  pendingSession: null,
  lastResult: null,
  stage: null,
}));
