// The image service end to end: a real controller and agent, images uploaded over HTTP (good,
// wrong checksum, truncated, aborted, not a disk image: clear errors and nothing half-done),
// downloaded by the agent with its host token, cached once in _base and overlaid per instance;
// delete removes the instance directory and keeps the base.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { UI_EVENTS, UI_NAMESPACE, type InstanceView } from "@/lib/instance-view";
import { IMAGE_CHANGED_EVENT, type ImageView } from "@/server/images/image-view";
import { repoRoot, startAgent, startController, tempDir, waitForHypervisors, type Agent, type Controller } from "./harness";
import { errorOf, eventually, login, type ApiClient } from "./api-client";

const AGENT_ENV = { STRATUS_DISK_GB: "2000", STRATUS_IMAGE_CACHE_INTERVAL: "0" };
/** The controller's image store: the default, shared with the seed (which knows no other). */
const STORE = path.join(repoRoot, "var/images");

let controller: Controller;
let agent: Agent;
let admin: ApiClient;
let demo: ApiClient;
let adminCookie: string;
let demoCookie: string;
let scratch: string;
const created: string[] = [];

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const qemuImg = (...args: string[]) => execFileSync("qemu-img", args, { encoding: "utf8" });

/** A raw disk image of `mib` MiB with a recognisable first sector. */
function rawImage(name: string, mib: number): Buffer {
  const file = path.join(scratch, name);
  qemuImg("create", "-f", "raw", file, `${mib}M`);
  const data = readFileSync(file);
  data.write("STRATUS-INTEGRATION-IMAGE", 0);
  return data;
}

function qcow2Image(name: string, args: string[]): Buffer {
  const file = path.join(scratch, name);
  qemuImg("create", "-f", "qcow2", ...args.slice(0, -1), file, args.at(-1)!);
  return readFileSync(file);
}

async function newImage(api: ApiClient, name: string, diskFormat: "raw" | "qcow2" = "raw", extra: Partial<Parameters<ApiClient["image"]["create"]["mutate"]>[0]> = {}) {
  const image = await api.image.create.mutate({ name, diskFormat, ...extra });
  created.push(image.id);
  return image;
}

async function upload(id: string, body: Buffer, headers: Record<string, string> = {}, cookie = adminCookie, query = "") {
  const res = await fetch(`${controller.url}/api/images/${id}/file${query}`, {
    method: "PUT",
    headers: { cookie, "content-type": "application/octet-stream", ...headers },
    body: new Blob([new Uint8Array(body)]),
  });
  const json = (await res.json()) as ImageView & { error?: string };
  return { status: res.status, body: json };
}

/** Nothing of the image in the store: neither its file nor a staging file of an upload. */
function storeEntries(id: string): string[] {
  if (!existsSync(STORE)) return [];
  return readdirSync(STORE).filter((f) => f.includes(id));
}

