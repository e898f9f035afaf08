import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main.js';
import { commandModules } from '../src/commands/index.js';

/** What a run of one command can observe of the root: its options, hooks and that command's help. */
function outline(program: Command, name: string) {
  const command = program.commands.find((c) => c.name() === name);
  return {
    rootOptions: program.options.map((o) => o.flags),
    // Commander keeps hooks privately; a module that hooks the root must not be skipped unnoticed.
    rootHooks: Object.entries(
      (program as unknown as { _lifeCycleHooks: Record<string, unknown[]> })._lifeCycleHooks,
    ).map(([event, hooks]) => `${event} x${hooks.length}`),
    help: command?.helpInformation(),
    subcommands: command?.commands.map((c) => c.name()),
  };
}

describe('loading only the command a run names', () => {
  it('lists each module under the one top-level command it registers', async () => {
    const all = await buildProgram();
    expect(all.commands.map((c) => c.name())).toEqual(commandModules.map((c) => c.name));
    for (const entry of commandModules) {
      const alone = await buildProgram({ args: ['--home', 'x', entry.name, '--help'] });
      expect(
        alone.commands.map((c) => c.name()),
        entry.name,
      ).toEqual([entry.name]);
    }
  });

  it('gives a command the same root options, hooks and help as the full program', async () => {
    const all = await buildProgram();
    for (const { name } of commandModules) {
      expect(outline(await buildProgram({ args: [name] }), name), name).toEqual(outline(all, name));
    }
  });

  it('registers every command for help, an unknown word, or none', async () => {
    for (const args of [[], ['help', 'list'], ['--help'], ['lst'], ['--', 'list'], ['--home', 'list']]) {
      const program = await buildProgram({ args });
      expect(program.commands.length, args.join(' ')).toBe(commandModules.length);
    }
  });
});
