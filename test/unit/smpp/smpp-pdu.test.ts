import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePdu, encodePdu, SmppDecodeError, TLV_TAGS, type SmppPdu } from '../../../src/channels/smpp-pdu.js';
import { SmppPduFramer } from '../../../src/channels/smpp-pdu-framer.js';

const submit: SmppPdu = {
  command: 'submit_sm',
  commandStatus: 0,
  sequenceNumber: 7,
  serviceType: '',
  sourceAddrTon: 0,
  sourceAddrNpi: 1,
  sourceAddr: '15880000',
  destAddrTon: 1,
  destAddrNpi: 1,
  destinationAddr: '821012345678',
  esmClass: 0x40,
  protocolId: 0,
  priorityFlag: 0,
  scheduleDeliveryTime: '',
  validityPeriod: '261126101500000+',
  registeredDelivery: 1,
  replaceIfPresentFlag: 0,
  dataCoding: 8,
  smDefaultMsgId: 0,
  shortMessage: Buffer.from([0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0xac, 0x00]),
  tlvs: [{ tag: TLV_TAGS.message_state, value: Buffer.from([2]) }],
};

test('bind_transceiver encodes to the SMPP 3.4 layout', () => {
  const bytes = encodePdu({
    command: 'bind_transceiver',
    commandStatus: 0,
    sequenceNumber: 1,
    systemId: 'sb',
    password: 'pw',
    systemType: '',
    interfaceVersion: 0x34,
    addrTon: 0,
    addrNpi: 0,
    addressRange: '',
  });
  // header: length 16 + "sb\0" + "pw\0" + "\0" + 0x34 0 0 + "\0"
  assert.equal(bytes.toString('hex'), '0000001b000000090000000000000001' + '736200' + '707700' + '00' + '340000' + '00');
  assert.deepEqual(decodePdu(bytes), { command: 'bind_transceiver', commandStatus: 0, sequenceNumber: 1, systemId: 'sb', password: 'pw', systemType: '', interfaceVersion: 0x34, addrTon: 0, addrNpi: 0, addressRange: '' });
});

test('submit_sm round-trips, short_message bytes and TLVs included', () => {
  const decoded = decodePdu(encodePdu(submit));
  assert.deepEqual(decoded, submit);
});

test('a failed response without a body decodes with an empty message id', () => {
  const bytes = Buffer.from('00000010800000040000005800000009', 'hex');
  assert.deepEqual(decodePdu(bytes), { command: 'submit_sm_resp', commandStatus: 0x58, sequenceNumber: 9, messageId: '' });
});

test('an unknown command id decodes as unknown, for a generic_nack', () => {
  const bytes = Buffer.from('00000010000001230000000000000003', 'hex');
  assert.deepEqual(decodePdu(bytes), { command: 'unknown', commandId: 0x123, commandStatus: 0, sequenceNumber: 3 });
});

test('a body cut short is a SmppDecodeError, not a crash', () => {
  const bytes = encodePdu(submit);
  const cut = Buffer.from(bytes.subarray(0, 40));
  cut.writeUInt32BE(40, 0);
  assert.throws(() => decodePdu(cut), SmppDecodeError);
});

test('a C-string longer than its field is refused when encoding', () => {
  assert.throws(() => encodePdu({ ...submit, sourceAddr: '1'.repeat(21) } as SmppPdu), /longer than 20 characters/);
});

test('the framer returns whole PDUs across arbitrary chunk boundaries', () => {
  const one = encodePdu(submit);
  const two = encodePdu({ command: 'enquire_link', commandStatus: 0, sequenceNumber: 8 });
  const stream = Buffer.concat([one, two, one]);
  const framer = new SmppPduFramer();
  const frames: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 5) frames.push(...framer.push(stream.subarray(i, i + 5)));
  assert.deepEqual(frames.map((f) => decodePdu(f).command), ['submit_sm', 'enquire_link', 'submit_sm']);
  assert.deepEqual(decodePdu(frames[2] as Buffer), submit);
});

test('the framer refuses a command_length outside 16..64 KiB', () => {
  assert.throws(() => new SmppPduFramer().push(Buffer.from('0000000f', 'hex')), /command_length 15 is outside/);
  assert.throws(() => new SmppPduFramer().push(Buffer.from('7fffffff', 'hex')), /command_length 2147483647 is outside/);
});
