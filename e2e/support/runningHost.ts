import { afterAll, beforeAll } from 'vitest';
import { Host } from './host.js';

/**
 * One whole host for a test file: started (every service running) before its tests, stopped after
 * them. `keepEnv` names an environment variable that, set to "1", keeps the host's data dir and logs
 * for a post-mortem. `use` receives the host once it runs.
 */
export function useRunningHost(use: (host: Host) => void, keepEnv?: string): void {
  let host: Host | undefined;
  beforeAll(async () => {
    host = await Host.start();
    await host.allRunning();
    use(host);
  }, 120_000);
  afterAll(async () => {
    await host?.stop({ keep: keepEnv !== undefined && process.env[keepEnv] === '1' });
  });
}
