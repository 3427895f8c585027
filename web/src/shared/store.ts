import { useSyncExternalStore } from 'react';

/** A minimal external store for React (useSyncExternalStore), optionally throttling notifications. */
export class Store<T> {
  private value: T;
  private readonly listeners = new Set<() => void>();
  private readonly throttleMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(initial: T, throttleMs = 0) {
    this.value = initial;
    this.throttleMs = throttleMs;
  }

  get = (): T => this.value;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(next: T): void {
    this.value = next;
    if (this.throttleMs <= 0) {
      this.notify();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.notify();
      }, this.throttleMs);
    }
  }

  update(fn: (current: T) => T): void {
    this.set(fn(this.value));
  }

  private notify(): void {
    this.listeners.forEach((l) => l());
  }
}

export function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
