/**
 * A first-in first-out queue whose shift() does not move the rest (Array.prototype.shift copies
 * every element down: a shared subscription group's queue of thousands of messages under a burst
 * paid that per delivered message). Items taken from the front are skipped by an index; the array is
 * compacted once the skipped part is both large and most of it.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Put `front` ahead of everything queued, in its order. */
  unshift(front: readonly T[]): void {
    this.items = [...front, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Remove and return everything. */
  clear(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
