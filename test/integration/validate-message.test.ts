import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client, credentials, status as Status, type ServiceError } from '@grpc/grpc-js';
import { SendRequest, SendResponse, type Message } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { readLedger } from '../helpers/ledger.js';
import { OTHER_TENANT_API_KEY } from '../helpers/test-config.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

// Limits of the test config (test/helpers/test-config.ts) and the schema defaults it keeps.
const MAX_BODY_BYTES = 2000;
const MAX_VARIABLE_BYTES = 1000;
const MAX_TTL_MS = 7 * 86_400_000;

interface BadCase {
  readonly name: string;
  readonly message: Partial<Message>;
  readonly code: Status;
  readonly details: string;
}

const BAD_RECIPIENTS: BadCase[] = [
  ['empty', '', 'recipient is required'],
  ['too short', '0101234', 'recipient "0101234" is not a valid Korean mobile number'],
  ['010 with 10 digits', '0101234567', 'recipient "0101234567" is not a valid Korean mobile number'],
  ['full-width digits', '０１０１２３４５６７８', 'recipient "０１０１２３４５６７８" is not a valid phone number'],
  ['trailing newline', '01012345678\n', 'recipient "01012345678\\n" is not a valid phone number'],
  ['tab as a separator', '010\t1234\t5678', 'recipient "010\\t1234\\t5678" is not a valid phone number'],
  ['no-break space as a separator', '010\u00a01234\u00a05678', 'recipient "010\u00a01234\u00a05678" is not a valid phone number'],
  ['landline', '0212345678', 'recipient "0212345678" is not a valid Korean mobile number'],
  ['international, not enabled for the tenant', '+14155550100', 'recipient "+14155550100" is outside Korea and international sending is not enabled for this tenant'],
  ['+82 with the trunk 0 kept', '+8201012345678', 'recipient "+8201012345678" is not a valid Korean mobile number'],
  ['letters', '010-CALL-ME', 'recipient "010-CALL-ME" is not a valid phone number'],
  ['no leading 0 or +', '1012345678', 'recipient "1012345678" is not a valid phone number (use 010-1234-5678 or +821012345678)'],
].map(([name, recipient, details]) => ({
  name: `recipient: ${name}`,
  message: { recipient: recipient ?? '' },
  code: Status.INVALID_ARGUMENT,
  details: details ?? '',
}));

/** An enum value the proto does not define, as a newer or broken client may send it. */
const unknownEnum = <T>(value: number): T => value as unknown as T;

