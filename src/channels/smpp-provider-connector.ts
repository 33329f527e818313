import type { SmppProviderSettings } from '../config/config.js';
import { log } from '../log.js';
import type { OutboundMessage, ProviderCapabilities, ProviderConnector, ProviderLiveState, ProviderReport, ProviderReportBatch, SubmitOutcome } from './provider-connector.js';
import { ReportQueue } from './report-queue.js';
import { describeCommandStatus, ESME_ROK } from './smpp-command-status.js';
import { toProviderReport } from './smpp-deliver-sm-report.js';
import { ESM_CLASS_UDHI, type ShortMessagePdu } from './smpp-pdu.js';
import { isDeliveryReceipt, parseDeliveryReceipt } from './smpp-receipt.js';
import { SmppReceiptTracker } from './smpp-receipt-tracker.js';
import { MessageTooLongError, splitIntoSegments, type Segment } from './smpp-segments.js';
import { SmppSession, type SmppRequest } from './smpp-session.js';
import { dataCodingOf, encodeText } from './smpp-text.js';
import { formatValidityPeriod } from './smpp-validity-period.js';
import { reconnectDelayMs } from './reconnect-delay.js';
import { takeTokens, type RateLimiter } from './rate-limiter.js';
import { TokenBucket } from './token-bucket.js';

/** deliver_sm PDUs read in one turn of the event loop, handed to the ingestor as one batch. */
interface IncomingBatch {
  readonly reports: ProviderReport[];
  /** Each PDU to answer with deliver_sm_resp once the batch is stored, on the session it came on. */
  readonly answers: { session: SmppSession; sequenceNumber: number }[];
}

/** Report batches buffered before the SMSC's socket is paused (back-pressure). */
const REPORT_QUEUE_HIGH_WATER = 64;
/** Most receipts held while waiting for the submit_sm_resp they refer to. */
const EARLY_RECEIPTS_HELD = 1000;
/** registered_delivery: an SMSC delivery receipt on final success or failure (5.2.17). */
const REGISTERED_DELIVERY_FINAL = 0x01;

/**
 * Speaks SMPP 3.4 to one carrier's SMSC as a transceiver. submit_sm goes out with at most `window`
 * PDUs unanswered (long text split into UDH segments, each its own submit_sm); submit_sm_resp
 * becomes accepted with the SMSC's message id as providerRef, or rejected as its command_status
 * says (retryable or not). deliver_sm receipts become delivery reports keyed back to our message
 * ids; other deliver_sm become inbound messages; either is answered with deliver_sm_resp only
 * after the ingestor has stored it, so an SMSC resends what a crash lost. A lost connection hands
 * unanswered messages back as retryable and is bound again with exponential backoff and jitter.
 */
export class SmppProviderConnector implements ProviderConnector {
  readonly kind = 'smpp' as const;
  /** Receipts name only the SMSC's id; another node, or this one after a restart, finds the message through the store. */
  readonly reportsByRef = true;
  readonly id: string;
  private session: SmppSession | null = null;
  private boundAtMs = 0;
  private connecting = false;
  private closed = false;
  /** As in the gRPC connector: set after a connect timeout, so submits fail at once during an outage. */
  private unreachable = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** submit_sm PDUs written and not yet answered (the window). */
  private inFlight = 0;
  private sessionWaiters: (() => void)[] = [];
  private windowWaiters: (() => void)[] = [];
  private readonly tracker: SmppReceiptTracker;
  private readonly reportQueue: ReportQueue<ProviderReportBatch>;
  private incoming: IncomingBatch | null = null;
  /**
   * Receipts for SMSC ids not known yet, read while submit_sm were unanswered: some SMSCs send a
   * receipt before the submit_sm_resp it refers to. Held unanswered until that answer arrives, or
   * until nothing is in flight any more (then they are reported as unknown). Bounded.
   */
  private readonly earlyReceipts = new Map<string, { session: SmppSession; pdu: ShortMessagePdu }>();
  private concatenationReference = 0;
  private readonly host: string;
  private readonly port: number;
  private readonly dataCoding: number;
  private readonly capabilitiesValue: ProviderCapabilities;

