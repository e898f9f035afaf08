/**
 * The keychain server this copy of the app talks to. Served by `tessera serve`, that is the origin
 * that served it. Served as static files from another origin (SECURITY.md: who ships the app's code
 * can read the vault), the page names its server at run time, so one build works anywhere:
 * `<meta name="tessera-server" content="https://keys.example.org">` in index.html and share.html.
 */
export function keychainServer(): string {
  const named = document.querySelector<HTMLMetaElement>('meta[name="tessera-server"]')?.content.trim();
  if (!named) return location.origin;
  let url: URL;
  try {
    url = new URL(named);
  } catch {
    throw new Error(
      `<meta name="tessera-server"> must be the keychain server's URL, got ${JSON.stringify(named)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`<meta name="tessera-server"> must be an https:// URL, got ${JSON.stringify(named)}`);
  return url.origin;
}

/**
 * The origin of a keychain server address the user typed (`keys.example.org` means https): where
 * the app is served by no server (the browser extension), the user names it.
 */
export function typedServerOrigin(typed: string): string {
  const text = typed.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new Error(`"${text}" is not a server address (expected e.g. https://keys.example.org).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`The server address must start with https:// (got ${url.protocol}).`);
  return url.origin;
}
