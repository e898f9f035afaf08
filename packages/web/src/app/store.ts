import { useLayoutEffect, useState } from 'preact/hooks';

/**
 * A store as code that needs only part of the state sees it (a keychain session, the join screen):
 * the web app's `Store<AppState>` and the extension's smaller store both are one.
 */
export interface StoreLike<T> {
  get(): T;
  set(patch: Partial<T>): void;
  subscribe(listener: (value: T) => void): () => void;
}

/** A minimal observable value: the app's whole state lives in one, screens subscribe with `useStore`. */
export class Store<T> implements StoreLike<T> {
  private listeners = new Set<(value: T) => void>();
  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(patch: Partial<T>): void {
    this.value = { ...this.value, ...patch };
    for (const listener of this.listeners) listener(this.value);
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * The store's value, rendered again on every change. Subscribed in a layout effect, as the component
 * mounts, not after the browser's next paint: a change made before that paint (the vault opened while
 * the first frame was still being drawn) renders at once instead of waiting a frame.
 */
export function useStore<T>(store: StoreLike<T>): T {
  const [value, setValue] = useState(store.get());
  useLayoutEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}
