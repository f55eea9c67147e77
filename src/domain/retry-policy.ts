/**
 * How long to wait for an ACK and how many transmissions to make (SPEC §4). Every
 * retransmitting exchange takes its numbers from one of these, never from literals.
 */
export interface RetryPolicy {
  readonly ackTimeoutMs: number;
  readonly transmissions: number;
}

/** The assignment's ACK wait. */
export const ACK_TIMEOUT_MS = 500;
/** The assignment's "5 tries": five transmissions, each followed by one ACK wait. */
export const SERVER_TRANSMISSIONS = 5;

export interface RetryPolicies {
  /** dereg, reg, save, send_all, table requests: client to server. */
  readonly toServer: RetryPolicy;
  /** A direct message gets one wait before the sender falls back to the server. */
  readonly direct: RetryPolicy;
  /** The server's liveness probe of a client it believes online. */
  readonly probe: RetryPolicy;
  /** Server to client pushes that must arrive: channel messages, stored messages, table updates. */
  readonly push: RetryPolicy;
}

export function defaultRetryPolicies(ackTimeoutMs = ACK_TIMEOUT_MS): RetryPolicies {
  return {
    toServer: { ackTimeoutMs, transmissions: SERVER_TRANSMISSIONS },
    direct: { ackTimeoutMs, transmissions: 1 },
    probe: { ackTimeoutMs, transmissions: 1 },
    push: { ackTimeoutMs, transmissions: SERVER_TRANSMISSIONS },
  };
}

/** Offsets (ms after the first send) at which each transmission happens. */
export function transmissionOffsetsMs(policy: RetryPolicy): number[] {
  return Array.from({ length: policy.transmissions }, (_, i) => i * policy.ackTimeoutMs);
}

/** When the sender gives up: the last transmission's wait has elapsed. */
export function giveUpAfterMs(policy: RetryPolicy): number {
  return policy.transmissions * policy.ackTimeoutMs;
}

/** The longest any exchange can go on, which bounds how long a receiver must remember an id. */
export function longestExchangeMs(policies: RetryPolicies): number {
  return Math.max(...Object.values(policies).map((p: RetryPolicy) => giveUpAfterMs(p)));
}
