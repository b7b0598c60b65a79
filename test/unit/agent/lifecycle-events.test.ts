// virsh's event output joined into events, and the long-lived watcher that restarts its child.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventJoiner, lifecycleKind, LifecycleEventMonitor, parseEventHeader, type DomainEvent } from "../../../agent/driver/lifecycle-events";

describe("virsh event output", () => {
  it("parses lifecycle lines with and without a timestamp", () => {
    expect(parseEventHeader("2026-11-26 13:51:28.604+0000: event 'lifecycle' for domain 'inst1': Stopped Shutdown")).toEqual({
      time: "2026-11-26 13:51:28.604+0000",
      kind: "lifecycle",
      domain: "inst1",
      detail: "Stopped Shutdown",
    });
    expect(parseEventHeader("event 'reboot' for domain 'inst1'")).toMatchObject({ kind: "reboot", domain: "inst1", detail: "" });
    expect(parseEventHeader("events received: 3")).toBeNull();
  });

  it("joins indented continuation lines into their event", () => {
    const j = new EventJoiner();
    const done: (DomainEvent | null)[] = [
      j.push("2026-11-26 13:51:28.604+0000: event 'tunable' for domain 'inst1':"),
      j.push("\tcputune.vcpu_period: 100000"),
      j.push("\tcputune.vcpu_quota: -1"),
      j.push("2026-11-26 13:51:29.000+0000: event 'lifecycle' for domain 'inst1': Shutdown Finished after guest request"),
      j.flush(),
    ];
    const events = done.filter((e): e is DomainEvent => e !== null);
    expect(events.map((e) => [e.kind, e.detail])).toEqual([
      ["tunable", "cputune.vcpu_period: 100000; cputune.vcpu_quota: -1"],
      ["lifecycle", "Shutdown Finished after guest request"],
    ]);
    expect(lifecycleKind(events[1]!)).toBe("Shutdown");
    expect(lifecycleKind(events[0]!)).toBeNull();
  });
});

describe("LifecycleEventMonitor", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("hands events on and restarts the virsh child when it exits", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-virsh-event-"));
    const fake = path.join(dir, "virsh");
    // A stand-in virsh: checks its arguments, prints two events (one multi-line) and exits.
    writeFileSync(
      fake,
      `#!/bin/sh
[ "$1 $2 $3 $4 $5 $6 $7" = "-q -c test-uri event --all --loop --timestamp" ] || { echo "bad args: $*" >&2; exit 2; }
echo "2026-11-26 13:51:28.604+0000: event 'lifecycle' for domain 'inst1': Crashed Panicked"
echo "2026-11-26 13:51:28.700+0000: event 'tunable' for domain 'inst1':"
printf '\\tcputune.vcpu_period: 100000\\n'
exit 0
`,
    );
    chmodSync(fake, 0o755);
    const events: DomainEvent[] = [];
    const status: string[] = [];
    const monitor = new LifecycleEventMonitor({
      uri: "test-uri",
      binary: fake,
      restartDelayMs: 50,
      onEvent: (e) => events.push(e),
      onStatus: (m) => status.push(m),
    });
    monitor.start();
    try {
      await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    } finally {
      monitor.stop();
    }
    expect(events.slice(0, 2).map((e) => `${e.kind}:${e.detail}`)).toEqual(["lifecycle:Crashed Panicked", "tunable:cputune.vcpu_period: 100000"]);
    expect(status[0]).toMatch(/virsh event monitor exited \(code 0\); restarting in 0.05 s/);
  });
});
