import { describe, expect, it } from '@jest/globals';
import { captureIo, fixture } from '../test-support/capture.js';
import { ROUTE_HELP, USAGE, VALIDATE_HELP } from './help.command.js';
import { runNmctl } from './nmctl.command.js';

describe('nmctl', () => {
  it('prints the usage with --help, -h and help, and exits 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const io = captureIo();
      expect(await runNmctl(argv, io)).toBe(0);
      expect(io.out()).toBe(`${USAGE}\n`);
      expect(io.err()).toBe('');
    }
  });

  it('prints the help of a command', async () => {
    const route = captureIo();
    expect(await runNmctl(['help', 'route'], route)).toBe(0);
    expect(route.out()).toBe(`${ROUTE_HELP}\n`);
    const validate = captureIo();
    expect(await runNmctl(['validate', '-h'], validate)).toBe(0);
    expect(validate.out()).toBe(`${VALIDATE_HELP}\n`);
  });

  it('exits 2 without a command, with an unknown command, or asking help for one', async () => {
    const none = captureIo();
    expect(await runNmctl([], none)).toBe(2);
    expect(none.err()).toBe(`${USAGE}\n`);

    const unknown = captureIo();
    expect(await runNmctl(['lint', 'x'], unknown)).toBe(2);
    expect(unknown.errLines()).toEqual(['nmctl: unknown command lint', "Run 'nmctl --help' for usage."]);

    const help = captureIo();
    expect(await runNmctl(['help', 'lint'], help)).toBe(2);
    expect(help.errLines()[0]).toBe('nmctl help: unknown command lint');
  });

  it('dispatches to the commands', async () => {
    const io = captureIo();
    expect(await runNmctl(['validate', fixture('validate-mixed')], io)).toBe(1);
    expect(io.errLines()).toEqual(['1 error, 1 warning in 2 objects']);
  });
});
