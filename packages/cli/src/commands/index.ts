import type { Command } from 'commander';
import { register as code } from './code.js';
import { register as uri } from './uri.js';
import { register as importCommand } from './import.js';
import { register as exportCommand } from './export.js';

/** A command module adds its subcommand(s) to the program. Keep imports light: load heavy code in actions. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [code, uri, importCommand, exportCommand];
