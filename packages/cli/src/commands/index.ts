import type { Command } from 'commander';

/** A command module adds its subcommand(s) to the program. Keep imports light: load heavy code in actions. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
