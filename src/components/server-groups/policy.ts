// How the dashboard names and explains Nova's server group policies.
import type { RouterInputs, RouterOutputs } from "@/lib/trpc/types";

export type ServerGroupItem = RouterOutputs["serverGroup"]["list"][number];
export type ServerGroupPolicy = RouterInputs["serverGroup"]["create"]["policy"];

export const POLICY_LABELS: Record<ServerGroupPolicy, string> = {
  affinity: "Affinity",
  "anti-affinity": "Anti-affinity",
  "soft-affinity": "Soft affinity",
  "soft-anti-affinity": "Soft anti-affinity",
};

export const POLICY_HELP: Record<ServerGroupPolicy, string> = {
  affinity: "Every member on the same host; a launch fails when that host is full.",
  "anti-affinity": "Every member on a different host; a launch fails when no host is left.",
  "soft-affinity": "Members preferably on the same host; another host when it is full.",
  "soft-anti-affinity": "Members preferably on different hosts; shared hosts when none is left.",
};

/** The display name of a stored policy (the database holds it as text). */
export function policyLabel(policy: string): string {
  return policy in POLICY_LABELS ? POLICY_LABELS[policy as ServerGroupPolicy] : policy;
}

export function rulesSummary(g: Pick<ServerGroupItem, "rules">): string | null {
  return g.rules.max_server_per_host !== undefined ? `at most ${g.rules.max_server_per_host} per host` : null;
}

/** One line for the Launch dialog: the policy, its rule and how many members the group has. */
export function groupSummary(g: Pick<ServerGroupItem, "policy" | "rules" | "members">): string {
  const rules = rulesSummary(g);
  const members = `${g.members.length} ${g.members.length === 1 ? "member" : "members"}`;
  const help = g.policy in POLICY_HELP ? POLICY_HELP[g.policy as ServerGroupPolicy] : policyLabel(g.policy);
  return `${help}${rules ? ` (${rules})` : ""} ${members} now.`;
}
