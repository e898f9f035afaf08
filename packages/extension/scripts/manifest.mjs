/**
 * The extension's manifest (Manifest V3) for one browser. Every permission is justified in
 * packages/extension/README.md; nothing here lets the extension talk to a host by itself: the
 * keychain server's origin is granted at run time, when the user signs in to it.
 */
export function manifest({ target, version }) {
  const background =
    target === 'firefox'
      ? { scripts: ['background.js'], type: 'module' }
      : { service_worker: 'background.js', type: 'module' };
  return {
    manifest_version: 3,
    name: 'Tessera',
    version,
    description: 'Two-factor codes, filled only on the sites they belong to.',
    icons: { 192: 'icons/icon-192.png', 512: 'icons/icon-512.png' },
    action: { default_popup: 'popup.html', default_title: 'Tessera' },
    background,
    // Code fields can be on any site; the script reads field attributes only (README: "Permissions").
    content_scripts: [
      {
        matches: ['http://*/*', 'https://*/*'],
        js: ['content.js'],
        run_at: 'document_idle',
        all_frames: true,
      },
    ],
    // No host is reachable by default: signing in asks for the keychain server's origin alone
    // (chrome.permissions.request from the sign-in click; README "Permissions").
    optional_host_permissions: ['http://*/*', 'https://*/*'],
    // No `tabs`: a tab's address is read only under `activeTab` (the toolbar button, the fill shortcut) or
    // from a content script's own requests (`sender.url`); README "Permissions".
    permissions: ['activeTab', 'alarms', 'storage'],
    commands: {
      'fill-code': {
        suggested_key: { default: 'Alt+Shift+Y' },
        description: 'Fill the one-time code for this site',
      },
    },
    content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" },
    ...(target === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'extension@tessera.invalid',
              // 140 (the ESR) is the first to read data_collection_permissions; on Android, 142.
              strict_min_version: '140.0',
              // Firefox asks add-ons to declare what they collect: nothing leaves the browser.
              data_collection_permissions: { required: ['none'] },
            },
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {}),
  };
}
