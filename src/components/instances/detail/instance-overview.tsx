"use client";
// The Overview tab: every field of the instance, grouped as Horizon's detail page groups them
// (Overview, Specs, IP Addresses, Fault), kept current by the same live patches as the table.
import Link from "next/link";
import type { ReactNode } from "react";
import { RelativeTime } from "@/components/ui/relative-time";
import type { InstanceView } from "@/lib/instance-view";
import { powerStateDisplay, statusDisplay, taskStateDisplay } from "@/lib/states";
import { formatMemory } from "../format";
import { formatDateTime } from "./format-time";

function Field({ label, children, mono = false }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="grid grid-cols-1 gap-1 py-2.5 sm:grid-cols-3 sm:gap-4">
      <dt className="text-sm font-medium text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className={`text-sm text-zinc-900 sm:col-span-2 dark:text-zinc-100 ${mono ? "font-mono break-all" : "break-words"}`}>{children}</dd>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `overview-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="rounded-xl border border-zinc-200 bg-white px-5 py-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <h2 id={id} className="text-base font-semibold">
        {title}
      </h2>
      <dl className="mt-2 divide-y divide-zinc-100 dark:divide-zinc-800">{children}</dl>
    </section>
  );
}

function When({ value }: { value: string | null }) {
  if (!value) return <span className="text-zinc-500 dark:text-zinc-400">-</span>;
  return (
    <span>
      {formatDateTime(value)}{" "}
      <span className="text-zinc-500 dark:text-zinc-400">
        (<RelativeTime value={value} /> ago)
      </span>
    </span>
  );
}

const NONE = <span className="text-zinc-500 dark:text-zinc-400">-</span>;

export function InstanceOverview({ instance, isAdmin }: { instance: InstanceView; isAdmin: boolean }) {
  const fault = instance.fault;
  return (
    <div className="grid gap-5 lg:grid-cols-2">
      <Section title="Overview">
        <Field label="Name">{instance.name}</Field>
        <Field label="ID" mono>
          {instance.uuid}
        </Field>
        <Field label="Status">{statusDisplay(instance.status)}</Field>
        <Field label="Task">{taskStateDisplay(instance.taskState)}</Field>
        <Field label="Power State">{powerStateDisplay(instance.powerState)}</Field>
        <Field label="Locked">{instance.locked ? "Yes" : "No"}</Field>
        <Field label="Availability Zone">{instance.availabilityZone ?? NONE}</Field>
        {isAdmin && <Field label="Host">{instance.host ?? NONE}</Field>}
        <Field label="Project ID" mono>
          {instance.projectId}
        </Field>
        <Field label="User ID" mono>
          {instance.userId}
        </Field>
        <Field label="Created">
          <When value={instance.createdAt} />
        </Field>
        <Field label="Launched">
          <When value={instance.launchedAt} />
        </Field>
        <Field label="Updated">
          <When value={instance.updatedAt} />
        </Field>
      </Section>

      <div className="space-y-5">
        <Section title="Specs">
          <Field label="Flavor">{instance.flavorName ?? <span className="font-mono">{instance.flavorId}</span>}</Field>
          <Field label="Flavor ID" mono>
            {instance.flavorId}
          </Field>
          <Field label="vCPUs">{instance.vcpus}</Field>
          <Field label="RAM">{formatMemory(instance.memoryMb)}</Field>
          <Field label="Disk">{instance.rootGb} GB</Field>
          <Field label="Image">
            {instance.imageName ? (
              <Link href="/images" className="text-indigo-700 hover:underline dark:text-indigo-300">
                {instance.imageName}
              </Link>
            ) : (
              NONE
            )}
          </Field>
          <Field label="Image ID" mono>
            {instance.imageId}
          </Field>
        </Section>

        <Section title="IP Addresses">
          {Object.keys(instance.addresses).length === 0 ? (
            <Field label="Fixed IP">{NONE}</Field>
          ) : (
            Object.entries(instance.addresses).map(([network, list]) => (
              <Field key={network} label={network}>
                {list.map((a) => (
                  <span key={a.address} className="block">
                    <span className="font-mono">{a.address}</span>{" "}
                    <span className="text-zinc-500 dark:text-zinc-400">
                      (fixed, MAC <span className="font-mono">{a.macAddress}</span>)
                    </span>
                  </span>
                ))}
              </Field>
            ))
          )}
        </Section>

        {fault ? (
          <section
            aria-labelledby="overview-fault"
            className="rounded-xl border border-red-200 bg-red-50 px-5 py-4 shadow-sm dark:border-red-900 dark:bg-red-950/40"
          >
            <h2 id="overview-fault" className="text-base font-semibold text-red-900 dark:text-red-200">
              Fault
            </h2>
            <dl className="mt-2 divide-y divide-red-100 dark:divide-red-900/60">
              <Field label="Message">{fault.message}</Field>
              <Field label="Code">{fault.code}</Field>
              <Field label="Created">
                <When value={fault.createdAt} />
              </Field>
              {isAdmin && fault.details && (
                <div className="py-2.5">
                  <dt className="text-sm font-medium text-zinc-600 dark:text-zinc-400">Details</dt>
                  <dd className="mt-1">
                    <pre className="max-h-80 overflow-auto rounded-md bg-white p-3 font-mono text-xs whitespace-pre-wrap text-zinc-800 dark:bg-zinc-950 dark:text-zinc-200">
                      {fault.details}
                    </pre>
                  </dd>
                </div>
              )}
            </dl>
          </section>
        ) : null}
      </div>
    </div>
  );
}
