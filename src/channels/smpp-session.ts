import { connect, type Socket } from 'node:net';
import { describeCommandStatus, ESME_RINVCMDID, ESME_ROK } from './smpp-command-status.js';
import { decodePdu, encodePdu, INTERFACE_VERSION_34, isResponse, SmppDecodeError, type ShortMessagePdu, type SmppPdu } from './smpp-pdu.js';
import { SmppPduFramer } from './smpp-pdu-framer.js';

export interface SmppSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly enquireLinkIntervalMs: number;
}

export interface SmppSessionHandlers {
  /** A deliver_sm from the SMSC; answer it with session.respond() when it is safe to (after storing). */
  onDeliverSm(session: SmppSession, pdu: ShortMessagePdu): void;
  /** The session ended (once): the SMSC closed, a request timed out, or close() was called. */
  onClose(session: SmppSession, reason: string): void;
}

/** A request's answer: its response PDU, or null with the reason when the session ended first. */
export type AnswerCallback = (response: SmppPdu | null, failure: string) => void;

/** A request PDU without its sequence number, which the session assigns. */
export type SmppRequest = SmppPdu extends infer P ? (P extends SmppPdu ? Omit<P, 'sequenceNumber' | 'commandStatus'> : never) : never;

interface PendingRequest {
  readonly answer: AnswerCallback;
  readonly sentAtMs: number;
}

/** The SMSC refused the bind; whether trying again can help (a wrong password cannot). */
export class SmppBindError extends Error {
  override readonly name = 'SmppBindError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * One TCP connection to an SMSC, bound as a transceiver. It numbers requests, matches responses
 * by sequence number, answers the SMSC's enquire_link and unbind, and sends its own enquire_link
 * when nothing arrived for enquireLinkIntervalMs. A request unanswered for responseTimeoutMs ends
 * the session: an SMSC that stopped answering is treated like one that hung up.
 */
export class SmppSession {
  private readonly pending = new Map<number, PendingRequest>();
  private readonly framer = new SmppPduFramer();
  private nextSequence = 1;
  private lastReceivedAtMs = Date.now();
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly options: SmppSessionOptions,
    private readonly handlers: SmppSessionHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.end(`connection error: ${error.message}`));
    socket.on('close', () => this.end('connection closed by the SMSC'));
    // One timer for keepalive and response timeouts, not one per request.
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(options.enquireLinkIntervalMs, options.responseTimeoutMs) / 4));
    this.timer.unref();
  }

  /** Connects and binds as a transceiver; rejects with SmppBindError when the SMSC refuses, with an Error when it cannot be reached. */
  static open(options: SmppSessionOptions, handlers: SmppSessionHandlers): Promise<SmppSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      const connectTimer = setTimeout(() => socket.destroy(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      socket.once('error', (error) => {
        clearTimeout(connectTimer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        const session = new SmppSession(socket, options, {
          onDeliverSm: (s, pdu) => handlers.onDeliverSm(s, pdu),
          onClose: (s, reason) => (bound ? handlers.onClose(s, reason) : reject(new Error(`bind failed: ${reason}`))),
        });
        let bound = false;
        session.request(
          {
            command: 'bind_transceiver',
            systemId: options.systemId,
            password: options.password,
            systemType: options.systemType,
            interfaceVersion: INTERFACE_VERSION_34,
            addrTon: 0,
            addrNpi: 0,
            addressRange: '',
          },
          (response, failure) => {
            if (response === null) return; // onClose rejects
            if (response.commandStatus === ESME_ROK) {
              bound = true;
              resolve(session);
              return;
            }
            const meaning = describeCommandStatus(response.commandStatus);
            const error = new SmppBindError(`bind_transceiver refused: ${meaning.code} (${meaning.description})${failure}`, meaning.retryable);
            bound = true; // settled: the close below must not reject again
            session.destroy('bind refused');
            reject(error);
          },
        );
      });
    });
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /**
   * Sends a request; `answer` is called synchronously when its response is read (so that what it
   * records is in place before any later PDU of the same chunk is handled), or with null when the
   * session ends first. Throws when a field does not fit the PDU (nothing is sent then).
   */
  request(pdu: SmppRequest, answer: AnswerCallback): void {
    if (this.ended) {
      answer(null, 'session already closed');
      return;
    }
    const sequenceNumber = this.nextSequence;
    // Encoded first: a field too long for its PDU throws here, before anything waits for an answer.
    const bytes = encodePdu({ ...pdu, commandStatus: 0, sequenceNumber } as SmppPdu);
    this.nextSequence = this.nextSequence >= 0x7fffffff ? 1 : this.nextSequence + 1;
    this.pending.set(sequenceNumber, { answer, sentAtMs: Date.now() });
    this.socket.write(bytes);
  }

  /** Answers a request from the SMSC (deliver_sm_resp and the like). Does nothing once the session has ended. */
  respond(pdu: SmppPdu): void {
    if (!this.ended) this.socket.write(encodePdu(pdu));
  }

  /** Stops reading (back-pressure to the SMSC) until resume(). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Unbinds politely, waiting at most responseTimeoutMs for unbind_resp, then closes. */
  async close(): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(this.options.responseTimeoutMs, 1000));
      this.request({ command: 'unbind' }, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.destroy('session closed');
  }

  /** Ends the session at once: unanswered requests get null. */
  destroy(reason: string): void {
    this.end(reason);
    this.socket.destroy();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) request.answer(null, reason);
    this.handlers.onClose(this, reason);
  }

  private onData(chunk: Buffer): void {
    this.lastReceivedAtMs = Date.now();
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.destroy(`unreadable data from the SMSC: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.ended) return;
      let pdu: SmppPdu;
      try {
        pdu = decodePdu(frame);
      } catch (error) {
        if (!(error instanceof SmppDecodeError)) throw error;
        this.respond({ command: 'generic_nack', commandStatus: 0x02, sequenceNumber: frame.readUInt32BE(12) });
        continue;
      }
      this.onPdu(pdu);
    }
  }

  private onPdu(pdu: SmppPdu): void {
    if (isResponse(pdu)) {
      const request = this.pending.get(pdu.sequenceNumber);
      if (request === undefined) return; // a late answer to a request already given up on
      this.pending.delete(pdu.sequenceNumber);
      request.answer(pdu, '');
      return;
    }
    switch (pdu.command) {
      case 'deliver_sm':
        this.handlers.onDeliverSm(this, pdu);
        return;
      case 'enquire_link':
        this.respond({ command: 'enquire_link_resp', commandStatus: ESME_ROK, sequenceNumber: pdu.sequenceNumber });
        return;
      case 'unbind':
        this.respond({ command: 'unbind_resp', commandStatus: ESME_ROK, sequenceNumber: pdu.sequenceNumber });
        this.destroy('the SMSC unbound');
        return;
      default:
        this.respond({ command: 'generic_nack', commandStatus: ESME_RINVCMDID, sequenceNumber: pdu.sequenceNumber });
    }
  }

  private tick(): void {
    const nowMs = Date.now();
    for (const request of this.pending.values()) {
      // Map order is send order: the oldest request is first.
      if (nowMs - request.sentAtMs > this.options.responseTimeoutMs) {
        this.destroy(`the SMSC answered nothing for ${this.options.responseTimeoutMs} ms`);
        return;
      }
      break;
    }
    if (nowMs - this.lastReceivedAtMs >= this.options.enquireLinkIntervalMs && this.pending.size === 0) {
      this.lastReceivedAtMs = nowMs; // one enquire_link per idle interval, not one per tick
      this.request({ command: 'enquire_link' }, () => undefined);
    }
  }
}
