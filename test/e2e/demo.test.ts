import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';

/** `switchboard demo` on a free port, up and listening; killed in t.after if the test did not stop it. */
async function startDemo(t: TestContext): Promise<{ demo: CliProcess; target: string }> {
  const target = `127.0.0.1:${await freePort()}`;
  const demo = startCli(t, ['demo', '--listen', target]);
  const [, address] = await demo.waitForLine(/gateway listening on (\S+)/);
  assert.equal(address, target);
  return { demo, target };
}

test('demo: send prints the message id and every state up to DELIVERED; SIGTERM stops the demo with exit code 0', async (t) => {
  const { demo, target } = await startDemo(t);

  const send = await runCli(t, ['send', '--target', target, '--to', '010-1234-5678', '--template', 'welcome', '--var', 'name=Kim']);
  assert.equal(send.code, 0, `send failed: ${send.stderr}`);
  const lines = send.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^message_id m[0-9a-f]{12}-\w+$/);
  // Each state line is "<ISO time> <STATE>[ <channel> via <provider>][ (<code> <reason>)]".
  const states = lines.slice(1).map((line) => {
    const match = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ([A-Z]+)\b/.exec(line);
    assert.ok(match, `a state line: ${JSON.stringify(line)}`);
    return match[1];
  });
  assert.deepEqual(states, ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  assert.match(lines[2] ?? '', / ROUTED sms via sim-sms-a$/);
  assert.equal(send.stderr, '');

  assert.equal(await demo.terminate(), 0, `demo stderr: ${demo.stderr()}`);
});

test('demo: send with an invalid number exits 2 with the gateway status on stderr', async (t) => {
  const { demo, target } = await startDemo(t);

  const send = await runCli(t, ['send', '--target', target, '--to', '0101234', '--template', 'welcome', '--var', 'name=Kim']);
  assert.equal(send.code, 2);
  assert.equal(send.stderr, 'switchboard: INVALID_ARGUMENT: recipient "0101234" is not a valid Korean mobile number\n');
  assert.equal(send.stdout, '');

  assert.equal(await demo.terminate(), 0, `demo stderr: ${demo.stderr()}`);
});

test('demo: send --night-consent sends advertising at any hour; without --kind advertising the flag is refused', async (t) => {
  const { demo, target } = await startDemo(t);

  // With the recipient's night consent the night window never holds it, so this is DELIVERED whatever the time in Seoul.
  const send = await runCli(t, ['send', '--target', target, '--to', '010-1234-5678', '--kind', 'advertising', '--night-consent', '--body', '봄맞이 이벤트']);
  assert.equal(send.code, 0, `send failed: ${send.stderr}`);
  assert.match(send.stdout, /^\S+ DELIVERED sim-sms-[ab]\b/m);

  const refused = await runCli(t, ['send', '--target', target, '--to', '010-1234-5678', '--night-consent', '--body', '안내']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^switchboard: --night-consent applies only to --kind advertising\n/);
  assert.equal(refused.stdout, '');

  assert.equal(await demo.terminate(), 0, `demo stderr: ${demo.stderr()}`);
});
