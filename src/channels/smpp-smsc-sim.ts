import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ESME_RINVBNDSTS, ESME_RINVDSTADR, ESME_RINVPASWD, ESME_ROK, ESME_RTHROTTLED } from './smpp-command-status.js';
import { decodePdu, encodePdu, ESM_CLASS_DELIVERY_RECEIPT, ESM_CLASS_UDHI, isResponse, TLV_TAGS, type ShortMessageFields, type ShortMessagePdu, type SmppPdu } from './smpp-pdu.js';
import { SmppPduFramer } from './smpp-pdu-framer.js';
import { readConcatenation } from './smpp-segments.js';
import { DATA_CODING, decodeText, encodeText } from './smpp-text.js';

/**
 * How the simulated SMSC behaves. Recipient rules, for tests: a destination ending in "0000" is
 * refused with ESME_RINVDSTADR (permanent), one ending in "0002" with ESME_RTHROTTLED (retryable),
 * one ending in "0001" is accepted and gets an UNDELIV receipt; a text starting "ECHO " is answered
 * with a mobile-originated deliver_sm from the recipient.
 */
export interface SmscSimOptions {
  /** Default '127.0.0.1'. */
  readonly host?: string | undefined;
  /** Default 0 (any free port). */
  readonly port?: number | undefined;
  /** When set, a bind must give this system_id and password. */
  readonly systemId?: string | undefined;
  readonly password?: string | undefined;
  /** Delay before each submit_sm_resp, so that submits pile up (to see the client's window). Default 0. */
  readonly answerDelayMs?: number | undefined;
  /** Start the receipt timer when a submit_sm arrives rather than once it is answered, as some SMSCs do: with answerDelayMs, receipts come before their submit_sm_resp. Default false. */
  readonly earlyReceipts?: boolean | undefined;
  /** Delay between accepting a submit_sm and sending its receipt. Default 0. */
  readonly receiptDelayMs?: number | undefined;
  /**
   * Appends one JSON object per line for each event (bind, enquire_link, submit, message,
   * receipt_acked). Written synchronously, so a killed sim loses nothing; a sim started on an
   * existing ledger sends the receipts it had not had answered (an SMSC's store and forward).
   */
  readonly ledgerPath?: string | undefined;
}

/** One line of the ledger. */
export type SmscLedgerEvent =
  | { readonly event: 'bind'; readonly systemId: string }
  | { readonly event: 'enquire_link' }
  /** inFlight: submit_sm received on the connection and not answered yet, this one included. */
  | { readonly event: 'submit'; readonly id: string; readonly to: string; readonly from: string; readonly dataCoding: number; readonly part: string; readonly stat: string; readonly inFlight: number }
  | { readonly event: 'rejected'; readonly to: string; readonly status: number }
  /** A whole message, its segments reassembled and decoded by data_coding. */
  | { readonly event: 'message'; readonly to: string; readonly from: string; readonly text: string; readonly segments: number; readonly dataCoding: number; readonly ids: readonly string[] }
  | { readonly event: 'receipt_acked'; readonly id: string };

export interface SmscSim {
  readonly address: string;
  readonly port: number;
  /** Every ledger event of this process, in order. */
  events(): readonly SmscLedgerEvent[];
  close(): Promise<void>;
}

/** A deliver_sm waiting for its deliver_sm_resp. */
interface Outgoing {
  readonly key: string;
  readonly fields: ShortMessageFields;
  /** The connection it was last sent on, null while unsent. */
  sentOn: Connection | null;
}

interface Connection {
  readonly socket: Socket;
  bound: boolean;
  nextSequence: number;
  /** submit_sm received and not answered yet. */
  unanswered: number;
  /** Sequence number → Outgoing key. */
  readonly awaiting: Map<number, string>;
}

