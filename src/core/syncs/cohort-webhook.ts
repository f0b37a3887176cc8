import type { NetChange } from "./diff";

/**
 * Amplitude's cohort webhook payload: one message per batch and direction, with a
 * message id that is stable for the same cohort, direction and change-log range, so a
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
  const messages: CohortWebhookMessage[] = [];
  for (const inCohort of [true, false]) {
    const side = changes.filter((c) => c.inCohort === inCohort);
    for (let i = 0; i < side.length; i += batchSize) {
      const batch = side.slice(i, i + batchSize);
      messages.push({
        cohort_name: cohort.name,
        cohort_id: cohort.id,
        in_cohort: inCohort,
        computed_time: new Date(now).toISOString(),
        message_id: `${syncId}:${cohort.id}:${inCohort ? "in" : "out"}:${batch[0]!.seq}-${batch[batch.length - 1]!.seq}`,
        users: batch.map((c) => {
          const user = c.profileKey.startsWith("u:");
          return { user_id: user ? c.profileKey.slice(2) : null, device_id: user ? null : c.profileKey.slice(2) };
        }),
      });
    }
  }
  return messages;
}
