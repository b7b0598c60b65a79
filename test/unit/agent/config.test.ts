import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, HelpRequested, loadConfig } from "../../../agent/config";

const TOKEN = "0123456789abcdef0123";
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("agent configuration", () => {
  it("defaults to a simulated test-driver host under var/agents/<host>", () => {
    const c = loadConfig({ STRATUS_AGENT_HOST: "compute-1", STRATUS_AGENT_TOKEN: TOKEN }, [], "/srv/stratus");
    expect(c).toMatchObject({
      controllerUrl: "http://127.0.0.1:3000",
      host: "compute-1",
      token: TOKEN,
      stateDir: "/srv/stratus/var/agents/compute-1",
      libvirtUri: "test:///srv/stratus/var/agents/compute-1/node.xml",
      testNode: { file: "/srv/stratus/var/agents/compute-1/node.xml", cpus: 16, memoryMb: 32768 },
      instancesPath: "/srv/stratus/var/agents/compute-1/instances",
      diskGb: null,
      callTimeoutMs: 60_000,
    });
  });

  it("reads the token from a file and lets flags override the environment", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-config-"));
    writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
    const c = loadConfig(
      { STRATUS_AGENT_HOST: "compute-1", STRATUS_AGENT_TOKEN_FILE: path.join(dir, "token"), STRATUS_CALL_TIMEOUT: "5" },
      ["--host", "compute-9", "--libvirt-uri=qemu:///system", "--disk-gb", "100", "--controller", "http://ctl:3000/"],
      dir,
    );
    expect(c).toMatchObject({
      host: "compute-9",
      token: TOKEN,
      libvirtUri: "qemu:///system",
      testNode: null,
      diskGb: 100,
      callTimeoutMs: 5000,
      controllerUrl: "http://ctl:3000",
    });
  });

  it("finds the token the seed wrote to <state dir>/token", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-config-"));
    mkdirSync(path.join(dir, "var/agents/compute-2"), { recursive: true });
    writeFileSync(path.join(dir, "var/agents/compute-2/token"), TOKEN);
    expect(loadConfig({ STRATUS_AGENT_HOST: "compute-2" }, [], dir).token).toBe(TOKEN);
  });

  it.each([
    [{ STRATUS_AGENT_HOST: "compute-1" }, [], /no agent token/],
    [{ STRATUS_AGENT_TOKEN: "short" }, [], /16 to 256 characters/],
    [{ STRATUS_AGENT_TOKEN: TOKEN, STRATUS_AGENT_HOST: "bad host!" }, [], /STRATUS_AGENT_HOST/],
    [{ STRATUS_AGENT_TOKEN: TOKEN, STRATUS_CALL_TIMEOUT: "-1" }, [], /STRATUS_CALL_TIMEOUT/],
    [{ STRATUS_AGENT_TOKEN: TOKEN, STRATUS_CONTROLLER_URL: "ftp://x" }, [], /STRATUS_CONTROLLER_URL/],
    [{ STRATUS_AGENT_TOKEN: TOKEN, STRATUS_AGENT_TOKEN_FILE: "/x" }, [], /not both/],
    [{ STRATUS_AGENT_TOKEN_FILE: "/nonexistent/token" }, [], /cannot read/],
    [{ STRATUS_AGENT_TOKEN: TOKEN }, ["--bogus"], /bogus/],
  ])("refuses bad configuration %#", (env, argv, message) => {
    expect(() => loadConfig(env, argv, "/tmp")).toThrow(ConfigError);
    expect(() => loadConfig(env, argv, "/tmp")).toThrow(message);
  });

  it("answers --help with the flags and their variables", () => {
    expect(() => loadConfig({}, ["--help"])).toThrow(HelpRequested);
    expect(() => loadConfig({}, ["--help"])).toThrow(/--token-file\s+STRATUS_AGENT_TOKEN_FILE/);
  });
});