/** Starts a simulated SMSC that speaks SMPP 3.4 to transceivers. */
export async function startSmscSim(options: SmscSimOptions = {}): Promise<SmscSim> {
  const events: SmscLedgerEvent[] = [];
  const record = (event: SmscLedgerEvent): void => {
    events.push(event);
    if (options.ledgerPath !== undefined) appendFileSync(options.ledgerPath, `${JSON.stringify(event)}\n`);
  };
  const outgoing = new Map<string, Outgoing>();
  const connections = new Set<Connection>();
  const partial = new Map<string, { parts: (Buffer | undefined)[]; ids: string[] }>();
  const timers = new Set<NodeJS.Timeout>();
  let nextId = restoreFromLedger(options.ledgerPath, outgoing);
  let nextMo = 0;

  const send = (connection: Connection, pdu: SmppPdu): void => {
    connection.socket.write(encodePdu(pdu));
  };
  /** Sends every unsent deliver_sm on a bound connection. */
  const flush = (): void => {
    const connection = [...connections].find((c) => c.bound);
    if (connection === undefined) return;
    for (const item of outgoing.values()) {
      if (item.sentOn !== null) continue;
      const sequenceNumber = connection.nextSequence++;
      item.sentOn = connection;
      connection.awaiting.set(sequenceNumber, item.key);
      send(connection, { command: 'deliver_sm', commandStatus: 0, sequenceNumber, ...item.fields });
    }
  };
  const later = (delayMs: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };

  const onSubmit = (connection: Connection, pdu: ShortMessagePdu): void => {
    connection.unanswered++;
    const answer = (status: number, messageId: string, then?: () => void): void => {
      const respond = (): void => {
        connection.unanswered--;
        send(connection, { command: 'submit_sm_resp', commandStatus: status, sequenceNumber: pdu.sequenceNumber, messageId });
        then?.();
      };
      if ((options.answerDelayMs ?? 0) > 0) later(options.answerDelayMs ?? 0, respond);
      else respond();
    };
    const to = pdu.destinationAddr;
    const status = to.endsWith('0000') ? ESME_RINVDSTADR : to.endsWith('0002') ? ESME_RTHROTTLED : ESME_ROK;
    if (status !== ESME_ROK) {
      record({ event: 'rejected', to, status });
      answer(status, '');
      return;
    }
    const id = (nextId++).toString(16).padStart(10, '0');
    const concatenation = (pdu.esmClass & ESM_CLASS_UDHI) !== 0 ? readConcatenation(pdu.shortMessage) : null;
    const part = concatenation === null ? '1/1' : `${concatenation.sequence}/${concatenation.total}`;
    const stat = to.endsWith('0001') ? 'UNDELIV' : 'DELIVRD';
    record({ event: 'submit', id, to, from: pdu.sourceAddr, dataCoding: pdu.dataCoding, part, stat, inFlight: connection.unanswered });
    const scheduleReceipt = (): void => {
      if ((pdu.registeredDelivery & 0x03) === 0) return;
      later(options.receiptDelayMs ?? 0, () => {
        outgoing.set(id, { key: id, fields: receiptFields(id, to, pdu.sourceAddr, stat), sentOn: null });
        flush();
      });
    };
    // The ledger is written before the answer: a sim killed in between must not have answered
    // for a message its ledger does not show.
    reassemble(pdu, id, concatenation);
    // Normally the receipt timer starts once the answer is out; some SMSCs report before they answer.
    if (options.earlyReceipts === true) scheduleReceipt();
    answer(ESME_ROK, id, options.earlyReceipts === true ? undefined : scheduleReceipt);
  };

  const reassemble = (pdu: ShortMessagePdu, id: string, concatenation: ReturnType<typeof readConcatenation>): void => {
    let bytes: Buffer;
    let ids = [id];
    if (concatenation === null || concatenation.total <= 1) {
      bytes = concatenation?.payload ?? pdu.shortMessage;
    } else {
      const key = `${pdu.sourceAddr}|${pdu.destinationAddr}|${concatenation.reference}|${concatenation.total}`;
      let entry = partial.get(key);
      if (entry === undefined) partial.set(key, (entry = { parts: new Array(concatenation.total), ids: [] }));
      entry.parts[concatenation.sequence - 1] = concatenation.payload;
      entry.ids.push(id);
      if (entry.parts.filter((p) => p !== undefined).length < concatenation.total) return;
      partial.delete(key);
      bytes = Buffer.concat(entry.parts as Buffer[]);
      ids = entry.ids;
    }
    const text = decodeText(bytes, pdu.dataCoding);
    record({ event: 'message', to: pdu.destinationAddr, from: pdu.sourceAddr, text, segments: ids.length, dataCoding: pdu.dataCoding, ids });
    if (text.startsWith('ECHO ') && (pdu.dataCoding === DATA_CODING.ucs2 || pdu.dataCoding === DATA_CODING.ksc5601)) {
      const reply = encodeText(`RE: ${text.slice(5)}`, pdu.dataCoding === DATA_CODING.ucs2 ? 'ucs2' : 'ksc5601');
      const key = `mo-${nextMo++}`;
      outgoing.set(key, { key, fields: shortMessage(pdu.destinationAddr, pdu.sourceAddr, 0, pdu.dataCoding, reply.subarray(0, 140), []), sentOn: null });
      flush();
    }
  };

  const onPdu = (connection: Connection, pdu: SmppPdu): void => {
    if (isResponse(pdu)) {
      if (pdu.command !== 'deliver_sm_resp') return;
      const key = connection.awaiting.get(pdu.sequenceNumber);
      if (key === undefined) return;
      connection.awaiting.delete(pdu.sequenceNumber);
      const item = outgoing.get(key);
      if (item === undefined) return;
      if (pdu.commandStatus === ESME_ROK) {
        outgoing.delete(key);
        if (!key.startsWith('mo-')) record({ event: 'receipt_acked', id: key });
      } else {
        item.sentOn = null;
        later(100, flush);
      }
      return;
    }
    const reply = (command: 'bind_transceiver_resp' | 'submit_sm_resp' | 'enquire_link_resp' | 'unbind_resp' | 'generic_nack', status: number): void => {
      const base = { commandStatus: status, sequenceNumber: pdu.sequenceNumber };
      if (command === 'bind_transceiver_resp') send(connection, { ...base, command, systemId: 'smsc-sim' });
      else if (command === 'submit_sm_resp') send(connection, { ...base, command, messageId: '' });
      else send(connection, { ...base, command });
    };
    switch (pdu.command) {
      case 'bind_transceiver': {
        const wrong = (options.systemId !== undefined && pdu.systemId !== options.systemId) || (options.password !== undefined && pdu.password !== options.password);
        if (wrong) {
          reply('bind_transceiver_resp', ESME_RINVPASWD);
          return;
        }
        connection.bound = true;
        record({ event: 'bind', systemId: pdu.systemId });
        reply('bind_transceiver_resp', ESME_ROK);
        flush();
        return;
      }
      case 'submit_sm':
        if (!connection.bound) reply('submit_sm_resp', ESME_RINVBNDSTS);
        else onSubmit(connection, pdu);
        return;
      case 'enquire_link':
        record({ event: 'enquire_link' });
        reply('enquire_link_resp', ESME_ROK);
        return;
      case 'unbind':
        reply('unbind_resp', ESME_ROK);
        connection.socket.end();
        return;
      default:
        reply('generic_nack', 0x03);
    }
  };

  const server: Server = createServer((socket) => {
    const connection: Connection = { socket, bound: false, nextSequence: 1, unanswered: 0, awaiting: new Map() };
    connections.add(connection);
    const framer = new SmppPduFramer();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of framer.push(chunk)) onPdu(connection, decodePdu(frame));
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      connections.delete(connection);
      // What it carried unanswered goes out again on the next bound connection.
      for (const item of outgoing.values()) if (item.sentOn === connection) item.sentOn = null;
      flush();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    address: `${options.host ?? '127.0.0.1'}:${port}`,
    port,
    events: () => events,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const connection of connections) connection.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function shortMessage(from: string, to: string, esmClass: number, dataCoding: number, bytes: Buffer, tlvs: ShortMessageFields['tlvs']): ShortMessageFields {
  return {
    serviceType: '',
    sourceAddrTon: 1,
    sourceAddrNpi: 1,
    sourceAddr: from,
    destAddrTon: 0,
    destAddrNpi: 1,
    destinationAddr: to,
    esmClass,
    protocolId: 0,
    priorityFlag: 0,
    scheduleDeliveryTime: '',
    validityPeriod: '',
    registeredDelivery: 0,
    replaceIfPresentFlag: 0,
    dataCoding,
    smDefaultMsgId: 0,
    shortMessage: bytes,
    tlvs,
  };
}

/** A receipt as SMSCs send it: the appendix B text plus the receipted_message_id and message_state TLVs. */
function receiptFields(id: string, recipient: string, sender: string, stat: string): ShortMessageFields {
  const date = new Date().toISOString().replace(/\D/g, '').slice(2, 12);
  const delivered = stat === 'DELIVRD';
  const text = `id:${id} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${date} done date:${date} stat:${stat} err:${delivered ? '000' : '001'} text:`;
  return shortMessage(recipient, sender, ESM_CLASS_DELIVERY_RECEIPT, 0, Buffer.from(text, 'latin1'), [
    { tag: TLV_TAGS.receipted_message_id, value: Buffer.from(`${id}\0`, 'latin1') },
    { tag: TLV_TAGS.message_state, value: Buffer.from([delivered ? 2 : 5]) },
  ]);
}

/** Reads an existing ledger: queues the receipts never answered, and returns the next free message id number. */
function restoreFromLedger(path: string | undefined, outgoing: Map<string, Outgoing>): number {
  if (path === undefined || !existsSync(path)) return 1;
  const submitted = new Map<string, Extract<SmscLedgerEvent, { event: 'submit' }>>();
  let nextId = 1;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    let event: SmscLedgerEvent;
    try {
      event = JSON.parse(line) as SmscLedgerEvent;
    } catch {
      continue; // a line cut short by a kill
    }
    if (event.event === 'submit') {
      submitted.set(event.id, event);
      nextId = Math.max(nextId, parseInt(event.id, 16) + 1);
    } else if (event.event === 'receipt_acked') {
      submitted.delete(event.id);
    }
  }
  for (const s of submitted.values()) outgoing.set(s.id, { key: s.id, fields: receiptFields(s.id, s.to, s.from, s.stat), sentOn: null });
  return nextId;
}
