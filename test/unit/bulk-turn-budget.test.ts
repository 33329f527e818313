import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { BulkTurnBudget } from '../../src/gateway/bulk-turn-budget.js';

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('bulk pieces run at once while the turn has budget; past it they wait, in order, for a later turn', async () => {
  let clock = 0;
  const budget = new BulkTurnBudget(1, () => clock);
  assert.equal(budget.take(), null, 'the first piece of a turn always runs');
  clock = 0.5;
  assert.equal(budget.take(), null, 'within the budget');
  clock = 1.5;
  const order: string[] = [];
  const first = budget.take();
  const second = budget.take();
  assert.ok(first !== null && second !== null, 'past the budget, pieces wait');
  void first.then(() => order.push('first'));
  void second.then(() => order.push('second'));
  await nextCheckPhase(); // this turn's check phase: the window closes, nothing is released yet
  assert.deepEqual(order, []);
  assert.ok(budget.take() !== null, 'a new piece queues behind those waiting, whatever the budget');
  await nextCheckPhase(); // the next turn's check phase: released in the order they asked
  assert.deepEqual(order, ['first', 'second']);
});

test("a bulk piece made to wait in an I/O callback goes on only after the next poll has read the sockets (an urgent request's among them)", async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const accepted: Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  const bulkClient = connect(port, '127.0.0.1');
  const urgentClient = connect(port, '127.0.0.1');
  t.after(() => {
    bulkClient.destroy();
    urgentClient.destroy();
  });
  await Promise.all([once(bulkClient, 'connect'), once(urgentClient, 'connect')]);
  while (accepted.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const [bulkSide, urgentSide] = accepted[0]!.remotePort === bulkClient.localPort ? [accepted[0]!, accepted[1]!] : [accepted[1]!, accepted[0]!];

  let clock = 0;
  const budget = new BulkTurnBudget(1, () => clock);
  const events: string[] = [];
  const urgentRead = new Promise<void>((resolve) => urgentSide.once('data', () => { events.push('urgent request read'); resolve(); }));
  const bulkDone = new Promise<void>((resolve) => bulkSide.once('data', () => {
    // A bulk frame, handled in the poll phase: it spends the turn's budget, so the next piece waits.
    assert.equal(budget.take(), null);
    clock += 5;
    const wait = budget.take();
    assert.ok(wait !== null);
    urgentClient.write('otp'); // an urgent request arrives meanwhile, on another socket
    void wait.then(() => { events.push('bulk piece'); resolve(); });
  }));
  bulkClient.write('frame');
  await Promise.all([urgentRead, bulkDone]);
  assert.deepEqual(events, ['urgent request read', 'bulk piece']);
});

test('waitForTurn resolves at once within the budget and after the wait past it', async () => {
  let clock = 0;
  const budget = new BulkTurnBudget(2, () => clock);
  await budget.waitForTurn();
  clock = 3;
  let done = false;
  const waiting = budget.waitForTurn().then(() => (done = true));
  await nextCheckPhase();
  assert.equal(done, false);
  await waiting;
  assert.equal(done, true);
});
