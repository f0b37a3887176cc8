/**
 * What a sync sends: the membership changes since its cursor, collapsed per profile to
 * the net change. A profile that entered and left again between two runs is not sent;
 * one that left and came back is not sent either (the destination already has it).
 */
export interface ChangeRow {
  seq: number;
  profileKey: string;
  inCohort: boolean;
  changedAt: number;
}

export interface NetChange {
  profileKey: string;
  inCohort: boolean;
  changedAt: number;
  /** The last change log row it covers. */
  seq: number;
}

export function netChanges(rows: readonly ChangeRow[]): NetChange[] {
  const first = new Map<string, ChangeRow>();
  const last = new Map<string, ChangeRow>();
  for (const row of [...rows].sort((a, b) => a.seq - b.seq)) {
    if (!first.has(row.profileKey)) first.set(row.profileKey, row);
    last.set(row.profileKey, row);
  }
  const out: NetChange[] = [];
  for (const [key, end] of last) {
    // Before the window the profile was in the opposite state of its first change.
    const before = !first.get(key)!.inCohort;
    if (end.inCohort !== before) out.push({ profileKey: key, inCohort: end.inCohort, changedAt: end.changedAt, seq: end.seq });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
