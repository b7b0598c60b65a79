// The agent's download from the image service over real HTTP: credentials sent, bytes hashed on
// the way to the file, refusals and stalls reported in words.
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ImageRef } from "@/lib/agent-protocol";
import { ControllerImageSource, ImageDownloadError } from "../../../agent/imagecache/image-source";
import { tempDir } from "./helpers";

let tmp: { dir: string; cleanup: () => void };
let server: Server;
let url: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void;

beforeEach(async () => {
  tmp = tempDir();
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

const data = Buffer.alloc(300_000, 7);
const digest = createHash("sha256").update(data).digest("hex");
const image: ImageRef = { id: randomUUID(), name: "img", diskFormat: "raw", size: data.length, checksum: digest };
const source = (stallTimeoutMs = 5000) =>
  new ControllerImageSource({ controllerUrl: url, host: "compute-1", token: "secret-token-0123456789", stallTimeoutMs });

describe("ControllerImageSource", () => {
  it("sends the host token, streams to the file and reports size, sha256 and progress", async () => {
    let seen: IncomingMessage | undefined;
    handler = (req, res) => {
      seen = req;
      res.writeHead(200, { "content-length": data.length, "x-image-sha256": digest });
      res.end(data);
    };
    const target = path.join(tmp.dir, "out.part");
    const progress: [number, number | null][] = [];
    const result = await source().download(null, image, target, (r, t) => progress.push([r, t]));
    expect(result).toEqual({ size: data.length, sha256: digest, announcedSha256: digest });
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(seen?.url).toBe(`/api/images/${image.id}/file`);
    expect(seen?.headers.authorization).toBe("Bearer secret-token-0123456789");
    expect(seen?.headers["x-stratus-host"]).toBe("compute-1");
    expect(progress[0]).toEqual([0, data.length]);
    expect(progress.at(-1)).toEqual([data.length, data.length]);
  });

  it("reports the image service's refusal in its words", async () => {
    handler = (_req, res) => {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `Image ${image.id} is not active (status: queued)` }));
    };
    const err = await source().download(null, image, path.join(tmp.dir, "x.part"), () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDownloadError);
    expect((err as Error).message).toBe(`The image service refused image ${image.id}: HTTP 409: Image ${image.id} is not active (status: queued)`);
  });

  it("gives up on a transfer that stalls", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-length": data.length });
      res.write(data.subarray(0, 1000)); // ...and then nothing
    };
    const started = Date.now();
    await expect(source(300).download(null, image, path.join(tmp.dir, "y.part"), () => undefined)).rejects.toThrow(
      /broke off after 1000 bytes: no data for 0.3 s/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("never appends to a file that is already there", async () => {
    handler = (_req, res) => res.end(data);
    const target = path.join(tmp.dir, "exists.part");
    await source().download(null, image, target, () => undefined);
    await expect(source().download(null, image, target, () => undefined)).rejects.toThrow(/EEXIST/);
    expect(existsSync(target)).toBe(true);
  });
});
