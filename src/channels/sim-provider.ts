import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerCredentials } from '@grpc/grpc-js';
import {
  Channel,
  DeliveryState,
  type DeliveryReport,
  type ProviderMessage,
} from '../gen/switchboard/provider/v1/provider.js';
import { CHANNELS } from '../domain/channel.js';
import { toProviderChannel } from './provider-channel.js';
import {
  createProviderServer,
  isE164,
  type ProviderServerStats,
  type SubmitOutcome,
} from './provider-sdk.js';

/**
 * How the simulated supplier behaves. Every field is optional. Whatever the rates, these
 * recipient rules always hold, for tests:
 * - not E.164, or ending in "0000": rejected permanently (`INVALID_NUMBER`);
 * - ending in "0001": accepted, then a FAILED delivery report (`UNREACHABLE`);
 * - ending in "0002", on AlimTalk or FriendTalk only: accepted, then a FAILED delivery report
 *   (`NO_KAKAOTALK`: the recipient has no KakaoTalk), sent twice under two report ids, as a
 *   supplier that resends reports does; other channels deliver it;
 * - ending in "0003", on FriendTalk only: rejected permanently (`NOT_FRIEND`: FriendTalk only
 *   reaches friends of the business channel); other channels take it;
 * - ending in "0004", on AlimTalk only: rejected permanently (`TEMPLATE_MISMATCH`: the text does
 *   not match the approved template); other channels take it.
 * A message past its expires_at_ms is rejected `EXPIRED` (by the SDK).
 */
export interface SimProviderOptions {
  /** Names the sim in provider refs, report ids and logs. Default 'sim'. */
  id?: string | undefined;
  /** Default '127.0.0.1'. */
  host?: string | undefined;
  /** Default 0 (any free port; read it back from `port`). */
  port?: number | undefined;
  /** Channels reported in capabilities; the first one also tags inbound messages. Default [CHANNEL_SMS]. */
  channels?: Channel[] | undefined;
  /** Delay before a Submit batch is answered, one timer per batch. Default 0. */
  latencyMs?: number | undefined;
  /** Share of messages rejected, 0..1. Default 0. */
  rejectRate?: number | undefined;
  /** Code of those rejections. Default 'SIM_REJECTED'. */
  rejectCode?: string | undefined;
  /** Whether those rejections are retryable. Default false. */
  rejectRetryable?: boolean | undefined;
  /** Delay between accepting a message and its delivery report. Default 0. */
  dlrDelayMs?: number | undefined;
  /** Share of delivery reports that are FAILED with code 'SIM_UNDELIVERABLE', 0..1. Default 0. */
  dlrFailRate?: number | undefined;
  /** Makes rejects and DLR failures repeatable; without it they use Math.random. */
  seed?: number | undefined;
  /** Appends `${timeMs}\t${messageId}\t${recipient}\t${channel}\t${new|dup}\t${idempotencyKey}` per received message. */
  ledgerPath?: string | undefined;
  /** Reported in capabilities; not enforced. Default 0. */
  maxTps?: number | undefined;
  /**
   * Sends a graceful GOAWAY to each connection after this age (grpc.max_connection_age_ms), with
   * `maxConnectionAgeGraceMs` (default 5000) before its streams are cut. Default: never.
   */
  maxConnectionAgeMs?: number | undefined;
  maxConnectionAgeGraceMs?: number | undefined;
  /**
   * Recipients ending in one of these get no delivery report (a supplier that goes quiet), until
   * `releaseWithheldReports()` sends them late. Default none.
   */
  withholdReportsFor?: readonly string[] | undefined;
  /**
   * Serve TLS with this certificate chain and key (PEM files); with `clientCaFile`, gateways must
   * present a client certificate it signed (mutual TLS). Default plaintext.
   */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string | undefined } | undefined;
  /** Keep received message ids for `received()`; turn off for long benchmarks. Default true. */
  recordIds?: boolean | undefined;
}

