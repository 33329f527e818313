import { status as Status } from '@grpc/grpc-js';

/** An error meant for the client: a gRPC status code and a message a person can act on. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** When the client may try again, for errors that say "not now" (sent as a retry hint, see toStatus). */
  readonly retryAfterMs: number | null;
  constructor(
    readonly code: Status,
    readonly details: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(`${Status[code]}: ${details}`, options);
    this.retryAfterMs = options?.retryAfterMs ?? null;
  }
}

export const invalidArgument = (details: string): GatewayError => new GatewayError(Status.INVALID_ARGUMENT, details);
export const unauthenticated = (details: string): GatewayError => new GatewayError(Status.UNAUTHENTICATED, details);
export const notFound = (details: string): GatewayError => new GatewayError(Status.NOT_FOUND, details);
export const resourceExhausted = (details: string): GatewayError => new GatewayError(Status.RESOURCE_EXHAUSTED, details);
export const unavailable = (details: string): GatewayError => new GatewayError(Status.UNAVAILABLE, details);
