import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

type ServiceStateMsg = MessageOf<'alicia/system/services/+'>;
type HeartbeatMsg = MessageOf<'alicia/health/heartbeat/+'>;
type MetricsMsg = MessageOf<'alicia/health/status/+'>;

export interface ServiceRow {
  name: string;
  state?: ServiceStateMsg;
  heartbeat?: HeartbeatMsg;
  /** when the window received the last heartbeat (its clock, so the age is not skewed) */
  heartbeatAt?: number;
  metrics?: MetricsMsg;
}

export interface LogLine {
  at: number;
  stream: string;
  text: string;
}

export interface ServiceAction {
  action: 'start' | 'stop' | 'restart';
  pending: boolean;
  ok?: boolean;
  message?: string;
  at: number;
}

export const LOG_LINES_PER_SERVICE = 1000;

interface ServicesState {
  services: Record<string, ServiceRow>;
  logs: Record<string, LogLine[]>;
  actions: Record<string, ServiceAction>;
}

export const useServices = create<ServicesState>(() => ({ services: {}, logs: {}, actions: {} }));
