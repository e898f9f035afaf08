import { useState } from 'preact/hooks';
import { letterTile, resolveIcon, type IconMatcher } from '@tessera/vault';
import { iconUrl } from '../app/icons.js';

export interface IssuerIconProps {
  entry: { issuer: string; account: string; icon?: string; sites?: string[] };
  /** undefined while the icon index loads: a blank tile holds the place. */
  matcher: IconMatcher | null | undefined;
}

/**
 * An entry's icon on a tile of its brand colour, or its lettered tile. Decorative: the issuer is
 * named next to it. The SVG is an <img> from this origin, so it cannot run or style anything.
 */
export function IssuerIcon({ entry, matcher }: IssuerIconProps) {
  const [failed, setFailed] = useState<string | null>(null);
  if (matcher === undefined) return <span class="tile" aria-hidden="true" />;
  const resolved = resolveIcon({ entry, matcher });
  // An icon that would not load (offline and never cached) gives way to the letter.
  const view = resolved.kind === 'icon' && failed === resolved.slug ? letterTile(entry) : resolved;
  if (view.kind === 'icon') {
    return (
      <span class="tile" aria-hidden="true" data-icon={view.slug} style={{ background: `#${view.hex}` }}>
        <img src={iconUrl(view)} alt="" width={20} height={20} onError={() => setFailed(view.slug)} />
      </span>
    );
  }
  return (
    <span
      class="tile letter"
      aria-hidden="true"
      data-letter={view.letter}
      style={{ background: `hsl(${view.hue} 42% 38%)` }}
    >
      {view.letter}
    </span>
  );
}