const BAD_MESSAGES: BadCase[] = [
  ...BAD_RECIPIENTS,
  { name: 'unknown template', message: { templateId: 'nope', variables: {} }, code: Status.INVALID_ARGUMENT, details: 'template_id "nope" is not a configured template' },
  { name: 'missing variable', message: { templateId: 'welcome', variables: {} }, code: Status.INVALID_ARGUMENT, details: 'variables.name is required by template "welcome"' },
  {
    name: 'unknown variable',
    message: { templateId: 'welcome', variables: { name: 'Kim', extra: 'x' } },
    code: Status.INVALID_ARGUMENT,
    details: 'variables.extra is not a variable of template "welcome" (it takes: name)',
  },
  {
    name: 'both template and content',
    message: { templateId: 'welcome', variables: { name: 'Kim' }, content: { body: 'hi', subject: '' } },
    code: Status.INVALID_ARGUMENT,
    details: 'set either template_id or content, not both',
  },
  { name: 'neither template nor content', message: { templateId: '', variables: {} }, code: Status.INVALID_ARGUMENT, details: 'template_id or content is required' },
  {
    name: 'variables with raw content',
    message: { content: { body: 'hi', subject: '' }, variables: { name: 'Kim' } },
    code: Status.INVALID_ARGUMENT,
    details: 'variables.name is given but the message has no template_id; variables apply only to templates',
  },
  { name: 'empty content.body', message: { content: { body: '', subject: 'subject only' } }, code: Status.INVALID_ARGUMENT, details: 'content.body is required' },
  {
    name: 'content.body one byte over the limit',
    message: { content: { body: 'x'.repeat(MAX_BODY_BYTES + 1), subject: '' } },
    code: Status.INVALID_ARGUMENT,
    details: `content.body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES}`,
  },
  {
    // 667 Hangul syllables are 667 characters but 2,001 UTF-8 bytes: the limit is in bytes.
    name: 'content.body over the limit in bytes, under it in characters',
    message: { content: { body: '가'.repeat(667), subject: '' } },
    code: Status.INVALID_ARGUMENT,
    details: `content.body is 2001 bytes; the limit is ${MAX_BODY_BYTES}`,
  },
  {
    name: 'content.subject over the limit',
    message: { content: { body: 'hi', subject: 's'.repeat(MAX_BODY_BYTES + 1) } },
    code: Status.INVALID_ARGUMENT,
    details: `content.subject is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES}`,
  },
  {
    name: 'variable over the limit',
    message: { templateId: 'welcome', variables: { name: 'x'.repeat(MAX_VARIABLE_BYTES + 1) } },
    code: Status.INVALID_ARGUMENT,
    details: `variables.name is ${MAX_VARIABLE_BYTES + 1} bytes; the limit is ${MAX_VARIABLE_BYTES}`,
  },
  { name: 'invalid UTF-8 (U+FFFD) in content.body', message: { content: { body: 'caf\uFFFD', subject: '' } }, code: Status.INVALID_ARGUMENT, details: 'content.body contains invalid UTF-8' },
  { name: 'invalid UTF-8 (U+FFFD) in content.subject', message: { content: { body: 'hi', subject: '\uFFFD' } }, code: Status.INVALID_ARGUMENT, details: 'content.subject contains invalid UTF-8' },
  { name: 'invalid UTF-8 (U+FFFD) in a variable', message: { templateId: 'welcome', variables: { name: 'K\uFFFDm' } }, code: Status.INVALID_ARGUMENT, details: 'variables.name contains invalid UTF-8' },
  { name: 'NUL in content.body', message: { content: { body: 'a\u0000b', subject: '' } }, code: Status.INVALID_ARGUMENT, details: 'content.body contains control characters' },
  { name: 'ESC in content.body', message: { content: { body: '\u001b[31mred', subject: '' } }, code: Status.INVALID_ARGUMENT, details: 'content.body contains control characters' },
  { name: 'DEL in content.subject', message: { content: { body: 'hi', subject: 'a\u007f' } }, code: Status.INVALID_ARGUMENT, details: 'content.subject contains control characters' },
  { name: 'control character in a variable', message: { templateId: 'welcome', variables: { name: 'Kim\u0007' } }, code: Status.INVALID_ARGUMENT, details: 'variables.name contains control characters' },
  ...['has space', 'x'.repeat(129), 'ref/slash', 'über'].map((clientRef) => ({
    name: `client_ref ${JSON.stringify(clientRef.length > 20 ? `${clientRef.length} characters` : clientRef)}`,
    message: { clientRef },
    code: Status.INVALID_ARGUMENT,
    details: 'client_ref must match ^[A-Za-z0-9_:.-]{1,128}$',
  })),
  {
    name: 'unregistered sender',
    message: { sender: '0299999999' },
    code: Status.FAILED_PRECONDITION,
    details: 'sender "0299999999" is not a registered sender number of tenant "tenant-a"',
  },
  {
    name: 'another tenant’s sender',
    message: { sender: '15990000' },
    code: Status.FAILED_PRECONDITION,
    details: 'sender "15990000" is not a registered sender number of tenant "tenant-a"',
  },
  {
    name: 'ttl over the maximum',
    message: { ttlMs: MAX_TTL_MS + 1 },
    code: Status.INVALID_ARGUMENT,
    details: `ttl_ms ${MAX_TTL_MS + 1} is longer than the limit of ${MAX_TTL_MS} ms`,
  },
  { name: 'unknown kind', message: { kind: unknownEnum(99) }, code: Status.INVALID_ARGUMENT, details: 'kind 99 is not a valid MessageKind' },
  { name: 'unknown priority', message: { priority: unknownEnum(7) }, code: Status.INVALID_ARGUMENT, details: 'priority 7 is not a valid Priority' },
  { name: 'unknown channel', message: { channel: unknownEnum(42) }, code: Status.INVALID_ARGUMENT, details: 'channel 42 is not a valid Channel' },
  { name: 'too many tags', message: { tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }, code: Status.INVALID_ARGUMENT, details: 'tags has 17 entries; the limit is 16' },
  { name: 'empty tag', message: { tags: ['ok', ''] }, code: Status.INVALID_ARGUMENT, details: 'tags[1] must be 1 to 64 printable characters' },
  { name: 'tag too long', message: { tags: ['t'.repeat(65)] }, code: Status.INVALID_ARGUMENT, details: 'tags[0] must be 1 to 64 printable characters' },
  { name: 'control character in a tag', message: { tags: ['a\nb'] }, code: Status.INVALID_ARGUMENT, details: 'tags[0] must be 1 to 64 printable characters' },
];

