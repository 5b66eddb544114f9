import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

/** One bridge's retained state (alicia/system/bridge/<name>): connection, counters, filters. */
export type BridgeState = MessageOf<'alicia/system/bridge/+'>;

interface BridgesState {
  /** by bridge name */
  bridges: Record<string, BridgeState>;
}

export const useBridges = create<BridgesState>(() => ({ bridges: {} }));
