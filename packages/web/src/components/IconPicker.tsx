import { useState } from 'preact/hooks';
import { ICON_NONE, iconChoiceOf, parseIconChoice, resolveIcon } from '@tessera/vault';
import { useIconMatcher } from '../app/icons.js';
import { IssuerIcon } from './IssuerIcon.js';

export interface IconPickerProps {
  /** The entry as edited so far (its issuer may have changed, which changes the automatic icon). */
  entry: { issuer: string; account: string; icon?: string | undefined; sites?: string[] };
  /** A new choice: undefined for automatic, `"none"`, or `"simple-icons/<slug>"`. */
  onChoose(icon: string | undefined): void;
}

/**
 * The icon part of the edit dialog: what the entry shows and why, a search of the set by name, and
 * "Automatic" or "No icon". The icons of the results load as they are shown, and only those.
 */
export function IconPicker({ entry, onChoose }: IconPickerProps) {
  const matcher = useIconMatcher();
  const [query, setQuery] = useState('');
  const choice = parseIconChoice(entry);
  const shown = resolveIcon({ entry, matcher: matcher ?? null });
  const describe =
    choice.kind === 'none'
      ? 'No icon: a lettered tile.'
      : choice.kind === 'icon'
        ? `Chosen: ${shown.kind === 'icon' ? shown.title : 'an icon this version does not have'}.`
        : shown.kind === 'icon'
          ? `Automatic: ${shown.title}.`
          : 'Automatic: no icon matches, so a lettered tile.';
  const results = matcher ? matcher.search({ query, limit: 8 }) : [];

  return (
    <fieldset class="icon-picker">
      <legend>Icon</legend>
      <p class="icon-now">
        <IssuerIcon entry={entry} matcher={matcher} />
        <span data-testid="icon-choice">{describe}</span>
      </p>
      {matcher === null ? (
        <p class="hint">The list of icons could not be loaded; try again when you are online.</p>
      ) : (
        <>
          <label for="icon-search">Search icons</label>
          <input
            id="icon-search"
            type="search"
            autocomplete="off"
            value={query}
            placeholder="Brand name, e.g. GitHub"
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          />
          {results.length > 0 && (
            <ul class="icon-results">
              {results.map((icon) => (
                <li key={icon.slug}>
                  <button
                    type="button"
                    aria-label={`Use the ${icon.title} icon`}
                    onClick={() => {
                      onChoose(iconChoiceOf(icon));
                      setQuery('');
                    }}
                  >
                    <IssuerIcon entry={{ ...entry, icon: iconChoiceOf(icon) }} matcher={matcher} />
                    {icon.title}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <div class="actions">
        <button type="button" disabled={choice.kind === 'auto'} onClick={() => onChoose(undefined)}>
          Automatic icon
        </button>
        <button type="button" disabled={choice.kind === 'none'} onClick={() => onChoose(ICON_NONE)}>
          No icon
        </button>
      </div>
      <p class="hint">Icons from Simple Icons; brand names and logos belong to their owners.</p>
    </fieldset>
  );
}
