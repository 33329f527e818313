import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FORGET_IDLE_CONSUMERS_SCRIPT } from '../../src/store/redis-lease-scripts.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreFullError, StoreUnavailableError } from '../../src/store/store-errors.js';
import { describeOptOutList } from '../conformance/opt-out-list.suite.js';
import { describeStore, makeAccepted } from '../conformance/store.suite.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { fullGc } from '../helpers/full-gc.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { redisStoreSettings } from '../helpers/redis-store-settings.js';
import { stderrLinesDuring } from '../helpers/capture-stderr.js';
import { timeoutSignal } from '../helpers/timeout-signal.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(() => redis.destroy());

describeStore('redis', async ({ maxQueuedMessages }) => {
  // One shard here so the queue limit is exact; sharding has tests of its own below.
  const store = await RedisStore.connect(redisStoreSettings(redis.url, { maxQueuedMessages, shards: 1 }));
  return { store, cleanup: () => store.close() };
});

// The same contract with message contents sealed (store.encryption): nothing the store promises may change.
describeStore('redis, contents sealed', async ({ maxQueuedMessages }) => {
  const encryption = { keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }], sealWith: 'k1' };
  const store = await RedisStore.connect(redisStoreSettings(redis.url, { maxQueuedMessages, shards: 1, encryption }));
  return { store, cleanup: () => store.close() };
});

describeOptOutList('redis', async () => {
  const list = await RedisStore.connect(redisStoreSettings(redis.url));
  return { list, cleanup: () => list.close() };
});

describeOptOutList('redis, numbers hashed', async () => {
  const encryption = { keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }], sealWith: 'k1' };
  const list = await RedisStore.connect(redisStoreSettings(redis.url, { encryption }));
  return { list, cleanup: () => list.close() };
});

