// The members of every server group and the host (table index) each one is on, as this
// controller knows them: the affinity filters' view, from which host-state-cache.ts builds a
// request's GroupPlacement. A pick adds its instance at once; each periodic sync replaces the lot
// with what the database has plus the picks still in flight, but never brings back a member
// released while that read was running.

/** One member found by a sync: in the database, or a pick of this process in flight. */
export interface GroupMember {
  uuid: string;
  groupId: string;
  host: number;
}

export class GroupMembers {
  /** groupId → member uuid → host index. */
  private readonly groups = new Map<string, Map<string, number>>();
  private readonly releasedAt = new Map<string, number>();

  /** The host of each member of a group. */
  hostsOf(groupId: string): Iterable<number> {
    return this.groups.get(groupId)?.values() ?? [];
  }

  add(groupId: string, uuid: string, host: number): void {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new Map()));
    g.set(uuid, host);
  }

  /** Drops a member from its group (`groupId` null: from whichever group holds it). */
  drop(uuid: string, groupId: string | null): void {
    if (groupId) this.groups.get(groupId)?.delete(uuid);
    else for (const g of this.groups.values()) g.delete(uuid);
  }

  /** An instance's claim was freed at `at` (epoch ms). */
  released(uuid: string, at: number): void {
    this.releasedAt.set(uuid, at);
  }

  /** Forgets releases older than `cutoff` (epoch ms): no read still running began before them. */
  forgetReleasedBefore(cutoff: number): void {
    for (const [u, t] of this.releasedAt) if (t < cutoff) this.releasedAt.delete(u);
  }

  /**
   * Replaces every group's members with those a sync found, in order (a later entry for the same
   * instance wins): the database's, read from `readStarted` on, then this process's picks in flight.
   */
  replace(found: readonly GroupMember[], readStarted: number): void {
    const next = new Map<string, Map<string, number>>();
    for (const m of found) {
      let g = next.get(m.groupId);
      if (!g) next.set(m.groupId, (g = new Map()));
      g.set(m.uuid, m.host);
    }
    // A member released since the read started must not come back.
    for (const [groupId, members] of this.groups) {
      const fresh = next.get(groupId);
      if (!fresh) continue;
      for (const uuid of fresh.keys()) if (!members.has(uuid) && this.releasedSince(uuid, readStarted)) fresh.delete(uuid);
    }
    this.groups.clear();
    for (const [k, v] of next) this.groups.set(k, v);
  }

  private releasedSince(uuid: string, since: number): boolean {
    const t = this.releasedAt.get(uuid);
    return t !== undefined && t >= since;
  }
}
