import type { ServiceState } from './tray.js';

/**
 * When to raise an OS notification about a service: when it enters `failed` (the supervisor gave up
 * restarting it: a person has to act) or `crashed` (it died and is being restarted). A service in a
 * crash loop goes crashed -> starting -> crashed every few seconds, so `crashed` is announced at most
 * once per service per `crashQuietMs`; `failed` always is, since it happens once per failure.
 * Pure and clock-injected, so tests drive it directly.
 */
export interface Notice {
  title: string;
  body: string;
  /** failed needs the user; crashed is informational */
  urgency: 'critical' | 'normal';
}

export class ServiceNotices {
  private readonly last = new Map<string, ServiceState['state']>();
  private readonly lastCrashNotice = new Map<string, number>();

  constructor(private readonly crashQuietMs = 5 * 60_000) {}

  /** Feed every service state message; returns the notice to show, if any. */
  observe(
    state: Pick<ServiceState, 'service' | 'state' | 'restarts' | 'last_error' | 'exit_code' | 'exit_signal'>,
    now: number,
  ): Notice | null {
    const prev = this.last.get(state.service);
    this.last.set(state.service, state.state);
    // Retained state replayed at subscribe time is history, not news: the first sighting is silent
    // unless it is a failure happening now (prev undefined + failed would be a stale retained value).
    if (prev === undefined || prev === state.state) return null;
    const why =
      state.last_error ??
      (state.exit_signal ? `killed by ${state.exit_signal}` : state.exit_code != null ? `exit code ${state.exit_code}` : 'no reason given');
    if (state.state === 'failed') {
      return {
        title: `${state.service} has stopped`,
        body: `It crashed ${state.restarts} times and will not be restarted (${why}). Open the Services view to start it again or read its log.`,
        urgency: 'critical',
      };
    }
    if (state.state === 'crashed') {
      const lastAt = this.lastCrashNotice.get(state.service);
      if (lastAt !== undefined && now - lastAt < this.crashQuietMs) return null;
      this.lastCrashNotice.set(state.service, now);
      return { title: `${state.service} crashed`, body: `Restarting it (${why}).`, urgency: 'normal' };
    }
    return null;
  }
}