describe('redis store', () => {
  test('warns at start when Redis is not set up for the configured durability (RELIABILITY A4)', async () => {
    const admin = redis.client();
    const warningsOf = async (durability: 'local' | 'replicated'): Promise<string[]> => {
      const lines = await stderrLinesDuring(async () => {
        const store = await RedisStore.connect(redisStoreSettings(redis.url, { durability }));
        await store.close();
      });
      return lines.filter((line) => line.includes('not set up for the configured durability')).map((line) => String((JSON.parse(line) as { warning: string }).warning));
    };
    // The test Redis runs without persistence.
    const [none] = await warningsOf('local');
    assert.match(none ?? '', /runs with appendonly no: a Redis restart loses every queued and acknowledged message/);
    await admin.config('SET', 'appendonly', 'yes');
    try {
      await admin.config('SET', 'appendfsync', 'everysec');
      assert.match((await warningsOf('local'))[0] ?? '', /runs with appendfsync everysec: a Redis crash loses up to a second of acknowledged messages/);
      await admin.config('SET', 'appendfsync', 'always');
      assert.deepEqual(await warningsOf('local'), []);
    } finally {
      await admin.config('SET', 'appendonly', 'no');
    }
    assert.match((await warningsOf('replicated'))[0] ?? '', /has no replica connected: with store.durability "replicated" every send fails with UNAVAILABLE/);
  });

  test('refuses a Redis whose maxmemory-policy may evict keys, and says what to set', async () => {
    const admin = redis.client();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      await assert.rejects(RedisStore.connect(redisStoreSettings(redis.url)), {
        message:
          'Redis maxmemory-policy is "allkeys-lru": it may evict queued messages. Set "maxmemory-policy noeviction" (CONFIG SET maxmemory-policy noeviction, and in redis.conf) before starting the gateway.',
      });
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  test('message ids carry their shard and messages spread over the shards', async (t) => {
    const store = await RedisStore.connect(redisStoreSettings(redis.url, { shards: 4 }));
    t.after(() => store.close());
    const outcomes = await store.enqueue(Array.from({ length: 64 }, () => makeAccepted()));
    const shards = new Set(outcomes.map((o) => (o.kind === 'accepted' ? o.messageId.split('.').pop() : 'x')));
    assert.deepEqual([...shards].sort(), ['0', '1', '2', '3']);
  });

  test('running the same enqueue twice (a client-library resend) stores one queue entry per message', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    const batch = [makeAccepted(), makeAccepted({ clientRef: 'resend-1' })];
    const first = await store.enqueue(batch);
    const second = await store.enqueue(batch);
    assert.deepEqual(second, first);
    assert.equal(await redis.client().xlen(`${settings.keyPrefix}:{s0}:q:normal`), 2);
  });

  test('a client_ref taken before fingerprints were stored (the key holds the bare id) still answers repeats as duplicates', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    const [first] = await store.enqueue([makeAccepted({ clientRef: 'legacy-1' })]);
    assert.equal(first?.kind, 'accepted');
    const refKey = `${settings.keyPrefix}:{s0}:ref:tenant-a:legacy-1`;
    const value = (await redis.client().get(refKey)) ?? '';
    assert.match(value, /^[^\t]+\t[A-Za-z0-9_-]{22}$/, 'message id, tab, fingerprint');
    // As a node of the version before wrote it: the id alone. A different message cannot be told apart then.
    await redis.client().set(refKey, value.split('\t')[0]!, 'PX', 60_000);
    const [repeat] = await store.enqueue([makeAccepted({ clientRef: 'legacy-1', recipient: '+821099998888' })]);
    assert.deepEqual(repeat, { kind: 'duplicate', messageId: first?.kind === 'accepted' ? first.messageId : '' });
  });

  test('A11: the link to Redis reset while the answer to an enqueue is on its way: one queue entry per message, whatever ioredis resends', async (t) => {
    const proxy = await startFaultProxy(`127.0.0.1:${redis.port}`);
    t.after(() => proxy.close());
    const settings = redisStoreSettings(`redis://${proxy.address}`, { shards: 1, commandTimeoutMs: 3000 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    const batch = Array.from({ length: 50 }, (_, i) => makeAccepted({ clientRef: `a11-${i}` }));

    // Each chunk takes 300 ms through the proxy: the script has run on Redis by ~300 ms and its
    // answer would reach the client at ~600 ms. The reset lands in between.
    proxy.setLatency(300);
    const first = store.enqueue(batch).then(
      (outcomes) => ({ outcomes, error: null }),
      (error: unknown) => ({ outcomes: null, error }),
    );
    await new Promise((resolve) => setTimeout(resolve, 450));
    const resetsBefore = proxy.accepted;
    proxy.reset();
    proxy.resume();
    const answer = await first;
    await waitFor(() => proxy.accepted > resetsBefore, 5_000, 'ioredis reconnected');

    const queue = `${settings.keyPrefix}:{s0}:q:normal`;
    // An answer after the reset can only come from ioredis resending the script on the new
    // connection: it ran twice, and each message is still queued once.
    assert.equal(await redis.client().xlen(queue), batch.length, 'each message is queued once');
    // Sent or refused, the client retry (same client_refs) finds the stored messages and adds nothing.
    const retry = await store.enqueue(batch.map((m) => ({ ...m, messageId: `${m.messageId}-retry` })));
    assert.ok(retry.every((o) => o.kind === 'duplicate'), JSON.stringify(retry.slice(0, 3)));
    if (answer.error === null) {
      assert.deepEqual(retry.map((o) => (o.kind === 'duplicate' ? o.messageId : '')), answer.outcomes?.map((o) => (o.kind === 'accepted' ? o.messageId : '?')));
    } else {
      assert.ok(answer.error instanceof StoreUnavailableError, String(answer.error));
    }
    assert.equal(await redis.client().xlen(queue), batch.length);
  });

  test('an idle claim and an idle report read go on polling across a full GC: what another node writes reaches them', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1 });
    const idle = await RedisStore.connect(settings);
    const other = await RedisStore.connect(settings);
    t.after(() => Promise.all([idle.close(), other.close()]));
    const claiming = idle.claim(10, timeoutSignal(5000));
    const reading = idle.readReports('tenant-a', '', 10, timeoutSignal(5000));
    // Both are in their poll waits now; a full GC then (with AbortSignal.any([signal,
    // AbortSignal.timeout(ms)]) as the wait, it collected the timeout and the polls never came back).
    await sleep(50);
    fullGc();
    await sleep(50);
    const [outcome] = await other.enqueue([makeAccepted()]);
    const startedMs = Date.now();
    const claimed = await claiming;
    assert.equal(claimed[0]?.message.messageId, outcome?.kind === 'accepted' ? outcome.messageId : '?');
    assert.ok(Date.now() - startedMs < 2000, `claimed ${Date.now() - startedMs} ms after the other node's enqueue`);
    const reports = await reading;
    assert.equal(reports[0]?.status?.state, 'accepted');
  });

  test('a message held by a node that died is claimed by another node with the same id', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1, claimIdleMs: 200, maxDeliveries: 5 });
    const dying = await RedisStore.connect(settings);
    const survivor = await RedisStore.connect(settings);
    t.after(() => Promise.all([dying.close(), survivor.close()]));
    const [outcome] = await survivor.enqueue([makeAccepted()]);
    const id = outcome?.kind === 'accepted' ? outcome.messageId : '';
    const [held] = await dying.claim(10, timeoutSignal(2000));
    assert.equal(held?.message.messageId, id);

    // "dying" never completes it and stops renewing its claim (it died). After claimIdle, the survivor takes it over.
    await dying.close();
    let taken: Awaited<ReturnType<RedisStore['claim']>> = [];
    for (let tries = 0; taken.length === 0 && tries < 40; tries++) taken = await survivor.claim(10, timeoutSignal(500));
    assert.equal(taken[0]?.message.messageId, id);
    assert.equal(taken[0]?.deliveryCount, 3); // the first hand-out, the takeover, then the claim of the requeued entry
    await survivor.complete([id]);
    assert.deepEqual(await survivor.claim(10, timeoutSignal(300)), []);
  });

  test('E3: nodes that die one after another leave no consumers behind once their claims are taken over, and nothing is lost', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1, claimIdleMs: 200, maxDeliveries: 10 });
    const lane = `${settings.keyPrefix}:{s0}:q:normal`;
    const consumers = async (): Promise<{ name: string; pending: number }[]> =>
      ((await redis.client().xinfo('CONSUMERS', lane, 'dispatch')) as unknown[][]).map((fields) => ({ name: String(fields[1]), pending: Number(fields[3]) }));
    const survivor = await RedisStore.connect(settings);
    t.after(() => survivor.close());
    const outcomes = await survivor.enqueue(Array.from({ length: 5 }, () => makeAccepted()));
    const ids = outcomes.map((o) => (o.kind === 'accepted' ? o.messageId : ''));
    // A restart storm: each node claims one message and dies holding it.
    for (let i = 0; i < 5; i++) {
      const node = await RedisStore.connect(settings);
      assert.equal((await node.claim(1, timeoutSignal(2000))).length, 1);
      await node.close();
    }
    assert.equal((await consumers()).length, 5, 'one consumer per dead node');

    // The survivor takes the messages over, then forgets the dead consumers (ten claimIdles later).
    const taken = new Set<string>();
    for (let tries = 0; tries < 60 && (taken.size < 5 || (await consumers()).length > 1); tries++) {
      const claimed = await survivor.claim(10, timeoutSignal(200));
      for (const c of claimed) taken.add(c.message.messageId);
      await survivor.complete(claimed.map((c) => c.message.messageId));
    }
    assert.deepEqual([...taken].sort(), [...ids].sort(), 'every message held by a dead node was taken over');
    const left = await consumers();
    assert.equal(left.length, 1, JSON.stringify(left));
    assert.equal(left[0]?.pending, 0);
  });

  test('E3: forgetting consumers spares one that holds a claim, however idle, and the caller itself', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    await store.enqueue([makeAccepted()]);
    const lane = `${settings.keyPrefix}:{s0}:q:normal`;
    const client = redis.client();
    await client.xreadgroup('GROUP', 'dispatch', 'holder', 'COUNT', 1, 'STREAMS', lane, '>');
    // (A read that finds nothing makes no consumer: these two are made as such.)
    await client.xgroup('CREATECONSUMER', lane, 'dispatch', 'empty');
    await client.xgroup('CREATECONSUMER', lane, 'dispatch', 'me');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const forgotten = await client.eval(FORGET_IDLE_CONSUMERS_SCRIPT, 1, lane, 'dispatch', 'me', 20);
    assert.equal(forgotten, 1);
    const names = ((await client.xinfo('CONSUMERS', lane, 'dispatch')) as unknown[][]).map((fields) => String(fields[1])).sort();
    assert.deepEqual(names, ['holder', 'me']);
    assert.equal(await client.eval(FORGET_IDLE_CONSUMERS_SCRIPT, 1, lane, 'dispatch', 'me', 60_000), 0, 'not idle long enough');
  });

  test('a live node keeps its claims while it works on them: a batch held past claimIdle is not taken over', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1, claimIdleMs: 300, maxDeliveries: 5 });
    const slow = await RedisStore.connect(settings);
    const other = await RedisStore.connect(settings);
    t.after(() => Promise.all([slow.close(), other.close()]));
    const [outcome] = await other.enqueue([makeAccepted()]);
    const id = outcome?.kind === 'accepted' ? outcome.messageId : '';
    const [held] = await slow.claim(10, timeoutSignal(2000));
    assert.equal(held?.message.messageId, id);
    // Five times claimIdle: the other node looks for idle claims all the while and finds none.
    assert.deepEqual(await other.claim(10, timeoutSignal(1500)), []);
    const [pending] = (await redis.client().xpending(`${settings.keyPrefix}:{s0}:q:normal`, 'dispatch', '-', '+', 10)) as [string, string, number, number][];
    assert.equal(pending?.[3], 1, 'renewing is not a delivery');
    await slow.complete([id]);
    assert.deepEqual(await other.claim(10, timeoutSignal(400)), []);
  });

  test('messages read on one shard are not held when the same claim fails on another shard: another node takes them over', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 2, claimIdleMs: 300, maxDeliveries: 5 });
    const failing = await RedisStore.connect(settings);
    const other = await RedisStore.connect(settings);
    t.after(() => Promise.all([failing.close(), other.close()]));
    const [outcome] = await other.enqueue([makeAccepted({ priority: 'normal' })]);
    const id = outcome?.kind === 'accepted' ? outcome.messageId : '';
    // Fault injection: the message's shard is read, the read of the other shard fails (an error reply).
    const otherShard = `{s${1 - Number(id.slice(id.lastIndexOf('.') + 1))}}`;
    type Pipeline = { sbClaim: (...args: unknown[]) => Pipeline; call: (...args: unknown[]) => Pipeline };
    const client = (failing as unknown as { redis: { pipeline: () => Pipeline } }).redis;
    const pipeline = client.pipeline.bind(client);
    client.pipeline = () => {
      const p = pipeline();
      const claim = p.sbClaim.bind(p);
      p.sbClaim = (...args: unknown[]) => (String(args[1]).includes(otherShard) ? p.call('SB-INJECTED-FAULT') : claim(...args));
      return p;
    };
    await assert.rejects(failing.claim(10, timeoutSignal(2000)));
    client.pipeline = pipeline;
    // The failing node is alive (it renews what it holds), but it does not hold this one. Taken
    // over within 2.4 s: before renewals would give up on it (10 x claimIdle = 3 s).
    let taken: Awaited<ReturnType<RedisStore['claim']>> = [];
    for (let tries = 0; taken.length === 0 && tries < 8; tries++) taken = await other.claim(10, timeoutSignal(300));
    assert.equal(taken[0]?.message.messageId, id);
  });

  test('idle claims share one poller: several idle dispatcher loops read Redis about as often as one', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 2 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    let reads = 0;
    type Pipeline = { sbClaim: (...args: unknown[]) => Pipeline };
    const client = (store as unknown as { redis: { pipeline: () => Pipeline } }).redis;
    const pipeline = client.pipeline.bind(client);
    client.pipeline = () => {
      const p = pipeline();
      const claim = p.sbClaim.bind(p);
      p.sbClaim = (...args: unknown[]) => {
        if (String(args[1]).includes('{s0}')) reads++; // one per claim round trip
        return claim(...args);
      };
      return p;
    };
    assert.deepEqual(await store.claim(10, timeoutSignal(400)), []);
    const alone = reads;
    reads = 0;
    const idle = await Promise.all(Array.from({ length: 4 }, () => store.claim(10, timeoutSignal(400))));
    assert.deepEqual(idle, [[], [], [], []]);
    // Four loops polling each for itself read about four times as often as one (measured as a ratio, so a slow machine slows both).
    // A loaded machine can starve the first window alone, so the bound is also what one poller can
    // do at all in 400 ms: a read each 20 ms (CLAIM_POLL_MS), plus each claim's own first read.
    const onePollerAtMost = 400 / 20 + 1 + 4;
    assert.ok(reads < Math.max(2 * alone + 4, onePollerAtMost + 3), `${reads} reads by four idle claims, ${alone} by one`);
  });

  test('messages enqueued by another node reach every idle claim: the poller wakes the others when it leaves', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 2 });
    const dispatcher = await RedisStore.connect(settings);
    const other = await RedisStore.connect(settings);
    t.after(() => Promise.all([dispatcher.close(), other.close()]));
    const loops = Array.from({ length: 4 }, () => dispatcher.claim(10, timeoutSignal(5000)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // all four idle: one polls, three sleep
    await other.enqueue(Array.from({ length: 80 }, () => makeAccepted()));
    const batches = await Promise.all(loops);
    for (const batch of batches) assert.ok(batch.length > 0, 'every idle loop got a batch before its signal ended');
  });

  test('a message whose holders keep dying moves to the dead-letter stream and ends FAILED, instead of looping', async (t) => {
    const settings = redisStoreSettings(redis.url, { shards: 1, claimIdleMs: 200, maxDeliveries: 1 });
    const dying = await RedisStore.connect(settings);
    const survivor = await RedisStore.connect(settings);
    t.after(() => Promise.all([dying.close(), survivor.close()]));
    const [outcome] = await survivor.enqueue([makeAccepted()]);
    const id = outcome?.kind === 'accepted' ? outcome.messageId : '';
    assert.equal((await dying.claim(10, timeoutSignal(2000))).length, 1);
    await dying.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await survivor.claim(10, timeoutSignal(300)), []);
    const status = await survivor.getStatus('tenant-a', id);
    assert.equal(status?.state, 'failed');
    assert.equal(status?.history.at(-1)?.code, 'DEAD_LETTER');
    assert.equal(await redis.client().xlen(`${settings.keyPrefix}:{s0}:dead`), 1);
    assert.equal(await redis.client().xlen(`${settings.keyPrefix}:{s0}:q:normal`), 0);
  });

  test('replicated durability fails the write with UNAVAILABLE when no replica confirms it', async (t) => {
    const store = await RedisStore.connect(redisStoreSettings(redis.url, { durability: 'replicated', replicaWaitTimeoutMs: 50 }));
    t.after(() => store.close());
    await assert.rejects(store.enqueue([makeAccepted()]), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.message, 'no replica confirmed the write within 50 ms');
      return true;
    });
  });

  test('replicated durability acknowledges once a replica has the write', async (t) => {
    const replica = await startRedis(['--replicaof', '127.0.0.1', String(redis.port)]);
    t.after(() => replica.destroy());
    const replicaClient = replica.client();
    await waitFor(async () => ((await replicaClient.info('replication')) as string).includes('master_link_status:up'), 15_000, 'the replica to sync');
    const settings = redisStoreSettings(redis.url, { durability: 'replicated', replicaWaitTimeoutMs: 2000, shards: 1 });
    const store = await RedisStore.connect(settings);
    t.after(() => store.close());
    const [outcome] = await store.enqueue([makeAccepted()]);
    assert.equal(outcome?.kind, 'accepted');
    // Acknowledged only after WAIT: the replica already holds the message.
    const id = outcome?.kind === 'accepted' ? outcome.messageId : '';
    assert.notEqual(await replicaClient.get(`${settings.keyPrefix}:{s0}:msg:${id}`), null);
  });

  test('a full Redis (noeviction, maxmemory reached) makes enqueue fail with StoreFullError and evicts nothing', async (t) => {
    const store = await RedisStore.connect(redisStoreSettings(redis.url));
    const admin = redis.client();
    t.after(async () => {
      await admin.config('SET', 'maxmemory', '0');
      await store.close();
    });
    await admin.config('SET', 'maxmemory', '1');
    await assert.rejects(store.enqueue([makeAccepted()]), (error: Error) => {
      assert.ok(error instanceof StoreFullError, String(error));
      assert.match(error.message, /^Redis is out of memory: OOM/);
      return true;
    });
  });
});
