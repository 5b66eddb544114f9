import type { AliciaConfig } from '../config.js';
import type { SupervisorOptions } from './supervisor.js';

/** The supervisor's restart policy and log files from config.json `supervisor` (the host's and a node's alike). */
export function supervisorSettings(config: AliciaConfig): Pick<SupervisorOptions, 'policy' | 'logFile' | 'servicePool'> {
  const s = config.supervisor;
  return {
    policy: {
      backoffInitialMs: s.backoff_initial_ms,
      backoffMaxMs: s.backoff_max_ms,
      stableMs: s.stable_ms,
      maxCrashes: s.max_crashes,
      crashWindowMs: s.crash_window_ms,
      graceMs: s.grace_ms,
      readyTimeoutMs: s.ready_timeout_ms,
    },
    logFile: { maxBytes: s.log_file_max_bytes, keep: s.log_files_kept },
    servicePool: s.service_pool,
  };
}
