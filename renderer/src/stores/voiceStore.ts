import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

export type VoiceResult = MessageOf<'alicia/voice/result'>;

/**
 * idle; starting: asking for the microphone; listening: audio is streaming; sending: the utterance
 * ended, waiting for stt's tail; waiting: the session runs; unavailable: no microphone.
 */
type MicState = 'idle' | 'starting' | 'listening' | 'sending' | 'waiting' | 'unavailable';

/** One exchange of the conversation, newest first in `history`. */
export interface HistoryEntry {
  id: string;
  at: number;
  /** what was said or typed ('' when nothing was understood) */
  heard: string;
  typed: boolean;
  result: VoiceResult;
  /** the device commands of `result.devices` were undone from the window */
  undone?: boolean;
}

/** A question waiting for yes/no ("Unlock the front door?"). */
export interface PendingQuestion {
  session_id: string;
  question: string;
  expiresAt: number;
  /** asked about a typed command: answered with buttons, not by listening */
  typed: boolean;
}

interface VoiceState {
  mic: MicState;
  /** 0..1 level for the meter */
  level: number;
  /** why the microphone cannot be used (no device, permission denied, insecure origin) */
  micError: string | null;
  /** what happened to the last attempt, in words (no speech heard, timeout...) */
  notice: string | null;
  pendingSession: string | null;
  lastResult: VoiceResult | null;
  /** live stage of the pending session */
  stage: string | null;
  history: HistoryEntry[];
  question: PendingQuestion | null;
  /** spoken replies are not played */
  muted: boolean;
  /** hands-free: the microphone streams to the wake-word listener while this is on */
  handsFree: boolean;
  /** hands-free: the wake word was just heard, the command is being listened to */
  woke: boolean;
  /** what the recogniser cannot say (alicia/voice/stt/grammar): device words missing from its dictionary */
  unsayable: string[];
}

export const MAX_HISTORY = 50;

export const useVoice = create<VoiceState>(() => ({
  mic: 'idle',
  level: 0,
  micError: null,
  notice: null,
  pendingSession: null,
  lastResult: null,
  stage: null,
  history: [],
  question: null,
  // (no localStorage where the bus router's tests import this store under Node)
  muted: typeof localStorage !== 'undefined' && localStorage.getItem('alicia.voice.muted') === '1',
  handsFree: false,
  woke: false,
  unsayable: [],
}));