async function startGateway(t: TestContext, ledgerPath?: string): Promise<TestGateway> {
  const gw = await startTestGateway({ ledgerPath });
  t.after(() => gw.stop());
  return gw;
}

test('Send refuses each bad input with its status code and a message naming the field', async (t) => {
  const gw = await startGateway(t);
  for (const bad of BAD_MESSAGES) {
    await assert.rejects(
      gw.client.send(bad.message),
      (error: ServiceError) => {
        assert.equal(`${Status[error.code]}: ${error.details}`, `${Status[bad.code]}: ${bad.details}`, bad.name);
        return true;
      },
      bad.name,
    );
  }
  // Nothing refused was stored or sent: the first message the provider sees is the next good one.
  const good = await gw.client.send({});
  await waitFor(() => gw.sms.received().length > 0);
  assert.deepEqual(gw.sms.received(), [good.messageId]);
});

test('Send without a message is refused with INVALID_ARGUMENT', async (t) => {
  const gw = await startGateway(t);
  const error = await new Promise<ServiceError | null>((resolve) => gw.client.client.send({ message: undefined }, gw.client.metadata, (e) => resolve(e)));
  assert.equal(error?.code, Status.INVALID_ARGUMENT);
  assert.equal(error?.details, 'message is required');
});

test('invalid UTF-8 bytes on the wire are refused like U+FFFD, not passed on', async (t) => {
  const gw = await startGateway(t);
  const encoded = Buffer.from(SendRequest.encode({ message: makeMessage({ content: { body: 'XX', subject: '' } }) }).finish());
  // Content.body is field 1, length 2: 0a 02 'X' 'X'. Swap the text for a truncated 4-byte sequence.
  const at = encoded.indexOf(Buffer.from([0x0a, 0x02, 0x58, 0x58]));
  assert.notEqual(at, -1);
  encoded[at + 2] = 0xf0;
  encoded[at + 3] = 0x80;
  const raw = new Client(gw.node.address, credentials.createInsecure());
  t.after(() => raw.close());
  const error = await new Promise<ServiceError | null>((resolve) =>
    raw.makeUnaryRequest('/switchboard.v1.MessageGateway/Send', (b: Buffer) => b, (b: Buffer) => SendResponse.decode(b), encoded, gw.client.metadata, (e) => resolve(e)),
  );
  assert.equal(error?.code, Status.INVALID_ARGUMENT);
  assert.equal(error?.details, 'content.body contains invalid UTF-8');
  assert.deepEqual(gw.sms.received(), []);
});

