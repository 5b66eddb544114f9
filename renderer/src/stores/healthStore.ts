import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';
import type { Sample } from '../model/chartScale.js';

export type HealthAggregate = MessageOf<'alicia/health/status'>;
export type HealthAlert = MessageOf<'alicia/health/alert'>;
type BrokerStats = MessageOf<'$SYS/alicia/broker/stats'>;
/** The host's retained record (alicia/system/host): version, LAN listener and certificate fingerprint. */
export type HostInfo = MessageOf<'alicia/system/host'>;
/** The host's retained list of open window sessions (alicia/system/window/sessions). */
export type WindowSessionList = MessageOf<'alicia/system/window/sessions'>;
export type WindowSession = WindowSessionList['sessions'][number];
/** An "End" asked of a window session, pending or answered. */
export interface SessionEndAction {
  pending: boolean;
  ok?: boolean;
  message?: string;
}

/** One sample of a time series (window clock; recorder time for backfilled ones). */
export type { Sample };

/** Keep the last 10 minutes of samples. */
export const SERIES_WINDOW_MS = 10 * 60 * 1000;

interface HealthState {
  aggregate: HealthAggregate | null;
  alerts: HealthAlert[];
  broker: BrokerStats | null;
  host: HostInfo | null;
  windowSessions: WindowSessionList | null;
  /** by session id */
  sessionActions: Record<string, SessionEndAction>;
  /** per series name ("broker.in", "svc.stt.rate", "svc.stt.p95"), samples oldest first */
  series: Record<string, Sample[]>;
}

export const useHealth = create<HealthState>(() => ({
  aggregate: null,
  alerts: [],
  broker: null,
  host: null,
  windowSessions: null,
  sessionActions: {},
  series: {},
}));
