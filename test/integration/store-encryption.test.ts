// Message contents sealed at rest (store.encryption, RELIABILITY §6 "Encryption at rest"): with it
// on, neither Redis's data nor its AOF holds a message's text, variables, recipient or an inbound
// reply in the clear, while delivery, fallback and WatchReports see them as sent; with it off the
// same scan finds them (so the scan can fail). Keys rotate: values sealed with an old key still
// open while the key is listed, and a store without it says which key it needs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import type { StoreEncryption } from '../../src/config/config.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { PayloadSealer } from '../../src/store/payload-sealer.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreDataError } from '../../src/store/store-errors.js';
import { makeAccepted } from '../conformance/store.suite.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { startRedis } from '../helpers/redis.js';
import { redisStoreSettings } from '../helpers/redis-store-settings.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const key = (): string => randomBytes(32).toString('base64');

/** Every value Redis holds now, as text: strings, hashes, lists, sets, sorted sets and streams. */
async function everyValue(redis: Redis): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const name of keys) {
      const type = await redis.type(name);
      if (type === 'string') out.push((await redis.get(name)) ?? '');
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(name)));
      else if (type === 'list') out.push(...(await redis.lrange(name, 0, -1)));
      else if (type === 'set') out.push(...(await redis.smembers(name)));
      else if (type === 'zset') out.push(...(await redis.zrange(name, '0', '-1')));
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(name, '-', '+')));
      out.push(name);
    }
  } while (cursor !== '0');
  return out.join('\n');
}

/** The text of every file under `dir` (Redis's AOF). */
function filesUnder(dir: string): string {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) => (statSync(path).isDirectory() ? filesUnder(path) : readFileSync(path, 'latin1')))
    .join('\n');
}

/**
 * Runs a gateway on its own Redis (AOF, fsync always) and sends what a bank would: an SMS with an
 * amount and an OTP, an AlimTalk that falls back to LMS (its plan is stored), and a reply. Returns
 * everything Redis holds and wrote afterwards.
 */