test('values at the limits and allowed forms are accepted', async (t) => {
  const gw = await startGateway(t);
  const good: [string, Partial<Message>][] = [
    ['content.body exactly at the limit', { content: { body: 'x'.repeat(MAX_BODY_BYTES), subject: '' } }],
    ['content.body at the limit in Hangul (666 × 3 bytes + 2)', { content: { body: `${'가'.repeat(666)}ab`, subject: '' } }],
    ['newline and tab in content.body', { content: { body: 'line 1\n\tline 2\r\n', subject: 'subject' } }],
    ['variable exactly at the limit', { templateId: 'welcome', variables: { name: 'x'.repeat(MAX_VARIABLE_BYTES) } }],
    ['client_ref of 128 allowed characters', { clientRef: `A-z_0:9.${'r'.repeat(120)}` }],
    ['registered sender with hyphens', { sender: '02-1234-5678' }],
    ['ttl exactly at the maximum', { ttlMs: MAX_TTL_MS }],
    ['known enum values', { kind: 2, priority: 1, channel: 2 }],
    ['16 tags', { tags: Array.from({ length: 16 }, (_, i) => `tag-${i}`) }],
  ];
  const ids: string[] = [];
  for (const [name, message] of good) {
    const response = await gw.client.send(message).catch((error: ServiceError) => assert.fail(`${name}: ${error.details}`));
    ids.push(response.messageId);
  }
  await waitFor(() => ids.every((id) => gw.sms.received().includes(id)), 10_000, 'every accepted message at the provider');
});

test('recipients in domestic or E.164 form reach the provider as +821012345678', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'validate-message-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ledgerPath = join(dir, 'sms.ledger');
  const gw = await startGateway(t, ledgerPath);

  const forms = ['010-1234-5678', '01012345678', '+82 10 1234 5678', '+821012345678', '(010) 1234.5678'];
  const sent = new Map<string, string>();
  for (const recipient of forms) sent.set((await gw.client.send({ recipient })).messageId, recipient);
  await waitFor(async () => (await readLedger(ledgerPath)).length >= forms.length, 10_000, 'a ledger line per message');
  const rows = await readLedger(ledgerPath);
  assert.deepEqual(
    rows.map((row) => [sent.get(row.messageId), row.recipient]).sort(),
    forms.map((form) => [form, '+821012345678']).sort(),
  );
});

test('international recipients are accepted as E.164 when the tenant allows them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'validate-message-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ledgerPath = join(dir, 'sms.ledger');
  const gw = await startTestGateway({ ledgerPath }, (raw) => {
    (raw['tenants'] as Record<string, unknown>[])[1]!['allowInternational'] = true;
  });
  t.after(() => gw.stop());
  const other = new GatewayTestClient(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(() => other.close());

  const { messageId } = await other.send({ recipient: '+1 415 555 0100', sender: '15990000' });
  await waitFor(async () => (await readLedger(ledgerPath)).length > 0);
  assert.deepEqual((await readLedger(ledgerPath)).map((row) => [row.messageId, row.recipient]), [[messageId, '+14155550100']]);
  // Still refused for the tenant that does not allow it.
  await assert.rejects(gw.client.send({ recipient: '+14155550100' }), (error: ServiceError) => error.code === Status.INVALID_ARGUMENT);
});

test('a template variable named like an Object.prototype member must still be given', async (t) => {
  const gw = await startTestGateway({}, (raw) => {
    (raw['templates'] as Record<string, unknown>[]).push({ id: 'proto-names', variables: ['constructor', 'toString'], body: '{{constructor}} / {{toString}}' });
  });
  t.after(() => gw.stop());
  await assert.rejects(gw.client.send({ templateId: 'proto-names', variables: { toString: 'b' } }), (error: ServiceError) => {
    assert.equal(`${Status[error.code]}: ${error.details}`, 'INVALID_ARGUMENT: variables.constructor is required by template "proto-names"');
    return true;
  });
  const { messageId } = await gw.client.send({ templateId: 'proto-names', variables: { constructor: 'a', toString: 'b' } });
  await waitFor(() => gw.sms.received().includes(messageId));
});
