"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSession } from "./auth-gate";

interface NavItem {
  href: string;
  label: string;
}

const PROJECT_NAV: NavItem[] = [
  { href: "/instances", label: "Instances" },
  { href: "/images", label: "Images" },
  { href: "/server-groups", label: "Server Groups" },
];
// Admin panels; members never see this section (and the API refuses them anyway).
const ADMIN_NAV: NavItem[] = [
  { href: "/admin/hypervisors", label: "Hypervisors" },
  { href: "/admin/flavors", label: "Flavors" },
  { href: "/admin/images", label: "Images" },
  { href: "/admin/services", label: "Compute Services" },
  { href: "/admin/aggregates", label: "Host Aggregates" },
  { href: "/admin/zones", label: "Availability Zones" },
  { href: "/admin/logs", label: "Log Viewer" },
];

function NavSection({ title, items }: { title: string; items: NavItem[] }) {
  const pathname = usePathname();
  const id = `nav-${title.toLowerCase()}`;
  return (
    <div>
      <h2 id={id} className="px-3 text-xs font-semibold tracking-wider text-zinc-500 uppercase dark:text-zinc-400">
        {title}
      </h2>
      <ul aria-labelledby={id} className="mt-2 space-y-0.5">
        {items.map((item) => {
          const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={active ? "page" : undefined}
                className={
                  "block rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-500 " +
                  (active
                    ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-500/15 dark:text-indigo-300"
                    : "text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800")
                }
              >
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** A single row of links for narrow screens, where the sidebar is hidden. */
export function CompactNav() {
  const { isAdmin } = useSession();
  const pathname = usePathname();
  // One row holds both sections: admin links say so, as both sections have an "Images".
  const items = isAdmin ? [...PROJECT_NAV, ...ADMIN_NAV.map((i) => ({ ...i, label: `Admin ${i.label}` }))] : PROJECT_NAV;
  return (
    <nav aria-label="Main">
      <ul className="flex gap-1">
        {items.map((item) => {
          const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={active ? "page" : undefined}
                className={
                  "rounded-md px-2 py-1 text-sm font-medium whitespace-nowrap " +
                  (active ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-500/15 dark:text-indigo-300" : "text-zinc-700 dark:text-zinc-300")
                }
              >
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function SidebarNav() {
  const { isAdmin } = useSession();
  return (
    <nav aria-label="Main" className="space-y-6">
      <NavSection title="Project" items={PROJECT_NAV} />
      {isAdmin && <NavSection title="Admin" items={ADMIN_NAV} />}
    </nav>
  );
}
