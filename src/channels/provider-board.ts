import type { ProviderChoiceSettings } from '../config/config.js';
import type { SubmitOutcome } from './provider-connector.js';
import { ProviderHealth, type HealthListener } from './provider-health.js';

/** What an operator set for a supplier; kept across config reloads while the supplier stays configured. */
export interface OperatorState {
  /** Takes no new messages; what it has in flight finishes. */
  readonly drained: boolean;
  /** Goes before every priority group of each channel it carries (set by a switch to it). */
  readonly preferred: boolean;
}

const NORMAL: OperatorState = { drained: false, preferred: false };

/**
 * The health and operator state of every configured supplier, in one place the selector, the
 * dispatcher (answers), the report ingest (final reports) and the admin API share. It outlives
 * connectors: a reload keeps the state of suppliers that remain and forgets the removed ones.
 */
export class ProviderBoard {
  private readonly healths = new Map<string, ProviderHealth>();
  private readonly operator = new Map<string, OperatorState>();
  private operatorVersion = 0;

  constructor(
    private readonly now: () => number,
    private readonly listener: HealthListener,
  ) {}

  /** Applies the (new) config: thresholds for every configured supplier; state of removed ones is dropped. */
  configure(settings: ProviderChoiceSettings): void {
    const ids = new Set(Object.keys(settings.health));
    for (const id of [...this.healths.keys()]) {
      if (!ids.has(id)) {
        this.healths.delete(id);
        this.operator.delete(id);
        this.operatorVersion++;
      }
    }
    for (const [id, health] of Object.entries(settings.health)) {
      const existing = this.healths.get(id);
      if (existing === undefined) this.healths.set(id, new ProviderHealth(id, health, this.now, this.listener));
      else existing.configure(health);
    }
  }

  /** Changes whenever an operator state changes, so the selector can cache what depends on it. */
  version(): number {
    return this.operatorVersion;
  }

  health(providerId: string): ProviderHealth | undefined {
    return this.healths.get(providerId);
  }

  recordAnswers(providerId: string, outcomes: readonly SubmitOutcome[], messageIds: readonly string[]): void {
    this.healths.get(providerId)?.recordAnswers(outcomes, messageIds);
  }

  recordFinalReport(providerId: string, messageId: string): void {
    this.healths.get(providerId)?.recordFinalReport(messageId);
  }

  operatorState(providerId: string): OperatorState {
    return this.operator.get(providerId) ?? NORMAL;
  }

  setOperatorState(providerId: string, change: Partial<OperatorState>): OperatorState {
    const next = { ...this.operatorState(providerId), ...change };
    this.operator.set(providerId, next);
    this.operatorVersion++;
    return next;
  }
}
