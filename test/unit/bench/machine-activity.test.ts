// The bench's quiet-machine measure: CPU burnt by a process this one started counts as the run's
// own, CPU burnt by a process outside its tree counts as other work. Each burner spins until it
// has used 500 ms of CPU, so the figures hold however busy the machine is (other tests only add).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { machineSnapshot, otherWorkBetween, type MachineSnapshot } from '../../../bench/lib/machine-activity.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Spins until this process has used 500 ms of CPU, then touches `done` (when given). */
const BURN = `const start = process.cpuUsage(); while (process.cpuUsage(start).user < 500_000); if (process.argv[1]) require('fs').writeFileSync(process.argv[1], '');`;

/** Where a burner says it has burnt its share: a file in a directory removed after the test. */
function doneFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'machine-activity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'done');
}

function snapshot(): MachineSnapshot {
  const s = machineSnapshot();
  assert.ok(s !== null, 'this machine has /proc');
  return s;
}

test('CPU used by a child process that has exited is the run own work', () => {
  const from = snapshot();
  const child = spawnSync(process.execPath, ['-e', BURN], { stdio: 'ignore' });
  assert.equal(child.status, 0);
  const to = snapshot();
  // 500 ms of user time is 50 ticks at USER_HZ 100; node's start-up adds to it.
  assert.ok(to.ownTicks - from.ownTicks >= 45, `own ticks grew by ${to.ownTicks - from.ownTicks}`);
});

test('CPU used by a child process still running (the gateway under test) is the run own work', async (t) => {
  const done = doneFile(t);
  const from = snapshot();
  // Burns, says so, then stays alive until killed: its time is only in its own /proc entry.
  const child = spawn(process.execPath, ['-e', `${BURN} setInterval(() => {}, 1000);`, done], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await waitFor(() => existsSync(done), 20_000, 'the child burner to finish burning');
  const to = snapshot();
  assert.ok(to.ownTicks - from.ownTicks >= 45, `own ticks grew by ${to.ownTicks - from.ownTicks}`);
});

test('CPU used by a process outside this tree is other work', async (t) => {
  const done = doneFile(t);
  const from = snapshot();
  // The shell starts the burner in the background and exits: the burner is reparented away from us.
  const shell = spawn('sh', ['-c', `"$0" -e "$1" "$2" >/dev/null 2>&1 &`, process.execPath, BURN, done], { stdio: 'ignore' });
  await new Promise((resolve) => shell.once('exit', resolve));
  await waitFor(() => existsSync(done), 20_000, 'the outside burner to finish');
  const to = snapshot();
  const otherTicks = to.busyTicks - from.busyTicks - (to.ownTicks - from.ownTicks);
  assert.ok(otherTicks >= 45, `other work grew by ${otherTicks} ticks`);
  const work = otherWorkBetween(from, to);
  assert.ok(work.otherCpuPct > 0 && work.otherCpuPct <= 100, JSON.stringify(work));
  assert.ok(work.stealPct >= 0 && work.stealPct <= 100, JSON.stringify(work));
});