function uiSocket(cookie: string): Promise<Socket> {
  const socket = connect(`${controller.url}${UI_NAMESPACE}`, { transports: ["websocket"], extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function waitForStatus(uuid: string, status: string, timeoutMs = 60_000): Promise<InstanceView> {
  return eventually(async () => {
    const view = await admin.server.get.query({ id: uuid });
    return view.status === status ? view : undefined;
  }, timeoutMs, `instance ${uuid} to become ${status}`);
}

beforeAll(async () => {
  scratch = tempDir("stratus-images-test-");
  controller = await startController({ agentHosts: ["compute-1"] });
  agent = startAgent({ host: "compute-1", controllerUrl: controller.url, tokenFile: controller.tokenFile("compute-1"), env: AGENT_ENV });
  await waitForHypervisors(controller.databaseUrl, ["compute-1"], 60_000, [agent]);
  ({ api: admin, cookie: adminCookie } = await login(controller.url, controller.credentials.admin.username, controller.credentials.admin.password));
  ({ api: demo, cookie: demoCookie } = await login(controller.url, controller.credentials.demo.username, controller.credentials.demo.password));
}, 240_000);

afterAll(async () => {
  // Uploaded files live in the shared store: delete what this file created.
  for (const id of created) await admin?.image.delete.mutate({ id }).catch(() => undefined);
  await agent?.stop();
  await controller?.stop();
});

describe("image records", () => {
  it("has the seeded cirros-tiny active with its size, sha256 and virtual size", async () => {
    const cirros = (await admin.image.list.query()).find((i) => i.name === "cirros-tiny");
    expect(cirros).toMatchObject({ status: "active", diskFormat: "raw", visibility: "public" });
    const file = path.join(STORE, cirros!.id);
    expect(cirros!.size).toBe(readFileSync(file).length);
    expect(cirros!.checksum).toBe(sha256(readFileSync(file)));
    expect(cirros!.virtualSize).toBe(cirros!.size);
  });

  it("creates queued images; only admins publish; members see public and their own", async () => {
    const mine = await newImage(demo, "demo-private", "qcow2", { properties: { hw_architecture: "x86_64", hypervisor_type: "qemu" }, minDiskGb: 1 });
    expect(mine).toMatchObject({ status: "queued", visibility: "private", size: null, checksum: null, properties: { hw_architecture: "x86_64" } });
    expect(await errorOf(demo.image.create.mutate({ name: "nope", diskFormat: "raw", visibility: "public" }))).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/only admins may make an image public/),
    });
    const hidden = await newImage(admin, "admin-private");
    const visible = (await demo.image.list.query()).map((i) => i.name);
    expect(visible).toEqual(expect.arrayContaining(["cirros-tiny", "demo-private"]));
    expect(visible).not.toContain("admin-private");
    expect(await errorOf(demo.image.get.query({ id: hidden.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await errorOf(demo.image.update.mutate({ id: (await admin.image.list.query()).find((i) => i.name === "cirros-tiny")!.id, name: "x" }))).toMatchObject({
      code: "FORBIDDEN",
    });

    const updated = await demo.image.update.mutate({ id: mine.id, name: "demo-renamed", properties: { hypervisor_type: null, hw_vm_mode: "hvm" } });
    expect(updated).toMatchObject({ name: "demo-renamed", properties: { hw_architecture: "x86_64", hw_vm_mode: "hvm" } });
    expect(updated.properties).not.toHaveProperty("hypervisor_type");
    expect(await errorOf(demo.image.update.mutate({ id: mine.id, visibility: "public" }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await errorOf(demo.image.create.mutate({ name: "bad", diskFormat: "raw", properties: { name: "x" } }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/reserved attribute/),
    });
  });
});

describe("upload", () => {
  it("streams a good image in, checks it, and makes it active (queued → saving → active, pushed live)", async () => {
    const socket = await uiSocket(adminCookie);
    const statuses: string[] = [];
    socket.on(IMAGE_CHANGED_EVENT, (v: ImageView) => statuses.push(v.status));
    try {
      const image = await newImage(admin, "good-raw");
      const data = rawImage("good.raw", 8);
      const started = Date.now();
      const res = await upload(image.id, data, { "x-image-size": String(data.length), "x-image-sha256": sha256(data) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: image.id, status: "active", size: data.length, checksum: sha256(data), virtualSize: 8 * 1024 * 1024 });
      console.log(`upload of 8 MiB: ${Date.now() - started} ms`);
      expect(sha256(readFileSync(path.join(STORE, image.id)))).toBe(sha256(data));
      expect(storeEntries(image.id)).toEqual([image.id]);
      await eventually(async () => (statuses.includes("active") ? true : undefined), 5000, "the active push");
      expect(statuses).toEqual(["queued", "saving", "active"]);
      // Image data is uploaded once.
      expect(await upload(image.id, data)).toMatchObject({ status: 409, body: { error: expect.stringMatching(/not queued for upload \(status: active\)/) } });
    } finally {
      socket.close();
    }
  });

  it("accepts the checksum as ?checksum= too", async () => {
    const image = await newImage(admin, "query-checksum", "qcow2");
    const data = qcow2Image("q.qcow2", ["16M"]);
    const res = await upload(image.id, data, {}, adminCookie, `?checksum=${sha256(data)}`);
    expect(res).toMatchObject({ status: 200, body: { status: "active", diskFormat: "qcow2", virtualSize: 16 * 1024 * 1024 } });
  });

  it("refuses a wrong checksum, deletes what it received, and queues the image again", async () => {
    const image = await newImage(admin, "bad-checksum");
    const data = rawImage("bad.raw", 2);
    const res = await upload(image.id, data, { "x-image-sha256": "ab".repeat(32) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(`Checksum verification failed: received data has sha256 ${sha256(data)}, expected ${"ab".repeat(32)}`);
    expect(await admin.image.get.query({ id: image.id })).toMatchObject({ status: "queued", size: null, checksum: null });
    expect(storeEntries(image.id)).toEqual([]);
    // Queued again means the owner can simply retry.
    expect((await upload(image.id, data, { "x-image-sha256": sha256(data) })).status).toBe(200);
  });

  it("refuses a body shorter than the declared X-Image-Size", async () => {
    const image = await newImage(admin, "truncated");
    const data = rawImage("short.raw", 2);
    const res = await upload(image.id, data.subarray(0, 1024 * 1024), { "x-image-size": String(data.length) });
    expect(res).toMatchObject({ status: 400, body: { error: `Image size mismatch: declared ${data.length} bytes, received ${1024 * 1024}` } });
    expect((await admin.image.get.query({ id: image.id })).status).toBe("queued");
    expect(storeEntries(image.id)).toEqual([]);
  });

  it("cleans up after a client that goes away mid-upload", async () => {
    const image = await newImage(admin, "aborted");
    const data = rawImage("abort.raw", 4);
    const req = request(`${controller.url}/api/images/${image.id}/file`, {
      method: "PUT",
      headers: { cookie: adminCookie, "content-length": String(data.length) },
    });
    req.on("error", () => undefined);
    req.write(data.subarray(0, 1024 * 1024));
    await eventually(async () => ((await admin.image.get.query({ id: image.id })).status === "saving" ? true : undefined), 10_000, "saving");
    req.destroy();
    await eventually(async () => ((await admin.image.get.query({ id: image.id })).status === "queued" ? true : undefined), 10_000, "queued again");
    expect(storeEntries(image.id)).toEqual([]);
    await controller.waitForLog(/Upload of image .* refused: Image upload aborted after \d+ bytes/, 5000);
  });

  it("refuses files that are not a disk image of the declared format, or that have a backing file", async () => {
    const text = Buffer.from("#!/bin/sh\necho this is not a disk image\n");
    const cases: [string, "raw" | "qcow2", Buffer, RegExp][] = [
      ["text-as-qcow2", "qcow2", text, /is unacceptable: it is not a qcow2 disk image \(qemu-img reads it as raw\)/],
      ["text-as-raw", "raw", text, /is unacceptable: it is not a raw disk image \(\d+ bytes is not a whole number of 512-byte sectors\)/],
      ["qcow2-as-raw", "raw", qcow2Image("real.qcow2", ["1M"]), /it is not a raw disk image \(qemu-img reads it as qcow2\)/],
      ["backed", "qcow2", qcow2Image("backed.qcow2", ["-F", "raw", "-b", "/etc/hostname", "1M"]), /it has a backing file \(\/etc\/hostname\)/],
    ];
    for (const [name, format, data, why] of cases) {
      const image = await newImage(admin, name, format);
      const res = await upload(image.id, data, { "x-image-sha256": sha256(data) });
      expect(res.status, name).toBe(400);
      expect(res.body.error, name).toMatch(why);
      expect((await admin.image.get.query({ id: image.id })).status, name).toBe("queued");
      expect(storeEntries(image.id), name).toEqual([]);
    }
  });

  it("lets only the owner (or an admin) upload, and only with a session", async () => {
    const image = await newImage(admin, "owned-by-admin");
    const data = rawImage("owned.raw", 1);
    expect((await upload(image.id, data, {}, "")).status).toBe(401);
    expect((await upload(image.id, data, {}, demoCookie)).status).toBe(404);
    expect(await upload(image.id, data, { "x-image-sha256": "nothex" })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/X-Image-Sha256|x-image-sha256/i) } });
    expect((await admin.image.get.query({ id: image.id })).status).toBe("queued");
  });
});

describe("download", () => {
  let image: ImageView;
  let data: Buffer;
  let token: string;
  beforeAll(async () => {
    image = await newImage(admin, "downloadable");
    data = rawImage("dl.raw", 3);
    await upload(image.id, data);
    token = readFileSync(controller.tokenFile("compute-1"), "utf8").trim();
  });
  const get = (headers: Record<string, string>) => fetch(`${controller.url}/api/images/${image.id}/file`, { headers });

  it("serves agents with their host token: length, sha256 header and ranges", async () => {
    const res = await get({ authorization: `Bearer ${token}`, "x-stratus-host": "compute-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(res.headers.get("x-image-sha256")).toBe(sha256(data));
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
    const part = await get({ authorization: `Bearer ${token}`, "x-stratus-host": "compute-1", range: "bytes=0-24" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-24/${data.length}`);
    expect(await part.text()).toBe("STRATUS-INTEGRATION-IMAGE");
  });

  it("refuses a wrong token or host, and no credentials at all", async () => {
    expect((await get({ authorization: `Bearer ${token}`, "x-stratus-host": "compute-2" })).status).toBe(401);
    expect((await get({ authorization: "Bearer not-the-token-at-all", "x-stratus-host": "compute-1" })).status).toBe(401);
    expect((await get({})).status).toBe(401);
  });

  it("refuses an image without data", async () => {
    const queued = await newImage(admin, "no-data");
    const res = await fetch(`${controller.url}/api/images/${queued.id}/file`, { headers: { authorization: `Bearer ${token}`, "x-stratus-host": "compute-1" } });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/is not active \(status: queued\)/);
  });
});

describe("booting from an uploaded image", () => {
  const instancesDir = () => path.join(agent.stateDir, "instances");

  it("caches the image once in _base and gives each instance a qcow2 overlay on it; delete keeps the base", async () => {
    const image = await newImage(admin, "bootable", "qcow2");
    // A qcow2 upload: the agent converts it to a raw base.
    const raw = path.join(scratch, "boot.raw");
    writeFileSync(raw, rawImage("boot-src.raw", 32));
    const qcow2 = path.join(scratch, "boot.qcow2");
    qemuImg("convert", "-f", "raw", "-O", "qcow2", raw, qcow2);
    const data = readFileSync(qcow2);
    expect((await upload(image.id, data, { "x-image-sha256": sha256(data) })).status).toBe(200);

    const socket = await uiSocket(adminCookie);
    const steps: string[] = [];
    socket.on(UI_EVENTS.instanceChanged, (v: InstanceView) => v.step && steps.push(v.step));
    try {
      const started = Date.now();
      const { instances } = await admin.server.create.mutate({ name: "from-upload", flavorId: "1", imageId: image.id, count: 2 });
      const views = await Promise.all(instances.map((i) => waitForStatus(i.uuid, "ACTIVE")));
      console.log(`2 instances from a fresh 32 MiB qcow2 image ACTIVE in ${Date.now() - started} ms`);
      expect(views.every((v) => v.host === "compute-1")).toBe(true);
      expect(steps).toContain("Downloading image bootable (100%)");

      const base = path.join(instancesDir(), "_base", sha1(image.id));
      expect(readdirSync(path.join(instancesDir(), "_base"))).toContain(sha1(image.id));
      expect(JSON.parse(qemuImg("info", "--output=json", base))).toMatchObject({ format: "raw", "virtual-size": 32 * 1024 * 1024 });
      const sends = controller.logs().split("\n").filter((l) => l.includes(`Sending image bootable (${image.id}) to host compute-1`));
      expect(sends).toHaveLength(1); // one download for both builds

      for (const { uuid } of instances) {
        const disk = path.join(instancesDir(), uuid, "disk");
        const chain = JSON.parse(qemuImg("info", "-U", "--output=json", "--backing-chain", disk)) as Record<string, unknown>[];
        expect(chain[0]).toMatchObject({ format: "qcow2", "virtual-size": 1024 ** 3, "full-backing-filename": base, "backing-filename-format": "raw" });
      }

      const [first] = instances;
      await admin.server.delete.mutate({ id: first!.uuid });
      await eventually(async () => (existsSync(path.join(instancesDir(), first!.uuid)) ? undefined : true), 30_000, "the instance dir to go");
      expect(existsSync(base)).toBe(true);
      expect(existsSync(path.join(instancesDir(), instances[1]!.uuid, "disk"))).toBe(true);
      await admin.server.delete.mutate({ id: instances[1]!.uuid });
      await eventually(async () => ((await admin.server.list.query({})).total === 0 ? true : undefined), 30_000, "all deleted");
      expect(existsSync(base)).toBe(true);
    } finally {
      socket.close();
    }
  });

  it("fails a build whose flavor disk is smaller than the image, with Nova's fault", async () => {
    const image = await newImage(admin, "too-big", "qcow2");
    const data = qcow2Image("big.qcow2", ["3G"]);
    expect((await upload(image.id, data)).status).toBe(200);
    const { instances } = await admin.server.create.mutate({ name: "too-small", flavorId: "1", imageId: image.id });
    const view = await waitForStatus(instances[0]!.uuid, "ERROR");
    expect(view.fault?.message).toBe(
      "Flavor's disk is too small for requested image. Flavor disk is 1073741824 bytes, image is 3221225472 bytes.",
    );
    await admin.server.delete.mutate({ id: view.uuid });
    await eventually(async () => (existsSync(path.join(instancesDir(), view.uuid)) ? undefined : true), 30_000, "the instance dir to go");
  });
});

describe("image delete", () => {
  it("is refused while protected, then marks the image deleted and removes its data", async () => {
    const image = await newImage(admin, "protected", "raw", { protected: true });
    await upload(image.id, rawImage("prot.raw", 1));
    expect(await errorOf(admin.image.delete.mutate({ id: image.id }))).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/is protected/) });
    await admin.image.update.mutate({ id: image.id, protected: false });
    expect(await admin.image.delete.mutate({ id: image.id })).toEqual({ id: image.id, status: "deleted" });
    expect(storeEntries(image.id)).toEqual([]);
    expect(await errorOf(admin.image.get.query({ id: image.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await admin.image.list.query()).some((i) => i.id === image.id)).toBe(false);
  });
});
