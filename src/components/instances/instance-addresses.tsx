// An instance's fixed IPs as Horizon's IP Address column shows them (get_ips): the addresses, under
// each network's name when there is more than one network.
import type { InstanceAddresses } from "@/lib/instance-view";

export function InstanceAddressList({ addresses }: { addresses: InstanceAddresses }) {
  const networks = Object.entries(addresses).filter(([, list]) => list.length > 0);
  if (networks.length === 0) return <span className="text-zinc-500 dark:text-zinc-400">-</span>;
  const named = networks.length > 1;
  return (
    <ul aria-label="IP addresses">
      {networks.map(([network, list]) => (
        <li key={network}>
          {named && <span className="block text-xs text-zinc-500 dark:text-zinc-400">{network}</span>}
          {list.map((a) => (
            <span key={a.address} className="block font-mono text-xs" title={`Network ${network}, MAC ${a.macAddress}`}>
              {a.address}
            </span>
          ))}
        </li>
      ))}
    </ul>
  );
}
