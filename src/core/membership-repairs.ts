/**
 * What the D1 membership index must change to say what the profiles say. Profiles with
 * changes still in their outbox (or unread) are left out: their own delivery is under way.
 */
export interface IndexRepairs {
  add: { cohortId: string; profileKey: string }[];
  remove: { cohortId: string; profileKey: string }[];
}

export function membershipRepairs(
  profiles: ReadonlyMap<string, readonly string[]>,
  indexRows: readonly { cohortId: string; profileKey: string }[],
): IndexRepairs {
  const indexed = new Map<string, Set<string>>();
  for (const r of indexRows) {
    if (!profiles.has(r.profileKey)) continue;
    (indexed.get(r.profileKey) ?? indexed.set(r.profileKey, new Set()).get(r.profileKey)!).add(r.cohortId);
  }
  const repairs: IndexRepairs = { add: [], remove: [] };
  for (const [profileKey, cohorts] of profiles) {
    const has = indexed.get(profileKey) ?? new Set<string>();
    const should = new Set(cohorts);
    for (const cohortId of should) if (!has.has(cohortId)) repairs.add.push({ cohortId, profileKey });
    for (const cohortId of has) if (!should.has(cohortId)) repairs.remove.push({ cohortId, profileKey });
  }
  return repairs;
}
