import type { Command } from 'commander';
import { register as code } from './code.js';
import { register as uri } from './uri.js';
import { register as importCommand } from './import.js';
import { register as exportCommand } from './export.js';
import { register as add } from './add.js';
import { register as list } from './list.js';
import { register as show } from './show.js';
import { register as rm } from './rm.js';
import { register as rename } from './rename.js';
import { register as watch } from './watch.js';
import { register as vault } from './vault.js';
import { register as keychain } from './keychain.js';
import { register as sync } from './sync.js';
import { register as serve } from './serve.js';
import { register as share } from './share.js';
import { register as realm } from './realm.js';
import { register as backup } from './backup.js';

/** A command module adds its subcommand(s) to the program. Keep imports light: load heavy code in actions. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  code,
  uri,
  importCommand,
  exportCommand,
  add,
  list,
  show,
  rm,
  rename,
  watch,
  vault,
  serve,
  keychain,
  sync,
  share,
  realm,
  backup,
];
