import { useState } from 'preact/hooks';
import type { VaultEntry } from '@tessera/vault';

/** Splits "work, bank ,  personal" into clean, unique tags. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** The labels both entry dialogs edit (an entry of this device's own, or of a shared folder), as typed. */
export interface Labels {
  issuer: string;
  account: string;
  /** Comma-separated, as typed. */
  tags: string;
}

/** The labels of `entry`, as the fields start. */
export function useLabels(entry: VaultEntry): [Labels, (next: Labels) => void] {
  return useState<Labels>({ issuer: entry.issuer, account: entry.account, tags: entry.tags.join(', ') });
}

/** The entry patch the typed labels make (trimmed, tags split). */
export function labelPatch(labels: Labels): { issuer: string; account: string; tags: string[] } {
  return { issuer: labels.issuer.trim(), account: labels.account.trim(), tags: parseTags(labels.tags) };
}

/** Issuer, account and tags inputs; `id` prefixes the input ids (one dialog at a time, unique labels). */
export function LabelFields(props: { id: string; labels: Labels; onLabels(next: Labels): void }) {
  const { id, labels, onLabels } = props;
  const input = (field: keyof Labels) => (e: Event) =>
    onLabels({ ...labels, [field]: (e.target as HTMLInputElement).value });
  return (
    <>
      <label for={`${id}-issuer`}>Issuer</label>
      <input id={`${id}-issuer`} value={labels.issuer} onInput={input('issuer')} />
      <label for={`${id}-account`}>Account</label>
      <input id={`${id}-account`} value={labels.account} onInput={input('account')} />
      <label for={`${id}-tags`}>
        Tags <span class="hint">separated by commas</span>
      </label>
      <input id={`${id}-tags`} value={labels.tags} onInput={input('tags')} />
    </>
  );
}
