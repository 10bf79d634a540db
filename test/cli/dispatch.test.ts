import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commands } from '../../src/cli/cli.js';
import { cli } from './helpers.js';

describe('livelink command dispatch', () => {
  it('prints the root usage, listing every command, on --help, -h and help', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await cli(argv);
      assert.equal(result.code, 0);
      assert.equal(result.stderr, '');
      assert.ok(result.stdout.startsWith('Usage: livelink <command> [options]\n'), result.stdout);
      for (const command of commands) {
        assert.match(result.stdout, new RegExp(`\\n  ${command.path.join(' ')} +${escape(command.summary)}\\n`));
      }
    }
  });

  it('prints the root usage on stderr and exits 2 without a command', async () => {
    const result = await cli([]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.startsWith('Usage: livelink <command> [options]\n'));
  });

  it("prints each command's usage on --help and through help, exit 0", async () => {
    assert.equal(commands.length, 40);
    for (const command of commands) {
      assert.ok(command.usage.startsWith(`Usage: livelink ${command.path.join(' ')}`), command.usage);
      // Every command keeps its data somewhere, but the migration host, which may run on another machine, the
      // control verbs, which call a running server, and the fixture check, which reads a file only.
      if (['migration-host run', 'fixtures check'].includes(command.path.join(' ')) || command.path[0] === 'control') {
        assert.doesNotMatch(command.usage, /--data/);
      } else assert.match(command.usage, /\n {2}--data DIR +data folder/);
      // A command that is also a group (control clock) adds its subcommands after its usage (the next test).
      const group = commands.some(
        (other) => other.path.length > command.path.length && command.path.every((word, i) => other.path[i] === word),
      );
      for (const argv of [
        [...command.path, '--help'],
        ['help', ...command.path],
        [...command.path, '--bogus', '-h'],
      ]) {
        const result = await cli(argv);
        if (group) {
          assert.deepEqual([result.code, result.stderr], [0, ''], argv.join(' '));
          assert.ok(result.stdout.startsWith(`${command.usage}\nSubcommands:\n`), argv.join(' '));
        } else assert.deepEqual(result, { code: 0, stdout: command.usage, stderr: '' }, argv.join(' '));
      }
    }
  });

  it('lists the subcommands of a group on --help', async () => {
    const result = await cli(['apikey', '--help']);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    assert.match(
      result.stdout,
      /^Usage: livelink apikey <subcommand> \[options\]\n\nSubcommands:\n {2}apikey create +.+\n {2}apikey list +.+\n {2}apikey set-access-list +.+\n\n/,
    );
  });

  it('lists the subcommands of a second-level group on --help and through help', async () => {
    for (const argv of [
      ['control', 'migration', '--help'],
      ['help', 'control', 'migration'],
    ]) {
      assert.deepEqual(
        await cli(argv),
        {
          code: 0,
          stdout:
            'Usage: livelink control migration <subcommand> [options]\n\nSubcommands:\n' +
            '  control migration ready-for-cutover  Make a live migration ready for cutover now\n' +
            '  control migration expire             Expire a live migration now\n\n' +
            'Run `livelink control migration <subcommand> --help` for its options.\n',
          stderr: '',
        },
        argv.join(' '),
      );
    }
    const snapshot = await cli(['control', 'snapshot', '-h']);
    assert.equal(snapshot.code, 0);
    assert.match(
      snapshot.stdout,
      /^Usage: livelink control snapshot <subcommand> \[options\]\n\nSubcommands:\n {2}control snapshot create +.+\n {2}control snapshot list +.+\n {2}control snapshot delete +.+\n\n/,
    );
    assert.deepEqual(await cli(['control', 'migration']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: control migration needs a subcommand: ready-for-cutover, expire (see livelink control migration --help)\n',
    });
    assert.deepEqual(await cli(['control', 'migration', 'pause']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: unknown command "control migration pause" (see livelink --help)\n',
    });
  });

  it('names the subcommands of a command that is also a group after its own help', async () => {
    const clock = await cli(['control', 'clock', '--help']);
    assert.equal(clock.code, 0);
    assert.match(clock.stdout, /^Usage: livelink control clock \[--url URL\]/);
    assert.match(
      clock.stdout,
      /\n\nSubcommands:\n {2}control clock advance +.+\n {2}control clock reset +.+\n\nRun `livelink control clock <subcommand> --help` for their options\.\n$/,
    );
    // A command without subcommands keeps its help as it was.
    assert.doesNotMatch((await cli(['control', 'list-faults', '--help'])).stdout, /Subcommands:/);
  });

  it('exits 2 naming an unknown command', async () => {
    assert.deepEqual(await cli(['frobnicate']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: unknown command "frobnicate" (see livelink --help)\n',
    });
    assert.deepEqual(await cli(['org', 'delete', '--org', 'x']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: unknown command "org delete" (see livelink --help)\n',
    });
    assert.deepEqual(await cli(['--json']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: expected a command before --json (see livelink --help)\n',
    });
  });

  it('exits 2 when a group has no subcommand', async () => {
    assert.deepEqual(await cli(['org']), {
      code: 2,
      stdout: '',
      stderr: 'livelink: org needs a subcommand: create, list, set-require-access-list (see livelink org --help)\n',
    });
  });

  it('exits 2 naming an unknown flag, a missing value, a value on a switch and a stray argument', async () => {
    const cases: [string[], string][] = [
      [['org', 'list', '--bogus'], 'livelink org list: unknown option --bogus (see livelink org list --help)\n'],
      [['org', 'list', '-x'], 'livelink org list: unknown option -x (see livelink org list --help)\n'],
      [['org', 'create', '--name'], 'livelink org create: --name needs a value (see livelink org create --help)\n'],
      [['org', 'create', '--name', '--json'], 'livelink org create: --name needs a value (see livelink org create --help)\n'],
      [['org', 'list', '--json=yes'], 'livelink org list: --json takes no value (see livelink org list --help)\n'],
      [['org', 'list', 'extra'], 'livelink org list: unexpected argument "extra" (see livelink org list --help)\n'],
      [
        ['org', 'set-require-access-list', '--org', 'abc', '--on'],
        'livelink org set-require-access-list: --org must be an id of 24 hex digits (got "abc") (see livelink org set-require-access-list --help)\n',
      ],
    ];
    for (const [argv, stderr] of cases) {
      assert.deepEqual(await cli(argv), { code: 2, stdout: '', stderr }, argv.join(' '));
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
