import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleStaticAsset } from "@/server/http/static-assets";

const SCRIPT = `console.log(${JSON.stringify("x".repeat(5000))});\n`;

let server: Server;
let port: number;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stratus-static-"));
  mkdirSync(path.join(dir, "chunks"));
  writeFileSync(path.join(dir, "chunks", "abc123.js"), SCRIPT);
  writeFileSync(path.join(dir, "chunks", "abc123.css"), "body{color:red}");
  writeFileSync(path.join(dir, "chunks", "font.woff2"), "not served here");
  server = createServer((req, res) => {
    const urlPath = (req.url ?? "/").split("?")[0] ?? "/";
    if (!handleStaticAsset(req, res, urlPath, dir)) res.writeHead(418).end("left to Next");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Raw bytes and headers: no decompression (fetch would undo the encoding), the path sent as written. */
async function get(urlPath: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: urlPath, method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("build scripts and stylesheets served from memory", () => {
  it("answers brotli, gzip or plain by Accept-Encoding, cacheable for a year", async () => {
    const br = await get("/_next/static/chunks/abc123.js", { "accept-encoding": "gzip, deflate, br" });
    expect(br.status).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["content-type"]).toBe("application/javascript; charset=UTF-8");
    expect(br.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(br.headers.vary).toBe("Accept-Encoding");
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    expect(br.body.length).toBeLessThan(SCRIPT.length / 10);

    const gz = await get("/_next/static/chunks/abc123.js", { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const refused = await get("/_next/static/chunks/abc123.js", { "accept-encoding": "br;q=0, gzip" });
    expect(refused.headers["content-encoding"]).toBe("gzip");

    const plain = await get("/_next/static/chunks/abc123.js");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);

    const css = await get("/_next/static/chunks/abc123.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=UTF-8");
  });

  it("answers a matching If-None-Match with 304 and HEAD without a body", async () => {
    const first = await get("/_next/static/chunks/abc123.js");
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await get("/_next/static/chunks/abc123.js", { "if-none-match": etag })).status).toBe(304);
    const head = await get("/_next/static/chunks/abc123.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("answers 404 for a missing build file and leaves other paths, files and methods to Next", async () => {
    expect((await get("/_next/static/chunks/missing.js")).status).toBe(404);
    expect((await get("/_next/static/chunks/font.woff2")).status).toBe(418);
    expect((await get("/_next/static/chunks/../../etc/passwd.js")).status).toBe(418);
    expect((await get("/_next/static/chunks/%2e%2e/x.js")).status).toBe(418);
    expect((await get("/instances")).status).toBe(418);
    expect((await get("/_next/static/chunks/abc123.js", {}, "POST")).status).toBe(418);
  });
});
