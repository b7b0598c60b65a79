"use client";
// Admin → Flavors (Horizon's admin/flavors): every flavor, private ones included, with its extra
// specs; Create Flavor, and per row Update Metadata, Modify Access (private only) and Delete.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "@/components/layout/auth-gate";
import { formatMemory } from "@/components/instances/format";
import { ErrorAlert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { MenuButton } from "@/components/ui/menu";
import { PageHeader } from "@/components/ui/page-header";
import { errorMessage, useTRPC } from "@/lib/trpc/client";
import { CreateFlavorDialog } from "./create-flavor-dialog";
import { DeleteFlavorDialog } from "./delete-flavor-dialog";
import { ExtraSpecsDialog } from "./extra-specs-dialog";
import { FlavorAccessDialog } from "./flavor-access-dialog";
import type { AdminFlavor } from "./types";

const TH = "whitespace-nowrap px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400";
const TD = "px-3 py-3 align-top";

function ExtraSpecs({ specs }: { specs: Record<string, string> }) {
  const entries = Object.entries(specs);
  if (entries.length === 0) return <span className="text-zinc-500 dark:text-zinc-400">-</span>;
  return (
    <ul className="space-y-0.5 font-mono text-xs">
      {entries.map(([k, v]) => (
        <li key={k} className="max-w-72 truncate" title={`${k}=${v}`}>
          {k}={v}
        </li>
      ))}
    </ul>
  );
}

function FlavorRow({ flavor, onAction }: { flavor: AdminFlavor; onAction: (action: "specs" | "access" | "delete", f: AdminFlavor) => void }) {
  return (
    <tr data-testid={`flavor-row-${flavor.name}`} className="border-t border-zinc-200 dark:border-zinc-800">
      <th scope="row" className={`${TD} text-left font-medium`}>
        <span className="block max-w-56 truncate" title={flavor.description ?? flavor.name}>
          {flavor.name}
        </span>
        <span className="block max-w-56 truncate font-mono text-xs font-normal text-zinc-500 dark:text-zinc-400">{flavor.id}</span>
      </th>
      <td className={TD}>{flavor.vcpus}</td>
      <td className={`${TD} whitespace-nowrap`}>{formatMemory(flavor.memoryMb)}</td>
      <td className={`${TD} whitespace-nowrap`}>{flavor.rootGb} GB</td>
      <td className={`${TD} whitespace-nowrap`}>{flavor.ephemeralGb} GB</td>
      <td className={`${TD} whitespace-nowrap`}>{flavor.swapMb === 0 ? "0 MB" : formatMemory(flavor.swapMb)}</td>
      <td className={TD}>
        {flavor.isPublic ? "Yes" : "No"}
        {!flavor.isPublic && (
          <span className="block text-xs text-zinc-500 dark:text-zinc-400">{flavor.access.length === 0 ? "no projects" : flavor.access.map((p) => p.name).join(", ")}</span>
        )}
      </td>
      <td className={TD}>
        <ExtraSpecs specs={flavor.extraSpecs} />
      </td>
      <td className={`${TD} text-right whitespace-nowrap`}>
        <MenuButton
          label="Actions"
          ariaLabel={`Actions for ${flavor.name}`}
          items={[
            { key: "specs", label: "Update Metadata", onSelect: () => onAction("specs", flavor) },
            {
              key: "access",
              label: "Modify Access",
              onSelect: () => onAction("access", flavor),
              disabled: flavor.isPublic,
              reason: flavor.isPublic ? "Public flavors are open to every project." : undefined,
            },
            { key: "delete", label: "Delete Flavor", onSelect: () => onAction("delete", flavor), danger: true },
          ]}
        />
      </td>
    </tr>
  );
}

export function FlavorsView() {
  const trpc = useTRPC();
  const session = useSession();
  const flavors = useQuery({ ...trpc.flavor.adminList.queryOptions(), enabled: session.isAdmin });
  const [creating, setCreating] = useState(false);
  const [specs, setSpecs] = useState<AdminFlavor | null>(null);
  const [access, setAccess] = useState<AdminFlavor | null>(null);
  const [deleting, setDeleting] = useState<AdminFlavor | null>(null);

  if (!session.isAdmin) {
    return (
      <div className="space-y-6">
        <PageHeader title="Flavors" />
        <ErrorAlert>You are not authorized to manage flavors: this page needs the admin role.</ErrorAlert>
      </div>
    );
  }

  const onAction = (action: "specs" | "access" | "delete", f: AdminFlavor) => (action === "specs" ? setSpecs(f) : action === "access" ? setAccess(f) : setDeleting(f));
  const create = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      Create Flavor
    </Button>
  );

  return (
    <div className="space-y-6">
      <PageHeader title="Flavors" description="Sizes instances are built with, public and private, with the extra specs the scheduler matches against hosts." actions={create} />
      {flavors.isError && <ErrorAlert>Unable to retrieve flavors: {errorMessage(flavors.error)}</ErrorAlert>}
      <section aria-label="Flavor list" className="overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        {flavors.isPending ? (
          <p className="px-6 py-16 text-center text-sm text-zinc-600 dark:text-zinc-400" aria-busy="true">
            Loading flavors…
          </p>
        ) : !flavors.data || flavors.data.length === 0 ? (
          <EmptyState title="No flavors" action={create}>
            Instances need a flavor: create one with its vCPUs, RAM and disk.
          </EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm">
              <caption className="sr-only">Flavors</caption>
              <thead className="bg-zinc-50 dark:bg-zinc-900/60">
                <tr>
                  <th scope="col" className={TH}>Name</th>
                  <th scope="col" className={TH}>vCPUs</th>
                  <th scope="col" className={TH}>RAM</th>
                  <th scope="col" className={TH}>Root Disk</th>
                  <th scope="col" className={TH}>Ephemeral</th>
                  <th scope="col" className={TH}>Swap</th>
                  <th scope="col" className={TH}>Public</th>
                  <th scope="col" className={TH}>Extra Specs</th>
                  <th scope="col" className={`${TH} text-right`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {flavors.data.map((f) => (
                  <FlavorRow key={f.id} flavor={f} onAction={onAction} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CreateFlavorDialog open={creating} onClose={() => setCreating(false)} />
      <ExtraSpecsDialog flavor={specs} onClose={() => setSpecs(null)} />
      <FlavorAccessDialog flavor={access} onClose={() => setAccess(null)} />
      <DeleteFlavorDialog flavor={deleting} onClose={() => setDeleting(null)} />
    </div>
  );
}
