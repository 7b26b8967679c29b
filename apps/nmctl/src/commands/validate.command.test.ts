import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { captureIo, fixture, NM_DOCS } from '../test-support/capture.js';
import { summaryLine, validateCommand } from './validate.command.js';

describe('nmctl validate', () => {
  it('prints one line per problem and the summary, and exits 1 on an error', async () => {
    const io = captureIo();
    const dir = fixture('validate-mixed');
    const code = await validateCommand([dir], io);
    expect(io.outLines()).toEqual([
      `error ${join(dir, 'receivers.yaml')} Receiver/ops-slack spec.slack.channels: at least one channel is required (or set spec.slack.webhook)`,
      `warning ${join(dir, 'router.yaml')} Router/critical-to-ops spec.receivers.priority: unknown field priority is ignored`,
    ]);
    expect(io.errLines()).toEqual(['1 error, 1 warning in 2 objects']);
    expect(code).toBe(1);
  });

  it('exits 0 with warnings only', async () => {
    const io = captureIo();
    const file = join(fixture('validate-mixed'), 'router.yaml');
    expect(await validateCommand([file], io)).toBe(0);
    expect(io.outLines()).toEqual([`warning ${file} Router/critical-to-ops spec.receivers.priority: unknown field priority is ignored`]);
    expect(io.errLines()).toEqual(['0 errors, 1 warning in 1 object']);
  });

  it("accepts the notification-manager documentation examples, warning that the operator's deployment fields belong in the chart's values", async () => {
    const io = captureIo();
    expect(await validateCommand([NM_DOCS], io)).toBe(0);
    expect(io.outLines()).toEqual([
      expect.stringMatching(/^warning \S+02-notification-manager\.yaml NotificationManager\/notification-manager spec: deployment fields image, imagePullPolicy, replicas, .* set these in the chart's values \(image\.repository/),
      expect.stringMatching(/^warning \S+02-notification-manager\.yaml NotificationManager\/notification-manager spec\.sidecars\.tenant: tenant lookups .* go to http:\/\/localhost:19094\/api\/v2\/tenant .*its container is not deployed here/),
    ]);
    expect(io.errLines()).toEqual(['0 errors, 2 warnings in 60 objects']);
  });

  it('exits 2 without a path, with an unknown option, or with a path that does not exist', async () => {
    const none = captureIo();
    expect(await validateCommand([], none)).toBe(2);
    expect(none.errLines()).toEqual(['nmctl validate: no PATH given', "Run 'nmctl help validate' for usage."]);

    const option = captureIo();
    expect(await validateCommand(['--strict', NM_DOCS], option)).toBe(2);
    expect(option.errLines()[0]).toBe('nmctl validate: unknown option --strict');

    const missing = captureIo();
    const path = fixture('does-not-exist');
    expect(await validateCommand([path], missing)).toBe(2);
    expect(missing.errLines()[0]).toBe(`nmctl validate: ${path}: no such file or directory`);
    expect(missing.out()).toBe('');
  });

  it('prints its help with --help', async () => {
    const io = captureIo();
    expect(await validateCommand(['--help'], io)).toBe(0);
    expect(io.outLines()[0]).toBe('Usage: nmctl validate PATH...');
  });
});

describe('summaryLine', () => {
  it('uses singular forms for one', () => {
    expect(summaryLine(1, 1, 1)).toBe('1 error, 1 warning in 1 object');
    expect(summaryLine(3, 0, 12)).toBe('3 errors, 0 warnings in 12 objects');
  });
});
