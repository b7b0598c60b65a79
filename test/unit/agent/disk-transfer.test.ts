// The migration disk transfer over real HTTP on loopback: a disk arrives whole and verified, and
// every bad request (wrong token, another instance, a lying checksum, no slot) is refused with its
// reason and leaves no file behind.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendDisk } from "../../../agent/migration/transfer-client";
import { TransferServer } from "../../../agent/migration/transfer-server";

const UUID = "6f1c2b1e-9a0b-4c3d-8e7f-001122334455";
const dir = mkdtempSync(path.join(tmpdir(), "stratus-transfer-"));
const source = path.join(dir, "source.qcow2");
const server = new TransferServer({ address: "127.0.0.1", port: 0 });
const token = () => randomBytes(32).toString("hex");

beforeAll(async () => {
  writeFileSync(source, randomBytes(3 * 1024 * 1024 + 17));
  await server.start();
});
afterAll(() => server.close());

function put(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { "content-length": String(body.length), ...headers } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("migration disk transfer", () => {
  it("delivers the disk whole, verified, with progress up to its size", async () => {
    const t = token();
    const target = path.join(dir, "a", "disk.incoming");
    const arrived = server.expect({ migrationId: 1, uuid: UUID, token: t, target, ttlMs: 60_000 });
    const progress: number[] = [];
    const sent = await sendDisk({ url: server.url(1), token: t, uuid: UUID, file: source, onProgress: (p) => progress.push(p.sent) });
    expect(await arrived).toBe(sent.bytes);
    expect(readFileSync(target).equals(readFileSync(source))).toBe(true);
    expect(sent.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.at(-1)).toBe(sent.bytes);
    // The slot is used up: the same token cannot write again.
    await expect(sendDisk({ url: server.url(1), token: t, uuid: UUID, file: source })).rejects.toThrow(/HTTP 403/);
  });

  it("refuses a wrong token and a transfer for another instance, writing nothing", async () => {
    const t = token();
    const target = path.join(dir, "b", "disk.incoming");
    void server.expect({ migrationId: 2, uuid: UUID, token: t, target, ttlMs: 60_000 });
    await expect(sendDisk({ url: server.url(2), token: token(), uuid: UUID, file: source })).rejects.toThrow(/HTTP 403.*no transfer is expected/);
    await expect(sendDisk({ url: server.url(2), token: t, uuid: "00000000-0000-4000-8000-000000000000", file: source })).rejects.toThrow(
      /HTTP 400.*another instance/,
    );
    expect(existsSync(target)).toBe(false);
  });

  it("refuses a body whose checksum or length is not what was declared, and keeps no part file", async () => {
    const t = token();
    const target = path.join(dir, "c", "disk.incoming");
    void server.expect({ migrationId: 3, uuid: UUID, token: t, target, ttlMs: 60_000 });
    const body = randomBytes(1024);
    const headers = { authorization: `Bearer ${t}`, "x-stratus-instance": UUID, "x-stratus-sha256": "0".repeat(64) };
    const bad = await put(server.url(3), headers, body);
    expect(bad.status).toBe(422);
    expect(bad.body).toMatch(/checksum mismatch/);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.part`)).toBe(false);
    const undeclared = await put(server.url(3), { authorization: `Bearer ${t}`, "x-stratus-instance": UUID }, body);
    expect(undeclared.status).toBe(400);
    // The slot stays open after a failed try: a correct send still lands.
    await sendDisk({ url: server.url(3), token: t, uuid: UUID, file: source });
    expect(existsSync(target)).toBe(true);
  });

  it("keeps to the bandwidth limit (STRATUS_TRANSFER_BANDWIDTH) and still delivers the disk whole", async () => {
    const t = token();
    const target = path.join(dir, "e", "disk.incoming");
    void server.expect({ migrationId: 5, uuid: UUID, token: t, target, ttlMs: 60_000 });
    const rate = 8 * 1024 * 1024; // 3 MiB at 8 MiB/s: about 0.4 s, against a few ms unlimited
    const progress: number[] = [];
    const started = Date.now();
    const sent = await sendDisk({ url: server.url(5), token: t, uuid: UUID, file: source, bytesPerSec: rate, onProgress: (p) => progress.push(p.sent) });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(((sent.bytes - 1024 * 1024) / rate) * 1000);
    expect(readFileSync(target).equals(readFileSync(source))).toBe(true);
    // Paced in pieces of a tenth of a second's worth, not one burst.
    expect(progress.length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a cancelled slot", async () => {
    const t = token();
    void server.expect({ migrationId: 4, uuid: UUID, token: t, target: path.join(dir, "d", "disk.incoming"), ttlMs: 60_000 });
    server.cancel(4);
    await expect(sendDisk({ url: server.url(4), token: t, uuid: UUID, file: source })).rejects.toThrow(/HTTP 403/);
  });
});
