import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { Channel, type Capabilities, type ChannelProviderClient, type ProviderMessage, type SubmitResult } from '../gen/switchboard/provider/v1/provider.js';
import { openReportSession, type ReportSession } from './report-session.js';
import type { RunLedger } from './run-ledger.js';
import { openSubmitSession, type SubmitSession } from './submit-session.js';

/** Settings of one run, from the command line. */
export interface ProviderCheckSettings {
  /** HOST:PORT of the supplier's ChannelProvider server. */
  readonly target: string;
  /** How to reach it; plaintext when absent. */
  readonly credentials?: ChannelCredentials | undefined;
  readonly channelOptions?: ChannelOptions | undefined;
  /** The channel to test; undefined: the first one the provider lists (sms if it lists none). */
  readonly channel: Channel | undefined;
  /** How long to wait for any one expected thing (an answer, a report, a stream end). */
  readonly timeoutMs: number;
  /** Messages kept in flight by the window check when the provider states no max_in_flight. */
  readonly window: number;
  /** A valid recipient the provider can deliver to (test messages go there). */
  readonly recipient: string;
  /** The sender shown on test messages. */
  readonly sender: string;
}

/** What checks share: the client, the settings, the run's ledger and what the provider said it can do. */
export interface CheckContext {
  readonly client: ChannelProviderClient;
  readonly settings: ProviderCheckSettings;
  readonly ledger: RunLedger;
  /** Set by the capabilities check; undefined when the provider did not answer sanely. */
  capabilities: Capabilities | undefined;
  /** The channel test messages use. */
  channel(): Channel;
  /** A new valid test message, with a message id unique to this run (`<prefix>-<tag>-<n>`). */
  message(tag: string, overrides?: Partial<ProviderMessage>): ProviderMessage;
  openSubmit(): SubmitSession;
  openReports(autoAck: boolean): ReportSession;
  /** How long a check waits to be sure something does NOT come (a second answer, a resent report). */
  readonly settleMs: number;
  /** How long closing a stream may take before it is cancelled. */
  readonly closeGraceMs: number;
}

export function createCheckContext(client: ChannelProviderClient, settings: ProviderCheckSettings, ledger: RunLedger): CheckContext {
  let counter = 0;
  const context: CheckContext = {
    client,
    settings,
    ledger,
    capabilities: undefined,
    settleMs: Math.min(1000, Math.max(200, settings.timeoutMs / 4)),
    closeGraceMs: Math.min(2000, settings.timeoutMs),
    channel: () => settings.channel ?? context.capabilities?.channels[0] ?? Channel.CHANNEL_SMS,
    message: (tag, overrides = {}) => ({
      messageId: `${ledger.prefix}-${tag}-${++counter}`,
      channel: context.channel(),
      recipient: settings.recipient,
      sender: settings.sender,
      subject: '',
      body: 'switchboard provider-check test message',
      attributes: {},
      expiresAtMs: 0,
      idempotencyKey: '',
      ...overrides,
    }),
    openSubmit: () => openSubmitSession(client, ledger, settings.timeoutMs),
    openReports: (autoAck) => openReportSession(client, ledger, autoAck),
  };
  return context;
}

/** One answer in words, for failure details: `accepted (ref "x")`, `rejected INVALID_NUMBER (permanent)`. */
export function describeAnswer(result: SubmitResult | undefined): string {
  const outcome = result?.outcome;
  if (result === undefined) return 'no answer';
  if (outcome === undefined) return 'an answer with neither accepted nor rejected';
  if (outcome.$case === 'accepted') return `accepted (ref ${JSON.stringify(outcome.value.providerRef)})`;
  return `rejected ${outcome.value.code || '(no code)'} (${outcome.value.retryable ? 'retryable' : 'permanent'}: ${JSON.stringify(outcome.value.reason)})`;
}

/** Names up to `max` items and how many more there are, so failure lines stay one line. */
export function listSome(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** The proto enum name without its prefix, e.g. CHANNEL_SMS → sms. */
export function channelName(channel: Channel): string {
  const name = Channel[channel] as string | undefined;
  return name === undefined ? `unknown(${channel})` : name.replace(/^CHANNEL_/, '').toLowerCase();
}
