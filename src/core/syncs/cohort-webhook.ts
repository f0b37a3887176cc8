import { profileIds } from "../event";
import type { NetChange } from "./diff";

/**
 * Amplitude's cohort webhook payload: one message per batch of same-direction changes,
 * with a message id stable for the same cohort, direction and change-log range, so a
 * retried delivery carries the same id (destinations dedupe on it).
 */
export interface CohortWebhookMessage {
  cohort_name: string;
  cohort_id: string;
  in_cohort: boolean;
  computed_time: string;
  message_id: string;
  users: { user_id: string | null; device_id: string | null }[];
}

export function cohortWebhookMessages(
  cohort: { id: string; name: string },
  syncId: string,
  changes: readonly NetChange[],
  batchSize: number,
  now: number,
): CohortWebhookMessage[] {
  // Runs of one direction in change order, so the same window always yields the same
  // messages (and ids): a retried run resumes at the first message not delivered.
  const messages: CohortWebhookMessage[] = [];
  let batch: NetChange[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const inCohort = batch[0]!.inCohort;
    messages.push({
      cohort_name: cohort.name,
      cohort_id: cohort.id,
      in_cohort: inCohort,
      computed_time: new Date(now).toISOString(),
      message_id: `${syncId}:${cohort.id}:${inCohort ? "in" : "out"}:${batch[0]!.seq}-${batch[batch.length - 1]!.seq}`,
      users: batch.map((c) => profileIds(c.profileKey)),
    });
    batch = [];
  };
  for (const change of changes) {
    if (batch.length === batchSize || (batch.length > 0 && batch[0]!.inCohort !== change.inCohort)) flush();
    batch.push(change);
  }
  flush();
  return messages;
}