  /** The SMSC's TPS limit in submit_sm PDUs (segments), local or cluster-wide; null for none. */
  private readonly rateLimiter: RateLimiter | null;

  constructor(
    private readonly settings: SmppProviderSettings,
    rateLimiter: RateLimiter | null = null,
  ) {
    this.id = settings.id;
    this.rateLimiter = rateLimiter ?? (settings.tps > 0 ? new TokenBucket(settings.tps, settings.urgentReserve) : null);
    const colon = settings.address.lastIndexOf(':');
    this.host = settings.address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(settings.address.slice(colon + 1));
    this.dataCoding = dataCodingOf(settings.dataCoding);
    this.tracker = new SmppReceiptTracker(settings.maxTrackedReceipts);
    this.reportQueue = new ReportQueue(REPORT_QUEUE_HIGH_WATER, () => this.session?.resume());
    this.capabilitiesValue = { channels: settings.channels, maxTps: settings.tps, maxBodyBytes: 0, maxInFlight: settings.window };
    this.connect();
  }

  liveState(): ProviderLiveState {
    return { connected: this.session !== null, reachable: !(this.unreachable && this.session === null), inFlight: this.inFlight };
  }

  capabilities(): ProviderCapabilities {
    return this.capabilitiesValue;
  }

  async submit(batch: readonly OutboundMessage[], signal: AbortSignal): Promise<SubmitOutcome[]> {
    const outcomes: SubmitOutcome[] = new Array(batch.length);
    const answers: Promise<void>[] = [];
    const failFast = this.unreachable && this.session === null;
    // Split first: the TPS limit counts submit_sm PDUs, one per segment.
    const segmentsOf: (Segment[] | null)[] = batch.map((message, index) => {
      try {
        return splitIntoSegments(encodeText(textOf(message), this.settings.dataCoding), this.settings.dataCoding, this.nextConcatenationReference());
      } catch (error) {
        if (!(error instanceof MessageTooLongError)) throw error;
        outcomes[index] = { kind: 'rejected', code: 'MESSAGE_TOO_LONG', reason: error.message, retryable: false };
        return null;
      }
    });
    let next = 0;
    let allowedEnd = this.rateLimiter === null ? batch.length : 0;
    for (; next < batch.length && !failFast; next++) {
      const segments = segmentsOf[next];
      if (segments === null || segments === undefined) continue;
      if (next >= allowedEnd) {
        allowedEnd = await this.takeTokens(batch, segmentsOf, next, signal);
        if (allowedEnd === next) break;
      }
      const message = batch[next] as OutboundMessage;
      const index = next;
      const session = await this.waitForSession(signal);
      if (session === null) break;
      const answered = await this.sendMessage(session, message, segments, signal);
      if (answered === null) break;
      answers.push(answered.outcome.then((outcome) => void (outcomes[index] = outcome)));
    }
    // Whatever could not be written goes back to the caller for a later try.
    if (next < batch.length) {
      const [code, reason] = failFast
        ? ['PROVIDER_UNREACHABLE', `SMSC "${this.id}" has been unreachable since its last connect timeout; not waiting for it`]
        : ['UNAVAILABLE', signal.aborted ? 'submit cancelled' : `SMSC "${this.id}" is not bound`];
      for (let i = next; i < batch.length; i++) outcomes[i] ??= { kind: 'rejected', code, reason, retryable: true };
    }
    await Promise.all(answers);
    return outcomes;
  }