/** A running simulated supplier. */
export interface SimProvider {
  /** The bound port. */
  readonly port: number;
  /** Where a client connects, e.g. '127.0.0.1:50051'. */
  readonly address: string;
  /** Message ids received on Submit in order, duplicates included (empty when `recordIds` is false). */
  received(): string[];
  /** The last message received with this id, as the supplier got it (undefined when `recordIds` is false). */
  receivedMessage(messageId: string): ProviderMessage | undefined;
  /** Counters of the underlying provider server. */
  stats(): ProviderServerStats;
  /** Changes the share of rejected messages from now on (an incident starts or ends). */
  setRejectRate(rate: number): void;
  /** Sends the delivery reports withheld so far (see `withholdReportsFor`), late; returns how many. */
  releaseWithheldReports(): number;
  /** Emits an inbound message report (a recipient's reply); returns its report id. */
  reportInbound(from: string, to: string, body: string, inReplyTo?: string): string;
  /** Emits a delivery report of its own making (a stray or contradictory one, for tests); returns its report id. */
  reportDelivery(report: Omit<DeliveryReport, 'doneAtMs'>): string;
  /** Ends streams, shuts down and flushes the ledger. */
  close(): Promise<void>;
  /** Drops every connection at once, like a crash; the ledger is still flushed. */
  forceClose(): void;
}

/** Delivery reports due at one time; one entry per accepted batch, not per message. */
interface DueReports {
  readonly dueAtMs: number;
  readonly reports: DeliveryReport[];
}

