import { create } from 'zustand';
import type { MessageOf } from '../../../services/lib/protocol/topics.js';

type ServiceStateMsg = MessageOf<'alicia/system/services/+'>;
type HeartbeatMsg = MessageOf<'alicia/health/heartbeat/+'>;
type MetricsMsg = MessageOf<'alicia/health/status/+'>;

export interface ServiceRow {
  name: string;
  /** the service node running this instance (`alicia node`); absent for the host's own */
  node?: string;
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
  /** the process run it came from (or, for supervisor lines, was about); null when the host did not say */
  pid: number | null;
  /** which start of the service by its supervisor (threads of the shared process keep its pid across runs); absent from older hosts */
  run?: number;
}

export interface ServiceAction {
  action: 'start' | 'stop' | 'restart';
  pending: boolean;
  ok?: boolean;
  /** what the supervisor answered ("stop: stopped") */
  message?: string;
  /** why it failed: its code, and the message for the detail line */
  error?: { code: string; message: string };
  at: number;
}

export const LOG_LINES_PER_SERVICE = 1000;

/** A service node as its retained record says (alicia/system/nodes/<name>). */
export interface NodeInfo {
  online: boolean;
  /** the instance ids of the services it runs (keys of `services`), in its order */
  instances: string[];
}

interface ServicesState {
  /** by instance id: the host's by service name, a node's as `<service>@<node>` */
  services: Record<string, ServiceRow>;
  nodes: Record<string, NodeInfo>;
  logs: Record<string, LogLine[]>;
  actions: Record<string, ServiceAction>;
}

export const useServices = create<ServicesState>(() => ({ services: {}, nodes: {}, logs: {}, actions: {} }));
