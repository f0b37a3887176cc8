/** Resident memory (bytes) of `pid`'s process tree, its largest process's, and the UserProfile objects in memory. */
export function treeUsage(pid: number): { rss: number; largest: number; profiles: number };
