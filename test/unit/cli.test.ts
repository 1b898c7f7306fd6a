import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { main, program, type CliOutput } from '../../cli/main.js';
import { ActionableError } from '../../runtime/errors.js';

/** `baton` in process, with help and parser errors captured; only the parser runs, never an action. */
async function baton(...argv: string[]) {
  let out = '';
  let err = '';
  const io: CliOutput = { out: (t) => (out += t), err: (t) => (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}

/** Every command path of the CLI, e.g. ['keys', 'create'], found by walking the program itself. */
function commandPaths(): string[][] {
  const walk = (c: Command, prefix: string[]): string[][] =>
    c.commands.flatMap((sub) => [[...prefix, sub.name()], ...walk(sub, [...prefix, sub.name()])]);
  return walk(program().cli, []);
}

describe('baton CLI', () => {
  const paths = commandPaths();

  it('knows every documented command', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining([
      'start', 'worker', 'api', 'migrate', 'keys', 'keys create', 'keys list', 'keys revoke', 'rehearse', 'tools', 'tools ensure',
    ]));
  });

  it.each(paths.map((p) => [p.join(' '), p]))('`baton %s --help` and `-h` print its usage and exit 0 without running it', async (_name, p) => {
    for (const flag of ['--help', '-h']) {
      const r = await baton(...(p as string[]), flag);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toContain(`Usage: baton ${(p as string[]).join(' ')}`);
    }
  });

  it('`baton help <command>` is the same help', async () => {
    const r = await baton('help', 'rehearse');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: baton rehearse [options] [scenario]');
    expect(r.out).toContain('--portfolio <n>');
    expect(r.out).toContain('--json');
  });

  it('prints its version', async () => {
    for (const flag of ['--version', '-v']) expect(await baton(flag)).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it.each([
    [['bogus'], "error: unknown command 'bogus'"],
    [['start', '--bogus'], "error: unknown option '--bogus'"],
    [['keys', 'create', '--name', 'x', '--role', 'root'], "error: option '--role <role>' argument 'root' is invalid. Allowed choices are admin, ops, automation, manager."],
    [['keys', 'create', '--role', 'ops'], "error: required option '--name <name>' not specified"],
    [['keys', 'revoke'], "error: missing required argument 'id'"],
    [['rehearse'], 'error: give one scenario file, or --portfolio N'],
    [['rehearse', 'a.yaml', '--portfolio', '3'], 'error: give one scenario file, or --portfolio N'],
    [['rehearse', 'a.yaml', '--days', '30'], 'error: --segments, --processes, --days, --start and --policy go with --portfolio'],
    [['rehearse', '--portfolio', 'many'], "error: option '--portfolio <n>' argument 'many' is invalid. a whole number."],
    [['rehearse', '--portfolio', '3', '--stall-timeout', '1'], "error: option '--stall-timeout <seconds>' argument '1' is invalid. a whole number of at least 5."],
    [['rehearse', '--portfolio', '3', '--max-cached-workflows', '1'], "error: option '--max-cached-workflows <n>' argument '1' is invalid. a whole number of at least 2."],
    [['rehearse', '--portfolio', '3', '--summary', '--full'], "error: option '--summary' cannot be used with option '--full'"],
    [['rehearse', 'a.yaml', 'b.yaml'], 'error: too many arguments'],
  ])('a usage error (%j) is one line naming the problem, exit 2', async (argv, message) => {
    const r = await baton(...argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a command group without its subcommand shows its help as a usage error', async () => {
    const r = await baton('keys');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: baton keys');
  });

  it('no command at all shows the help as a usage error', async () => {
    const r = await baton();
    expect(r.code).toBe(2);
    expect(r.err).toContain('Commands:');
  });

  it('a missing scenario file is a problem to fix, named in one line (the command prints its message alone, exit 1)', async () => {
    const failure = await baton('rehearse', 'docs/scenarios/nope.yaml').then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(ActionableError);
    expect((failure as Error).message).toBe('Scenario file not found: docs/scenarios/nope.yaml (examples: docs/scenarios/).');
  });
});
