import type { Command } from 'commander';

/** A command module adds its subcommand(s) to the program. Keep imports light: load heavy code in actions. */
export type RegisterCommand = (program: Command) => void;

/** One top-level command: its name and how to load the module that registers it. */
export interface CommandModule {
  name: string;
  load: () => Promise<{ register: RegisterCommand }>;
}

/**
 * Every top-level command in help order. A run that names one command loads only that module, so
 * `tessera list` does not parse the code of `keychain` or `serve` (start-up time, issue 14).
 */
export const commandModules: readonly CommandModule[] = [
  { name: 'code', load: () => import('./code.js') },
  { name: 'uri', load: () => import('./uri.js') },
  { name: 'import', load: () => import('./import.js') },
  { name: 'export', load: () => import('./export.js') },
  { name: 'add', load: () => import('./add.js') },
  { name: 'list', load: () => import('./list.js') },
  { name: 'show', load: () => import('./show.js') },
  { name: 'rm', load: () => import('./rm.js') },
  { name: 'trash', load: () => import('./trash.js') },
  { name: 'rename', load: () => import('./rename.js') },
  { name: 'pin', load: () => import('./pin.js') },
  { name: 'unpin', load: () => import('./unpin.js') },
  { name: 'move', load: () => import('./move.js') },
  { name: 'watch', load: () => import('./watch.js') },
  { name: 'vault', load: () => import('./vault.js') },
  { name: 'serve', load: () => import('./serve.js') },
  { name: 'keychain', load: () => import('./keychain.js') },
  { name: 'sync', load: () => import('./sync.js') },
  { name: 'share', load: () => import('./share.js') },
  { name: 'folder', load: () => import('./folder.js') },
  { name: 'realm', load: () => import('./realm.js') },
  { name: 'backup', load: () => import('./backup.js') },
];