/** Starts a simulated ChannelProvider on the SDK. */
export async function startSimProvider(options: SimProviderOptions = {}): Promise<SimProvider> {
  const id = options.id ?? 'sim';
  const host = options.host ?? '127.0.0.1';
  const channels = options.channels ?? [Channel.CHANNEL_SMS];
  const latencyMs = options.latencyMs ?? 0;
  let rejectRate = options.rejectRate ?? 0;
  const rejectCode = options.rejectCode ?? 'SIM_REJECTED';
  const rejectRetryable = options.rejectRetryable ?? false;
  const dlrDelayMs = options.dlrDelayMs ?? 0;
  const dlrFailRate = options.dlrFailRate ?? 0;
  const recordIds = options.recordIds ?? true;
  const withholdFor = options.withholdReportsFor ?? [];
  const withheld: DeliveryReport[] = [];
  const random = options.seed === undefined ? Math.random : mulberry32(options.seed);
  // Refs must not repeat across restarts of the same sim id, or reports would match old messages.
  const refPrefix = `${id}-${Date.now().toString(36)}`;

  const receivedIds: string[] = [];
  const receivedMessages = new Map<string, ProviderMessage>();
  const ledger = options.ledgerPath === undefined ? undefined : await openLedger(options.ledgerPath);
  const dueQueue: DueReports[] = [];
  let dueHead = 0;
  let dueTimer: NodeJS.Timeout | undefined;
  let refCounter = 0;
  let closed: Promise<void> | undefined;
  let stopped = false;

  const server = createProviderServer(
    {
      capabilities: { channels, maxTps: options.maxTps ?? 0, maxBodyBytes: 0, maxInFlight: 0 },
      onReceive: (message, duplicate) => {
        if (recordIds) {
          receivedIds.push(message.messageId);
          receivedMessages.set(message.messageId, message);
        }
        ledger?.append(message, duplicate);
      },
      submit: async (messages) => {
        // What the ledger says was received is on file before any answer leaves: a supplier killed
        // after answering has its accepted messages in the ledger, as a real one has them in its database.
        ledger?.flush();
        if (latencyMs > 0) await sleep(latencyMs);
        const outcomes: SubmitOutcome[] = [];
        const reports: DeliveryReport[] = [];
        for (const message of messages) {
          const outcome = decide(message);
          outcomes.push(outcome);
          if ('accepted' in outcome) {
            const report = deliveryFor(message, outcome.accepted.providerRef);
            if (withholdFor.some((suffix) => message.recipient.endsWith(suffix))) {
              withheld.push(report);
              continue;
            }
            reports.push(report);
            if (report.code === 'NO_KAKAOTALK') reports.push({ ...report });
          }
        }
        if (reports.length > 0) scheduleReports(reports);
        return outcomes;
      },
    },
    {
      reportIdPrefix: refPrefix,
      grpcOptions:
        options.maxConnectionAgeMs === undefined
          ? {}
          : { 'grpc.max_connection_age_ms': options.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs ?? 5000 },
    },
  );

  function decide(message: ProviderMessage): SubmitOutcome {
    const recipient = message.recipient;
    if (!isE164(recipient)) {
      return { rejected: { code: 'INVALID_NUMBER', reason: `recipient ${JSON.stringify(recipient)} is not an E.164 number`, retryable: false } };
    }
    if (recipient.endsWith('0000')) {
      return { rejected: { code: 'INVALID_NUMBER', reason: `recipient ${recipient} does not exist`, retryable: false } };
    }
    if (recipient.endsWith('0004') && message.channel === Channel.CHANNEL_ALIMTALK) {
      return { rejected: { code: 'TEMPLATE_MISMATCH', reason: `the text does not match AlimTalk template "${message.attributes['alimtalk.template_code'] ?? ''}"`, retryable: false } };
    }
    if (recipient.endsWith('0003') && message.channel === Channel.CHANNEL_FRIENDTALK) {
      return { rejected: { code: 'NOT_FRIEND', reason: `recipient ${recipient} is not a friend of the business channel`, retryable: false } };
    }
    if (rejectRate > 0 && random() < rejectRate) {
      return { rejected: { code: rejectCode, reason: `simulated rejection by ${id}`, retryable: rejectRetryable } };
    }
    return { accepted: { providerRef: `${refPrefix}-${++refCounter}` } };
  }

  // The outcome is drawn at accept time so a seeded run does not depend on timer order.
  function deliveryFor(message: ProviderMessage, providerRef: string): DeliveryReport {
    const report: DeliveryReport = {
      messageId: message.messageId,
      providerRef,
      state: DeliveryState.DELIVERY_STATE_DELIVERED,
      code: '',
      description: 'delivered',
      doneAtMs: 0,
    };
    const kakao = message.channel === Channel.CHANNEL_ALIMTALK || message.channel === Channel.CHANNEL_FRIENDTALK;
    if (kakao && message.recipient.endsWith('0002')) {
      report.state = DeliveryState.DELIVERY_STATE_FAILED;
      report.code = 'NO_KAKAOTALK';
      report.description = `recipient ${message.recipient} has no KakaoTalk`;
    } else if (message.recipient.endsWith('0001')) {
      report.state = DeliveryState.DELIVERY_STATE_FAILED;
      report.code = 'UNREACHABLE';
      report.description = `recipient ${message.recipient} is unreachable`;
    } else if (dlrFailRate > 0 && random() < dlrFailRate) {
      report.state = DeliveryState.DELIVERY_STATE_FAILED;
      report.code = 'SIM_UNDELIVERABLE';
      report.description = `simulated delivery failure by ${id}`;
    }
    return report;
  }

  function emit(reports: DeliveryReport[]): void {
    const now = Date.now();
    for (const delivery of reports) {
      delivery.doneAtMs = now;
      server.report({ delivery });
    }
  }

  // The delay is constant, so due times only grow: a FIFO with one timer for its head suffices.
  function scheduleReports(reports: DeliveryReport[]): void {
    if (stopped) return; // a batch still sleeping through close() must not re-arm the timer
    if (dlrDelayMs <= 0) return emit(reports);
    dueQueue.push({ dueAtMs: Date.now() + dlrDelayMs, reports });
    if (dueTimer === undefined) armDueTimer();
  }

  function armDueTimer(): void {
    const head = dueQueue[dueHead];
    if (head === undefined) {
      dueTimer = undefined;
      return;
    }
    dueTimer = setTimeout(fireDue, Math.max(0, head.dueAtMs - Date.now()));
  }

  function fireDue(): void {
    const now = Date.now();
    for (let head = dueQueue[dueHead]; head !== undefined && head.dueAtMs <= now; head = dueQueue[dueHead]) {
      dueHead++;
      emit(head.reports);
    }
    if (dueHead > 1024 && dueHead * 2 > dueQueue.length) {
      dueQueue.splice(0, dueHead);
      dueHead = 0;
    }
    armDueTimer();
  }

  function stopDueTimer(): void {
    stopped = true;
    if (dueTimer !== undefined) clearTimeout(dueTimer);
    dueTimer = undefined;
  }

  const port = await server.listen(host, options.port ?? 0, serverCredentials(options.tls));
  const connectHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    port,
    address: `${connectHost}:${port}`,
    received: () => receivedIds.slice(),
    receivedMessage: (messageId) => receivedMessages.get(messageId),
    stats: () => server.stats(),
    releaseWithheldReports: () => {
      const late = withheld.splice(0);
      emit(late);
      return late.length;
    },
    setRejectRate: (rate) => {
      rejectRate = rate;
    },
    reportInbound: (from, to, body, inReplyTo) =>
      server.report({
        inbound: {
          channel: channels[0] ?? Channel.CHANNEL_UNSPECIFIED,
          from,
          to,
          body,
          inReplyToMessageId: inReplyTo ?? '',
          receivedAtMs: Date.now(),
        },
      }),
    reportDelivery: (report) => server.report({ delivery: { ...report, doneAtMs: Date.now() } }),
    close: () =>
      (closed ??= (async () => {
        stopDueTimer();
        await server.close();
        await ledger?.close();
      })()),
    forceClose: () => {
      stopDueTimer();
      server.forceClose();
      // Nobody awaits a crash; a ledger write error here has no one to go to.
      ledger?.close().catch(() => {});
    },
  };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1), same sequence for the same seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ledger channel names, e.g. CHANNEL_ALIMTALK → 'alimtalk', the names config and store use. */
