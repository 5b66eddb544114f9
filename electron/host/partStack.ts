/** One piece of the host or the desktop app that is started once and stopped at the end. */
export interface Part {
  readonly name: string;
  start(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/**
 * The parts of the host core and of the desktop app, started in order and stopped in reverse, the way
 * Zigbee2MQTT's controller runs its extensions: a part that fails to start stops the start (the ones before it stay started,
 * for stop() to undo), and a part that fails to stop is reported while the next one still stops.
 */
export class PartStack {
  private readonly started: Part[] = [];

  constructor(private readonly onStopError: (part: string, error: unknown) => void) {}

  /** Start each part in turn; rejects with the first failure. */
  async start(parts: readonly Part[]): Promise<void> {
    for (const part of parts) {
      await part.start();
      this.started.push(part);
    }
  }

  /** Record a part the caller has already started (its start needed the parts before it), to be stopped in turn. */
  track(name: string, stop: () => void | Promise<void>): void {
    this.started.push({ name, start: () => undefined, stop });
  }

  /** Stop the started parts, last first. Resolves true if every one stopped cleanly; can run twice. */
  async stop(): Promise<boolean> {
    let clean = true;
    for (const part of this.started.splice(0).reverse()) {
      try {
        await part.stop?.();
      } catch (e) {
        clean = false;
        this.onStopError(part.name, e);
      }
    }
    return clean;
  }
}
