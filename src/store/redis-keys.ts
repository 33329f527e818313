/**
 * Key naming for the Redis store. Everything about one message (its queue entry, status, history,
 * client_ref dedup key and its tenant's report stream for that shard) carries the same hash tag
 * `{s<k>}`, so each Lua script touches a single slot and the same code runs on Redis Cluster.
 * The scripts derive per-message keys from the tag themselves (the same names as below): they
 * are in the slot of the declared keys, and passing them would triple the arguments per batch.
 *
 *   <prefix>:{s3}:q:urgent | q:normal | q:bulk    queue streams (consumer group "dispatch")
 *   <prefix>:{s3}:delayed                         ZSET of messages waiting for a retry, by due time
 *   <prefix>:{s3}:msg:<messageId>                 STRING state, tenant, ref, tags, then the status
 *                                                 events (status-event-line.ts), oldest first; TTL = status retention
 *   <prefix>:{s3}:ref:<tenant>:<clientRef>        STRING messageId\t<fingerprint>, TTL = dedup window
 *   <prefix>:{s3}:seen:<dedupKey>                 STRING, TTL = dedup window (provider report ids)
 *   <prefix>:{s3}:reports:<tenant>                STREAM of the tenant's reports from this shard, one entry
 *                                                 per write (field b: report lines, see redis-scripts.ts)
 *   <prefix>:{s3}:dead                            STREAM of dead-lettered messages
 *   <prefix>:{s3}:fb:<messageId>                  HASH: plan (fallback plan JSON, while one is kept),
 *                                                 x:<attempt> per attempt marked ('1' settled, 'o' taken as
 *                                                 overdue, 'r<reportId>' plan taken by that failure report) and
 *                                                 mv:<attempt>, the plan of a move not finished; TTL = status retention
 *   <prefix>:{s3}:pref:<providerId>\t<ref>          STRING messageId, TTL = status retention (reports by supplier reference;
 *                                                 shard by the pair, not by the message)
 *   <prefix>:{s3}:rdl                             ZSET of report deadlines: "<messageId>\t<attempt>" by due time
 *   <prefix>:{optout:<tenant>}                    SET of the tenant's opted-out numbers (E.164)
 *   <prefix>:operator                             HASH of operator overrides of suppliers: providerId -> JSON
 *                                                 {drained, preferred} (see operator-states.ts)
 */
import { fnv1a } from '../domain/fnv1a.js';
import { PRIORITIES, type MessagePriority } from '../domain/message.js';

/** One queue stream per priority, in the order the dispatcher reads them. */
export const LANES = PRIORITIES;
export const CONSUMER_GROUP = 'dispatch';

export class RedisKeys {
  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {}

  tag(shard: number): string {
    return `${this.prefix}:{s${shard}}`;
  }

  lane(shard: number, lane: MessagePriority): string {
    return `${this.tag(shard)}:q:${lane}`;
  }

  delayed(shard: number): string {
    return `${this.tag(shard)}:delayed`;
  }

  message(shard: number, messageId: string): string {
    return `${this.tag(shard)}:msg:${messageId}`;
  }

  reports(shard: number, tenant: string): string {
    return `${this.tag(shard)}:reports:${tenant}`;
  }

  /** Operator overrides of suppliers (drain, switch), one HASH for the whole deployment. */
  operatorStates(): string {
    return `${this.prefix}:operator`;
  }

  /** A tenant's advertising opt-out list (a SET of E.164 numbers); its own slot, one key per tenant. */
  optOuts(tenant: string): string {
    return `${this.prefix}:{optout:${tenant}}`;
  }

  /** A message's fallback plan and taken attempts (see redis-fallback-scripts.ts). */
  fallback(shard: number, messageId: string): string {
    return `${this.tag(shard)}:fb:${messageId}`;
  }

  /** The shard of a supplier's reference index entry: by the pair, since a report names no message. */
  shardOfProviderRef(providerId: string, providerRef: string): number {
    return fnv1a(`${providerId}\u0000${providerRef}`) % this.shards;
  }

  /** A message id by its supplier's reference; TTL = status retention. */
  providerRef(shard: number, providerId: string, providerRef: string): string {
    return `${this.tag(shard)}:pref:${providerId}\t${providerRef}`;
  }

  /** A shard's report deadlines (see redis-fallback-scripts.ts). */
  reportDeadlines(shard: number): string {
    return `${this.tag(shard)}:rdl`;
  }

  dead(shard: number): string {
    return `${this.tag(shard)}:dead`;
  }

  /** The shard for a new message: by client_ref when there is one, so duplicates meet on one shard. */
  shardFor(tenant: string, clientRef: string, messageId: string): number {
    return fnv1a(clientRef === '' ? messageId : `${tenant}\u0000${clientRef}`) % this.shards;
  }

  /** Message ids from this store end in ".<shard>"; -1 when the id is not one of ours. */
  shardOf(messageId: string): number {
    const dot = messageId.lastIndexOf('.');
    const shard = dot < 0 ? Number.NaN : Number(messageId.slice(dot + 1));
    return Number.isInteger(shard) && shard >= 0 && shard < this.shards ? shard : -1;
  }
}
