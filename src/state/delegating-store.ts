/**
 * A store that forwards to whichever store `current()` returns, and runs `onClose` when
 * closed. The coordinator hands one out so callers survive a ZooKeeper session being
 * replaced; one-shot commands use it to close the session they opened.
 */
import type { StateOperation, StateStore, Versioned } from './types.js';

export class DelegatingStore implements StateStore {
  constructor(
    private readonly current: () => StateStore,
    private readonly onClose: () => Promise<void> | void = () => {},
  ) {}

  get kind(): string {
    return this.current().kind;
  }

  get<T = unknown>(key: string): Promise<Versioned<T> | null> {
    return this.current().get<T>(key);
  }

  getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | null)[]> {
    return this.current().getMany<T>(keys);
  }

  put(key: string, value: unknown, expectedVersion?: number | null): Promise<number> {
    return this.current().put(key, value, expectedVersion);
  }

  delete(key: string, expectedVersion?: number): Promise<void> {
    return this.current().delete(key, expectedVersion);
  }

  list(prefix: string): Promise<string[]> {
    return this.current().list(prefix);
  }

  transaction(operations: StateOperation[]): Promise<void> {
    return this.current().transaction(operations);
  }

  locate(key: string): string {
    return this.current().locate(key);
  }

  setAside(key: string, into: string): Promise<string | null> {
    return this.current().setAside(key, into);
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}