const LEDGER_CHANNEL_NAMES = new Map<Channel, string>(CHANNELS.map((name) => [toProviderChannel(name), name]));

/**
 * The append-only ledger: lines collect in a string and go to the file in one write per tick, or
 * at once by flush() (before a Submit frame is answered). The writes are synchronous: a line
 * written is in the kernel, so it survives a SIGKILL of this process (the failover bench kills a
 * supplier and counts what its ledger lacks as lost; an asynchronous write could still be queued
 * when the answers had already left). Fails the start when the file cannot be opened.
 */
async function openLedger(path: string): Promise<{ append(message: ProviderMessage, duplicate: boolean): void; flush(): void; close(): Promise<void> }> {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new Error(`cannot open ledger ${path}: ${(error as Error).message}`, { cause: error });
  }
  let buffered = '';
  let scheduled = false;
  let closed = false;
  const flush = (): void => {
    scheduled = false;
    if (buffered.length === 0 || closed) return;
    writeSync(fd, buffered);
    buffered = '';
  };
  return {
    append: (message, duplicate) => {
      const channel = LEDGER_CHANNEL_NAMES.get(message.channel) ?? String(message.channel);
      buffered += `${Date.now()}\t${message.messageId}\t${message.recipient}\t${channel}\t${duplicate ? 'dup' : 'new'}\t${message.idempotencyKey}\n`;
      if (!scheduled && !closed) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    close: async () => {
      if (closed) return;
      flush();
      closed = true;
      closeSync(fd);
    },
  };
}

function serverCredentials(tls: SimProviderOptions['tls']): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCaFile === undefined ? null : readFileSync(tls.clientCaFile);
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], clientCa !== null);
}
