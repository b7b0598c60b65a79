import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCommandOutput, quoteVirshArg, VirshError, VirshShell } from "../../../agent/driver/virsh-shell";
import { makeTestHost, type TestHost } from "./test-host";

let host: TestHost;
let shell: VirshShell;

beforeEach(() => {
  host = makeTestHost(6, 2048);
  shell = new VirshShell({ uri: host.uri, timeoutMs: 5000 });
});
afterEach(async () => {
  await shell.close();
  host.cleanup();
});

describe("VirshShell on the real test driver", () => {
  it("runs commands in one long-lived virsh and returns their output", async () => {
    const info = await shell.run(["nodeinfo"]);
    expect(info).toMatch(/^CPU\(s\):\s+6$/m);
    expect(info).toMatch(/^Memory size:\s+2097152 KiB$/m);
    const pid = shell.pid;
    expect(pid).toBeGreaterThan(0);
    expect((await shell.run(["uri"])).trim()).toBe(host.uri);
    expect(shell.pid).toBe(pid);
  });

  it("keeps state between calls (one connection), unlike a virsh per call", async () => {
    await shell.run(["echo", "warm"]);
    const { writeFileSync } = await import("node:fs");
    const xml = `<domain type='test'><name>keep</name><uuid>0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b</uuid><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>`;
    writeFileSync(`${host.dir}/d.xml`, xml);
    await shell.run(["define", `${host.dir}/d.xml`]);
    expect(await shell.run(["list", "--all", "--name"])).toContain("keep");
  });

  it("serializes concurrent callers and gives each its own output", async () => {
    const words = Array.from({ length: 25 }, (_, i) => `word-${i}`);
    const outputs = await Promise.all(words.map((w) => shell.run(["echo", w])));
    expect(outputs).toEqual(words);
  });

  it("quotes arguments so virsh's parser sees them verbatim", async () => {
    const nasty = `it's a "test"; echo $HOME \\ #not-a-comment`;
    expect(await shell.run(["echo", nasty])).toBe(nasty);
    expect(() => quoteVirshArg("two\nlines")).toThrow(/line breaks/);
    await expect(shell.run(["echo", "a\nb"])).rejects.toThrow(/line breaks/);
  });

  it("rejects with libvirt's message when virsh prints error: lines", async () => {
    const err = await shell.run(["destroy", "no-such-domain"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirshError);
    expect((err as VirshError).kind).toBe("command");
    expect((err as VirshError).message).toMatch(/failed to get domain 'no-such-domain'/);
    // The shell survives an error and keeps its connection.
    expect(await shell.run(["echo", "still-here"])).toBe("still-here");
  });

  it("times out a hung command, restarts virsh and reports the reset", async () => {
    await shell.run(["echo", "state"]); // the first virsh now holds a connection
    const firstPid = shell.pid;
    const resets: string[] = [];
    shell.on("reset", (r) => resets.push(r.reason));
    // `event --loop` never returns on its own: a stand-in for the test driver's hanging jobs.
    const err = await shell.run(["event", "--all", "--loop"], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirshError);
    expect((err as VirshError).kind).toBe("timeout");
    expect((err as VirshError).message).toMatch(/timed out after 0.3s; the virsh shell was restarted/);
    expect(resets).toHaveLength(1);
    expect(await shell.run(["echo", "after"])).toBe("after");
    expect(shell.pid).not.toBe(firstPid);
  });

  it("reports why virsh could not connect", async () => {
    const bad = new VirshShell({ uri: `test://${host.dir}/missing.xml`, timeoutMs: 5000 });
    const err = await bad.run(["nodeinfo"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirshError);
    expect((err as VirshError).kind).toBe("exited");
    expect((err as VirshError).message).toMatch(/failed to connect to the hypervisor/);
    await bad.close();
  });

  it("fails queued work after close", async () => {
    await shell.close();
    await expect(shell.run(["echo", "x"])).rejects.toThrow(/closed/);
  });
});

describe("parseCommandOutput", () => {
  it("strips the echoed command, prompts and the marker echo, and splits out errors", () => {
    const raw =
      "virsh # destroy x\nerror: Failed to destroy domain 'x'\nerror: Requested operation is not valid: domain is not running\n" +
      "virsh # echo __STRATUS_END__ 7\n";
    expect(parseCommandOutput(raw, "destroy x", 7)).toEqual({
      text: "",
      errors: ["Failed to destroy domain 'x'", "Requested operation is not valid: domain is not running"],
    });
  });

  it("keeps output that lacks a final newline (virsh's echo)", () => {
    const raw = "virsh # echo hi\nhivirsh # echo __STRATUS_END__ 2\n";
    expect(parseCommandOutput(raw, "echo hi", 2).text).toBe("hi");
  });
});