  /**
   * Waits for TPS tokens for the messages from `from` on that share its urgency (one token per
   * segment), and returns the end of the run that may go now; `from` when the wait was cancelled.
   */
  private async takeTokens(batch: readonly OutboundMessage[], segmentsOf: readonly (Segment[] | null)[], from: number, signal: AbortSignal): Promise<number> {
    const urgent = (batch[from] as OutboundMessage).priority === 'urgent';
    const units: number[] = [];
    const positions: number[] = [];
    for (let i = from; i < batch.length && ((batch[i] as OutboundMessage).priority === 'urgent') === urgent; i++) {
      const segments = segmentsOf[i];
      if (segments === null || segments === undefined) continue;
      units.push(segments.length);
      positions.push(i);
    }
    const granted = await takeTokens(this.rateLimiter as RateLimiter, units, urgent, signal);
    return granted === 0 ? from : (positions[granted - 1] as number) + 1;
  }

  reports(): AsyncIterable<ProviderReportBatch> {
    return this.reportQueue;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reportQueue.close();
    const session = this.session;
    this.session = null;
    this.wake(this.sessionWaiters.splice(0));
    this.wake(this.windowWaiters.splice(0));
    await session?.close();
  }

  /**
   * Writes the segments of one message, each when the window has room, and returns (wrapped) the
   * promise of its outcome; or null when nothing was written (the wait was cancelled). A message whose
   * deadline passed before its first segment went out is rejected TTL_EXPIRED instead.
   */
  private async sendMessage(session: SmppSession, message: OutboundMessage, segments: Segment[], signal: AbortSignal): Promise<{ readonly outcome: Promise<SubmitOutcome> } | null> {
    let resolve!: (outcome: SubmitOutcome) => void;
    const outcome = new Promise<SubmitOutcome>((r) => (resolve = r));
    const tracked = this.tracker.startMessage(message.messageId, segments.length);
    const validityPeriod = message.expiresAtMs > 0 ? formatValidityPeriod(message.expiresAtMs) : '';
    let remaining = segments.length;
    let firstRef = '';
    let rejection: SubmitOutcome | null = null;
    const settle = (): void => {
      if (--remaining === 0) resolve(rejection ?? { kind: 'accepted', providerRef: firstRef });
    };

    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as Segment;
      if (!(await this.acquireWindowSlot(session, signal))) {
        if (i === 0) return null;
        // Part of the message is out: the rest cannot follow on another connection.
        rejection ??= { kind: 'rejected', code: 'CONNECTION_LOST', reason: `the connection to SMSC "${this.id}" ended between segments`, retryable: true };
        remaining -= segments.length - i - 1;
        settle();
        break;
      }
      if (i === 0 && message.expiresAtMs > 0 && message.expiresAtMs <= Date.now()) {
        this.releaseWindowSlot();
        return { outcome: Promise.resolve({ kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the SMSC', retryable: false }) };
      }
      const submitSm = this.toSubmitSm(message, segment, validityPeriod);
      try {
        session.request(submitSm, (response, failure) => {
          if (response === null) {
            rejection ??= { kind: 'rejected', code: 'CONNECTION_LOST', reason: `no submit_sm_resp from SMSC "${this.id}": ${failure}`, retryable: true };
          } else if (response.commandStatus !== ESME_ROK) {
            const meaning = describeCommandStatus(response.commandStatus);
            rejection ??= { kind: 'rejected', code: meaning.code, reason: `SMSC "${this.id}" refused the message: ${meaning.description}`, retryable: meaning.retryable };
          } else {
            const ref = response.command === 'submit_sm_resp' ? response.messageId : '';
            // Tracked before anything else is read, so this segment's receipt always finds it.
            this.tracker.addSegment(tracked, ref);
            if (i === 0) firstRef = ref;
            // A successful first answer after a reconnect: the link is good again.
            this.reconnectAttempt = 0;
            this.replayEarlyReceipt(ref);
          }
          settle();
          // Last: with the window empty, receipts still held as early are settled (see holdEarlyReceipt).
          this.releaseWindowSlot();
        });
      } catch (error) {
        // A field the PDU cannot hold (e.g. a sender longer than 20 characters) fails the same anywhere.
        this.releaseWindowSlot();
        rejection ??= { kind: 'rejected', code: 'SMPP_INVALID_FIELD', reason: `cannot be sent over SMPP: ${(error as Error).message}`, retryable: false };
        remaining -= segments.length - i - 1;
        settle();
        break;
      }
    }
    // Wrapped: an async function returning the promise itself would wait for it, and nothing would be pipelined.
    return { outcome };
  }

  private toSubmitSm(message: OutboundMessage, segment: Segment, validityPeriod: string): SmppRequest {
    return {
      command: 'submit_sm',
      serviceType: '',
      sourceAddrTon: this.settings.sourceTon,
      sourceAddrNpi: this.settings.sourceNpi,
      sourceAddr: message.sender,
      destAddrTon: this.settings.destTon,
      destAddrNpi: this.settings.destNpi,
      destinationAddr: message.recipient.replace(/^\+/, ''),
      esmClass: segment.udhi ? ESM_CLASS_UDHI : 0,
      protocolId: 0,
      priorityFlag: 0,
      scheduleDeliveryTime: '',
      validityPeriod,
      registeredDelivery: REGISTERED_DELIVERY_FINAL,
      replaceIfPresentFlag: 0,
      dataCoding: this.dataCoding,
      smDefaultMsgId: 0,
      shortMessage: segment.shortMessage,
      tlvs: [],
    };
  }

  private nextConcatenationReference(): number {
    this.concatenationReference = (this.concatenationReference + 1) & 0xff;
    return this.concatenationReference;
  }

  /** Waits for room in the window on `session`; false when the session went away or the wait was cancelled. */
  private async acquireWindowSlot(session: SmppSession, signal: AbortSignal): Promise<boolean> {
    while (this.session === session && !signal.aborted && !this.closed) {
      if (this.inFlight < this.settings.window) {
        this.inFlight++;
        return true;
      }
      await new Promise<void>((resolve) => {
        // The dispatcher's signal lives as long as the node: never leave a listener on it behind.
        const wake = (): void => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        signal.addEventListener('abort', wake, { once: true });
        this.windowWaiters.push(wake);
      });
    }
    return false;
  }

  private releaseWindowSlot(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.earlyReceipts.size > 0) this.settleEarlyReceipts();
    // Every waiter re-checks: one woken alone might have been cancelled and leave the slot unused.
    this.wake(this.windowWaiters.splice(0));
  }

  /** The bound session, waiting up to connectTimeoutMs for one; null when none came or the wait was cancelled. */
  private async waitForSession(signal: AbortSignal): Promise<SmppSession | null> {
    if (this.session !== null || this.closed || signal.aborted) return signal.aborted ? null : this.session;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.settings.connectTimeoutMs);
      signal.addEventListener('abort', finish, { once: true });
      this.sessionWaiters.push(finish);
      function finish(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      }
    });
    if (this.session === null && !signal.aborted && !this.closed) this.unreachable = true;
    return signal.aborted ? null : this.session;
  }

  private connect(): void {
    if (this.closed || this.connecting || this.session !== null) return;
    this.connecting = true;
    SmppSession.open(
      {
        host: this.host,
        port: this.port,
        systemId: this.settings.systemId,
        password: this.settings.password,
        systemType: this.settings.systemType,
        connectTimeoutMs: this.settings.connectTimeoutMs,
        responseTimeoutMs: this.settings.responseTimeoutMs,
        enquireLinkIntervalMs: this.settings.enquireLinkIntervalMs,
      },
      { onDeliverSm: (session, pdu) => this.onDeliverSm(session, pdu), onClose: (session, reason) => this.onSessionClosed(session, reason) },
    ).then(
      (session) => {
        this.connecting = false;
        if (this.closed) {
          void session.close();
          return;
        }
        this.session = session;
        this.boundAtMs = Date.now();
        this.unreachable = false;
        log('info', 'smpp bound', { provider: this.id, address: this.settings.address });
        this.wake(this.sessionWaiters.splice(0));
      },
      (error: Error) => {
        this.connecting = false;
        if (this.closed) return;
        log('warn', 'smpp bind failed', { provider: this.id, address: this.settings.address, error: error.message, attempt: this.reconnectAttempt });
        this.scheduleReconnect();
      },
    );
  }

  private onSessionClosed(session: SmppSession, reason: string): void {
    if (session !== this.session) return;
    this.session = null;
    // A session that lived longer than the longest backoff was a good one: start the backoff afresh.
    if (Date.now() - this.boundAtMs > this.settings.maxReconnectBackoffMs) this.reconnectAttempt = 0;
    log('warn', 'smpp session ended', { provider: this.id, reason });
    // Writers waiting for window room on this session give up; the messages go back retryable.
    this.wake(this.windowWaiters.splice(0));
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    const delayMs = reconnectDelayMs(this.reconnectAttempt, this.settings.reconnectBackoffMs, this.settings.maxReconnectBackoffMs);
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 30);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delayMs);
  }

  private onDeliverSm(session: SmppSession, pdu: ShortMessagePdu, mayHold = true): void {
    if (mayHold && this.holdEarlyReceipt(session, pdu)) return;
    const report = toProviderReport(pdu, this.tracker, this.id);
    if (report === null) {
      // Nothing to store (an intermediate receipt, or one segment of several delivered): answer now.
      session.respond({ command: 'deliver_sm_resp', commandStatus: ESME_ROK, sequenceNumber: pdu.sequenceNumber, messageId: '' });
      return;
    }
    if (this.incoming === null) {
      const batch: IncomingBatch = { reports: [], answers: [] };
      this.incoming = batch;
      // Everything read in this turn goes to the store together.
      setImmediate(() => this.flushIncoming(batch));
    }
    this.incoming.reports.push(report);
    this.incoming.answers.push({ session, sequenceNumber: pdu.sequenceNumber });
  }

  /** Holds a receipt for an id the tracker does not know while submits are unanswered; true when held. */
  private holdEarlyReceipt(session: SmppSession, pdu: ShortMessagePdu): boolean {
    if (this.inFlight === 0 || !isDeliveryReceipt(pdu.esmClass) || this.earlyReceipts.size >= EARLY_RECEIPTS_HELD) return false;
    const receipt = parseDeliveryReceipt(pdu);
    if (receipt === null || this.tracker.knows(receipt.providerRef)) return false;
    this.earlyReceipts.set(receipt.providerRef, { session, pdu });
    return true;
  }

  private replayEarlyReceipt(providerRef: string): void {
    const early = this.earlyReceipts.get(providerRef);
    if (early === undefined) return;
    this.earlyReceipts.delete(providerRef);
    this.onDeliverSm(early.session, early.pdu, false);
  }

  private settleEarlyReceipts(): void {
    const held = [...this.earlyReceipts.values()];
    this.earlyReceipts.clear();
    // A receipt whose session has ended is left to the SMSC to resend.
    for (const { session, pdu } of held) if (session.isOpen) this.onDeliverSm(session, pdu, false);
  }

  private flushIncoming(batch: IncomingBatch): void {
    if (this.incoming === batch) this.incoming = null;
    const ack = (): void => {
      // A session that has since ended cannot carry the answer; the SMSC resends and duplicates change nothing.
      for (const { session, sequenceNumber } of batch.answers) session.respond({ command: 'deliver_sm_resp', commandStatus: ESME_ROK, sequenceNumber, messageId: '' });
    };
    if (!this.reportQueue.push({ reports: batch.reports, ack })) this.session?.pause();
  }

  private wake(waiters: (() => void)[]): void {
    for (const wake of waiters) wake();
  }
}

/** What the recipient reads: an LMS subject goes on the first line, as SMPP has no field for it. */
function textOf(message: OutboundMessage): string {
  return message.subject === '' ? message.body : `${message.subject}\n${message.body}`;
}
