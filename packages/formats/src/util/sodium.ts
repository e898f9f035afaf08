import type * as Sodium from 'libsodium-wrappers-sumo';

let loading: Promise<typeof Sodium> | undefined;

/** libsodium (WASM), loaded on first use only: the CLI's start time does not pay for it. */
export function loadSodium(): Promise<typeof Sodium> {
  loading ??= import('libsodium-wrappers-sumo').then(async (m) => {
    const sodium = (m as unknown as { default: typeof Sodium }).default ?? m;
    await sodium.ready;
    return sodium;
  });
  return loading;
}
