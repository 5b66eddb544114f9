interface Waiter {
  topics: readonly string[];
  resolve: () => void;
}

/**
 * Commands to adopted devices waiting for the device's own state report: a command is confirmed
 * when a message arrives on one of its confirm topics, or answered DEVICE_TIMEOUT when none does
 * in time. Register before publishing the command, so that a fast answer cannot be missed.
 */
export class StateWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** `promise` is true when confirmed, false on timeout; `cancel` drops the wait (the command was not sent). */
  wait(id: string, topics: readonly string[], timeoutMs: number): { promise: Promise<boolean>; cancel: () => void } {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    const waiters = set;
    let w!: Waiter;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<boolean>((res) => {
      w = {
        topics,
        resolve: () => {
          clearTimeout(timer);
          waiters.delete(w);
          res(true);
        },
      };
      timer = setTimeout(() => {
        waiters.delete(w);
        res(false);
      }, timeoutMs);
      waiters.add(w);
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        waiters.delete(w);
      },
    };
  }

  /** A state message for device `id` arrived on `topic`: confirm the commands waiting for it. */
  confirm(id: string, topic: string): void {
    for (const w of [...(this.waiters.get(id) ?? [])]) if (w.topics.includes(topic)) w.resolve();
  }

  /** The device is gone: release everything waiting on it (its commands end as confirmed-then-unknown). */
  release(id: string): void {
    for (const w of this.waiters.get(id) ?? []) w.resolve();
    this.waiters.delete(id);
  }

  releaseAll(): void {
    for (const id of [...this.waiters.keys()]) this.release(id);
  }
}