async function trafficThroughRedis(encryption: { keys: { id: string; key: string }[] } | null): Promise<{ values: string; aof: string }> {
  const redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
  const sms = await startSimProvider({ id: 'sim-sms', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  const kakao = await startSimProvider({ id: 'sim-kakao', channels: [Channel.CHANNEL_ALIMTALK] });
  const raw = rawTestConfig({ sms: [sms.address], alimtalk: kakao.address });
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: 'enc', ...(encryption === null ? {} : { encryption }) };
  (raw['routing'] as Record<string, unknown>)['routes'] = [{ match: { tags: ['alert'] }, chain: ['alimtalk', 'lms'] }];
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  try {
    const plain = await client.send({ recipient: '010-9876-5432', content: { subject: '', body: '승인 SECRET-7731 1,234,567원' }, templateId: '', variables: {} });
    // 0002: AlimTalk reports NO_KAKAOTALK, and the message falls back to LMS.
    const alimtalk = await client.send({ recipient: '010-9876-0002', templateId: 'welcome', variables: { name: 'SECRETNAME-5521' }, tags: ['alert'] });
    const delivered = async (messageId: string): Promise<boolean> => (await client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED;
    await waitFor(async () => (await delivered(plain.messageId)) && (await delivered(alimtalk.messageId)), 15_000, 'both messages to be delivered');
    // What the suppliers got is the text as sent: the store opened what it sealed.
    assert.match(sms.receivedMessage(plain.messageId)?.body ?? '', /SECRET-7731/);
    assert.match(sms.receivedMessage(alimtalk.messageId)?.body ?? '', /SECRETNAME-5521/);

    sms.reportInbound('+821098765432', '15880000', 'REPLY-SECRET-4455');
    const reports = await client.watchReports('', true, (seen) => seen.some((r) => r.event?.$case === 'inbound'));
    const inbound = reports.find((r) => r.event?.$case === 'inbound')?.event;
    assert.equal(inbound?.$case === 'inbound' && inbound.value.body, 'REPLY-SECRET-4455');
  } finally {
    client.close();
    await node.stop();
    await Promise.all([sms.close(), kakao.close()]);
  }
  const values = await everyValue(redis.client());
  const aof = filesUnder(redis.dir);
  await redis.destroy();
  return { values, aof };
}

const SECRETS = ['SECRET-7731', 'SECRETNAME-5521', 'REPLY-SECRET-4455', '98765432', '98760002'];

test('with store.encryption, Redis and its AOF hold no message text, variable, phone number or reply in the clear; without it they do', async () => {
  const clear = await trafficThroughRedis(null);
  for (const secret of SECRETS) assert.ok(clear.values.includes(secret) || clear.aof.includes(secret), `the scan finds ${secret} when nothing is sealed`);

  const sealed = await trafficThroughRedis({ keys: [{ id: 'k1', key: key() }] });
  for (const secret of SECRETS) {
    const at = sealed.values.indexOf(secret);
    assert.ok(at < 0, `Redis holds ${secret} in the clear: ...${sealed.values.slice(Math.max(0, at - 300), at + 100)}`);
    assert.ok(!sealed.aof.includes(secret), `the AOF holds ${secret} in the clear`);
  }
  assert.match(sealed.values, /!k1!/, 'sealed values name their key');
});

test('a key rotation: values sealed with the old key open while it is listed; a node without the key leaves them queued for one that has it', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const k1 = { id: 'k1', key: key() };
  const k2 = { id: 'k2', key: key() };
  const settings = redisStoreSettings(redis.url, { shards: 1, claimIdleMs: 300 });
  const before: StoreEncryption = { keys: [k1], sealWith: 'k1' };
  const old = await RedisStore.connect({ ...settings, encryption: before });
  await old.enqueue([makeAccepted({ body: 'sealed with k1' })]);
  await old.close();

  // Step 1 of a rotation: every node gets both keys; step 2: they seal with the new one.
  const rotated = await RedisStore.connect({ ...settings, encryption: { keys: [k1, k2], sealWith: 'k2' } });
  t.after(() => rotated.close());
  await rotated.enqueue([makeAccepted({ body: 'sealed with k2' })]);
  const entries = await redis.client().xrange(`${settings.keyPrefix}:{s0}:q:normal`, '-', '+');
  assert.deepEqual(
    entries.map(([, fields]) => fields[fields.indexOf('m') + 1]?.slice(0, 4)),
    ['!k1!', '!k2!'],
  );

  // A node that dropped k1 too early takes the k2 message and leaves the k1 one queued...
  const early = await RedisStore.connect({ ...settings, encryption: { keys: [k2], sealWith: 'k2' } });
  t.after(() => early.close());
  const taken = await early.claim(10, AbortSignal.timeout(5000));
  assert.deepEqual(taken.map((c) => c.message.body), ['sealed with k2']);
  // ...for a node with the key, once the claim is idle.
  const later: string[] = [];
  await waitFor(async () => {
    later.push(...(await rotated.claim(10, AbortSignal.timeout(1000))).map((c) => c.message.body));
    return later.length > 0;
  }, 10_000, 'the k1 message to be taken over by a node that holds k1');
  assert.deepEqual(later, ['sealed with k1']);

  // The sealer itself: a missing key is named; a value altered in Redis does not open (GCM's tag);
  // plaintext from before encryption reads as it is.
  const value = new PayloadSealer(before).seal('x');
  assert.throws(() => new PayloadSealer({ keys: [k2], sealWith: 'k2' }).open(value), (error: Error) => error instanceof StoreDataError && /sealed with key "k1", which store\.encryption\.keys does not hold/.test(error.message));
  const altered = value.slice(0, -6) + (value.endsWith('AAAA==') ? 'BBBB==' : 'AAAA==');
  assert.throws(() => new PayloadSealer(before).open(altered), /does not open/);
  assert.equal(new PayloadSealer(before).open('plain payload'), 'plain payload');
});

test('with store.encryption the opt-out lists hold keyed hashes, found under every listed key and as stored before encryption', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const k1 = { id: 'k1', key: key() };
  const k2 = { id: 'k2', key: key() };
  const settings = redisStoreSettings(redis.url);
  const members = (tenant: string): Promise<string[]> => redis.client().smembers(`${settings.keyPrefix}:{optout:${tenant}}`);

  // Before encryption: a number stored as it is.
  const clear = await RedisStore.connect(settings);
  assert.equal(await clear.addOptOuts('bank', ['+821011110000']), 1);
  await clear.close();

  const sealed = await RedisStore.connect({ ...settings, encryption: { keys: [k1], sealWith: 'k1' } });
  t.after(() => sealed.close());
  assert.equal(await sealed.addOptOuts('bank', ['+821098765432', '+821098765432', '+821011110000']), 1, 'only the number not yet listed (in any form) counts as added');
  assert.deepEqual([...(await sealed.findOptedOut('bank', ['+821098765432', '+821011110000', '+821055550000']))].sort(), ['+821011110000', '+821098765432']);
  assert.deepEqual(await sealed.findOptedOut('card', ['+821098765432']), new Set(), 'another tenant');
  const stored = await members('bank');
  assert.ok(!stored.some((m) => m.includes('98765432')), `stored: ${stored.join(', ')}`);
  assert.ok(stored.some((m) => m.startsWith('#k1#')));

  // After a rotation the k1 hash is still found, and removal removes every form.
  const rotated = await RedisStore.connect({ ...settings, encryption: { keys: [k1, k2], sealWith: 'k2' } });
  t.after(() => rotated.close());
  assert.deepEqual([...(await rotated.findOptedOut('bank', ['+821098765432']))], ['+821098765432']);
  assert.equal(await rotated.removeOptOuts('bank', ['+821098765432', '+821011110000', '+821055550000']), 2);
  assert.deepEqual(await rotated.findOptedOut('bank', ['+821098765432', '+821011110000']), new Set());
  assert.deepEqual(await members('bank'), []);
});

test('with store.encryption a client_ref keeps a keyed hash of its message: a retry after a key rotation is still a duplicate, a different message a conflict', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const k1 = { id: 'k1', key: key() };
  const k2 = { id: 'k2', key: key() };
  const settings = redisStoreSettings(redis.url, { shards: 1 });
  const message = { clientRef: 'otp-5', recipient: '+821098765432', variables: { name: 'Kim' } };

  const sealed = await RedisStore.connect({ ...settings, encryption: { keys: [k1], sealWith: 'k1' } });
  t.after(() => sealed.close());
  const [first] = await sealed.enqueue([makeAccepted(message)]);
  const firstId = first?.kind === 'accepted' ? first.messageId : assert.fail(`not accepted: ${JSON.stringify(first)}`);
  const stored = (await redis.client().get(`${settings.keyPrefix}:{s0}:ref:tenant-a:otp-5`)) ?? '';
  assert.match(stored, /^[^\t]+\t#k1#/, `stored: ${stored}`);

  const rotated = await RedisStore.connect({ ...settings, encryption: { keys: [k1, k2], sealWith: 'k2' } });
  t.after(() => rotated.close());
  assert.deepEqual(await rotated.enqueue([makeAccepted(message), makeAccepted({ ...message, variables: { name: 'Lee' } })]), [
    { kind: 'duplicate', messageId: firstId },
    { kind: 'conflict', messageId: firstId },
  ]);
});
