// The agent's console service: get_console_output answers with the tail or an honest reason, and
// follow leases start, share, stop and lapse; chunks flow only while the agent is online.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AGENT_CONSOLE_EVENT, type InstanceSpec } from "@/lib/agent-protocol";
import {
  ConsoleService,
  fitWire,
  NO_DOMAIN_REASON,
  NOT_STARTED_REASON,
  TEST_HYPERVISOR_REASON,
  type ConsoleServiceOptions,
} from "../../../agent/console/console-service";
import type { DomainState } from "../../../agent/driver/hypervisor";

const root = mkdtempSync(path.join(os.tmpdir(), "stratus-console-svc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const services: ConsoleService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.stop();
});

const UUID = "6f1c2b3a-1111-4222-8333-444455556666";
const context = { requestId: "req-00000000-0000-4000-8000-000000000001", userId: "u", projectId: "p" };
const spec: InstanceSpec = {
  uuid: UUID,
  name: "vm",
  vcpus: 1,
  memoryMb: 64,
  rootGb: 1,
  ephemeralGb: 0,
  swapMb: 0,
  imageId: "img",
  vmState: "active",
  taskState: null,
  powerState: 1,
};
const logPath = (uuid: string) => path.join(root, uuid, "console.log");

function service(options: Partial<ConsoleServiceOptions> = {}) {
  const sent: [string, Record<string, unknown>][] = [];
  const svc = new ConsoleService({
    host: "compute-1",
    consoleLogPath: logPath,
    testHypervisor: false,
    send: async (event, payload) => {
      sent.push([event, payload as Record<string, unknown>]);
      return { ok: true };
    },
    tuning: { pollMs: 50 },
    ...options,
  });
  services.push(svc);
  return { svc, sent };
}

const output = (extra: Record<string, unknown> = {}) => ({ method: "get_console_output", context, instance: spec, ...extra });
const followCall = (action: "start" | "stop", holder: string, leaseSec = 60) => ({
  method: "console_follow",
  context,
  uuid: UUID,
  action,
  holder,
  watchers: 1,
  leaseSec,
});

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("get_console_output", () => {
  it("says the test hypervisor produces no console output, only on the test hypervisor", async () => {
    const { svc } = service({ testHypervisor: true });
    const ack = await svc.handleRpc(output());
    expect(ack).toEqual({ ok: true, text: "", available: false, truncated: false, reason: TEST_HYPERVISOR_REASON, endOffset: 0 });
  });

  it("tells a missing domain from a guest not started, on a real hypervisor", async () => {
    let state: DomainState | null = null;
    const { svc } = service({ hypervisor: { domainState: async () => state } });
    expect(await svc.handleRpc(output())).toMatchObject({ ok: true, available: false, reason: NO_DOMAIN_REASON });
    state = { state: "shutoff", reason: "unknown", powerState: 4 };
    expect(await svc.handleRpc(output())).toMatchObject({ ok: true, available: false, reason: NOT_STARTED_REASON });
  });

  it("returns the last lines of the file, whatever the hypervisor", async () => {
    mkdirSync(path.dirname(logPath(UUID)), { recursive: true });
    writeFileSync(logPath(UUID), "1\n2\n3\n4\n");
    const { svc } = service({ testHypervisor: true });
    expect(await svc.handleRpc(output({ tailLines: 2 }))).toEqual({ ok: true, text: "3\n4\n", available: true, truncated: true, endOffset: 8 });
    expect(await svc.handleRpc(output())).toMatchObject({ text: "1\n2\n3\n4\n", truncated: false });
  });

  it("refuses a malformed call with the reason", async () => {
    const { svc } = service();
    const ack = await svc.handleRpc(output({ tailLines: 10_001 }));
    expect(ack.ok).toBe(false);
    expect(ack.ok === false && ack.error).toMatch(/tailLines/);
    expect(svc.handles({ method: "get_console_output" })).toBe(true);
    expect(svc.handles({ method: "stop_instance" })).toBe(false);
  });

  it("trims text whose JSON would exceed the message limit, at a line", () => {
    const line = "\u001b[0;32m OK \u001b[0m\n"; // escapes make JSON ~2.5x the characters
    const text = line.repeat(10_000);
    const fitted = fitWire(text, 100_000);
    expect(fitted.cut).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(fitted.text))).toBeLessThanOrEqual(100_000);
    expect(text.endsWith(fitted.text)).toBe(true);
    expect(fitted.text.startsWith("\u001b[0;32m")).toBe(true);
    expect(fitWire("short\n")).toEqual({ text: "short\n", cut: false });
  });
});

describe("console_follow", () => {
  it("follows while a holder's lease lives, and pushes appended chunks when online", async () => {
    mkdirSync(path.dirname(logPath(UUID)), { recursive: true });
    writeFileSync(logPath(UUID), "before\n");
    const { svc, sent } = service();
    svc.setOnline(true);
    expect(await svc.handleRpc(followCall("start", "ctl-a"))).toMatchObject({ ok: true, following: true, offset: 7 });
    appendFileSync(logPath(UUID), "after\n");
    await until(() => sent.length > 0, "a chunk");
    expect(sent[0]).toEqual([AGENT_CONSOLE_EVENT, { uuid: UUID, offset: 7, length: 6, data: "after\n" }]);
    expect(await svc.handleRpc(followCall("stop", "ctl-a"))).toMatchObject({ ok: true, following: false });
    expect(svc.followed().size).toBe(0);
  });

  it("keeps following while another holder's lease lives, until it lapses", async () => {
    const { svc } = service();
    await svc.handleRpc(followCall("start", "ctl-a"));
    await svc.handleRpc(followCall("start", "ctl-b", 0.2));
    await svc.handleRpc(followCall("stop", "ctl-a"));
    expect(svc.followed().get(UUID)).toEqual(["ctl-b"]);
    await until(() => svc.followed().size === 0, "ctl-b's lease to lapse", 2000);
  });

  it("holds chunks while offline and delivers them once online", async () => {
    mkdirSync(path.dirname(logPath(UUID)), { recursive: true });
    writeFileSync(logPath(UUID), "");
    const { svc, sent } = service();
    await svc.handleRpc(followCall("start", "ctl-a"));
    appendFileSync(logPath(UUID), "during a controller restart\n");
    await new Promise((r) => setTimeout(r, 150));
    expect(sent).toEqual([]);
    svc.setOnline(true);
    await until(() => sent.length > 0, "the held chunk");
    expect(sent[0]![1]).toMatchObject({ offset: 0, data: "during a controller restart\n" });
  });
});
