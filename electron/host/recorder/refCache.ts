/** Interned strings kept in memory; past this a cache starts over (the tables hold them all). */
const MAX_CACHED_REFS = 100_000;

/**
 * The refs of strings the tables hold and were seen lately: topic -> topics.ref and trace or
 * session id -> refs.ref. Inserts fill it, retention forgets what it deletes, reads look up in it
 * before asking the database.
 */
export class RefCache {
  readonly topics = new Map<string, number>();
  readonly keys = new Map<string, number>();

  /** Cache a ref (the cache starts over when full: the tables hold every ref anyway). */
  static remember(cache: Map<string, number>, key: string, ref: number): number {
    if (cache.size >= MAX_CACHED_REFS) cache.clear();
    cache.set(key, ref);
    return ref;
  }

  /** Forget every ref: an insert transaction rolled back, so refs created in it may be handed out again. */
  clear(): void {
    this.topics.clear();
    this.keys.clear();
  }
}
