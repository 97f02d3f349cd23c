/**
 * The retry policy of every endpoint the sidecar calls, in one table (ADR 0013). What is retryable at all is
 * `failure.ts`'s classification (408, 429, 502, 503, 504, connection errors, timeouts); a policy says how many
 * attempts, within what budget, how fast, and whether a 500 counts as transient there.
 *
 * Why they differ:
 * - HEC event posts carry `event_id`s, so a duplicate is harmless and giving up costs a whole window: retry
 *   until the sink's deadline (`hec.retry_deadline_ms`), with jitter, since several posts compete for a busy
 *   HEC. HEC's 500 (code 8, internal error) is an indexer-side hiccup: retried.
 * - HEC ack polls read state that becomes true by itself: a steady poll (no jitter), doubling to 5 s, until
 *   the same deadline. "Acks still false" is a retryable outcome of its own.
 * - Readiness probes (HEC health and token, splunkd login and server/info, index checks) try once: the next
 *   scheduler tick is the retry, and a probe that retried would only delay "not ready, because...".
 * - splunkd search calls (dispatch, job poll, results page) retry 6 times from 0.5 s to 15 s, with no
 *   deadline of their own (the job wait has its own). A splunkd 500 means splunkd failed this request (a search
 *   that crashes the parser, a job it lost), which repeats: not retried, unlike HEC's. Dispatch is not
 *   idempotent: a retry after a timeout may leave one orphan job, which its `timeout=600` TTL removes.
 * - Removing a job tries once: the job's TTL removes it anyway, and failing a read window for it would lose
 *   nothing but time.
 * - The export endpoint is not used (the source pages finished jobs, ADR 0010 and 0012).
 */
import type { Backoff } from "./retry.ts";

export interface EndpointPolicy extends Backoff {
  /** Whether a 500 is transient on this endpoint. */
  retry500: boolean;
}

const ONCE: EndpointPolicy = { attempts: 1, deadlineMs: Infinity, baseMs: 0, maxMs: 0, jitter: false, retry500: false };
const SPLUNKD_SEARCH: EndpointPolicy = { attempts: 6, deadlineMs: Infinity, baseMs: 500, maxMs: 15_000, jitter: true, retry500: false };

export const ENDPOINT_POLICIES = {
  /** POST /services/collector/event. `deadlineMs` is `hec.retry_deadline_ms` per `send`. */
  "hec.event": { attempts: Infinity, deadlineMs: 120_000, baseMs: 200, maxMs: 10_000, jitter: true, retry500: true },
  /** POST /services/collector/ack. `deadlineMs` is `hec.retry_deadline_ms` per `flush`. */
  "hec.ack": { attempts: Infinity, deadlineMs: 300_000, baseMs: 250, maxMs: 5000, jitter: false, retry500: true },
  /** GET /services/collector/health (readiness). */
  "hec.health": ONCE,
  /** POST /services/collector/event with an empty body: does HEC accept the token (readiness)? */
  "hec.token_check": ONCE,
  /** POST auth/login or GET server/info (readiness; during a run, login happens inside the first dispatch). */
  "splunkd.login": ONCE,
  /** POST search/jobs. */
  "splunkd.dispatch": SPLUNKD_SEARCH,
  /** GET search/jobs/{sid}. */
  "splunkd.job_poll": SPLUNKD_SEARCH,
  /** GET search/jobs/{sid}/results. */
  "splunkd.results": SPLUNKD_SEARCH,
  /** DELETE search/jobs/{sid}. */
  "splunkd.job_remove": ONCE,
  /** GET or POST data/indexes (readiness, `hec.create_index`). */
  "splunkd.index": ONCE,
} as const satisfies Record<string, EndpointPolicy>;

export type Endpoint = keyof typeof ENDPOINT_POLICIES;

/** The policy of `endpoint` with `overrides` (a configured deadline, test timings) applied. */
export function policyFor(endpoint: Endpoint, overrides: Partial<EndpointPolicy> = {}): EndpointPolicy {
  const base: EndpointPolicy = ENDPOINT_POLICIES[endpoint];
  const o = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<EndpointPolicy>;
  return { ...base, ...o };
}
