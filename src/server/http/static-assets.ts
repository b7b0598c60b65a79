// The dashboard's scripts and stylesheet (`/_next/static/**.js|css`) served from memory, compressed
// once. Next serves them too, but compresses every response again on this process's event loop:
// about 70 ms of CPU per first visit for the ~15 files the Instances page loads, on the two cores
// the browser, the agents and the server's own page render share. The names carry a content hash,
// so a file never changes under its name and a browser may keep it for a year.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const PREFIX = "/_next/static/";
const TYPES: Record<string, string> = {
  ".js": "application/javascript; charset=UTF-8",
  ".css": "text/css; charset=UTF-8",
};
/** Hashed build output: letters, digits, `-`, `_`, `~`, `.` and `/`, never `..`. */
const SAFE_NAME = /^(?!.*\.\.)[\w~./-]+$/;

interface Asset {
  type: string;
  etag: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** By name under `/_next/static/`; `null` (answered 404, then forgotten) when there is no such file. */
const assets = new Map<string, Promise<Asset | null>>();

async function load(file: string, type: string): Promise<Asset | null> {
  let identity: Buffer;
  try {
    identity = await readFile(file);
  } catch {
    return null;
  }
  // Brotli quality 6: on this build within 1 % of quality 9's size at 1/60 of its time (~50 ms
  // for every script and stylesheet, against 3 s), so the first visitor after a start waits no longer.
  const [br, gz] = await Promise.all([
    brotli(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    gzipAsync(identity),
  ]);
  const etag = `"${createHash("sha1").update(identity).digest("base64url")}"`;
  return { type, etag, identity, gzip: gz, br };
}

/** The encodings the request accepts, by name, ignoring q-values except an explicit q=0. */
function accepts(req: IncomingMessage, encoding: string): boolean {
  const header = req.headers["accept-encoding"];
  if (typeof header !== "string") return false;
  return header.split(",").some((part) => {
    const [name, ...params] = part.trim().split(";");
    return name?.trim() === encoding && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string> = {
    "Content-Type": asset.type,
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: asset.etag,
    Vary: "Accept-Encoding",
  };
  if (req.headers["if-none-match"] === asset.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const [body, encoding] = accepts(req, "br") ? [asset.br, "br"] : accepts(req, "gzip") ? [asset.gzip, "gzip"] : [asset.identity, null];
  if (encoding) headers["Content-Encoding"] = encoding;
  headers["Content-Length"] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * Serves a build script or stylesheet from `staticDir` (the build's `.next/static`); false leaves
 * the request to Next (other files, other methods, a name that is not a plain build file).
 */
export function handleStaticAsset(req: IncomingMessage, res: ServerResponse, urlPath: string, staticDir: string): boolean {
  if (!urlPath.startsWith(PREFIX) || (req.method !== "GET" && req.method !== "HEAD")) return false;
  const name = urlPath.slice(PREFIX.length);
  const type = TYPES[path.extname(name)];
  if (!type || !SAFE_NAME.test(name)) return false;
  let pending = assets.get(name);
  if (!pending) {
    pending = load(path.join(staticDir, name), type);
    assets.set(name, pending);
  }
  pending.then(
    (asset) => {
      if (asset) return send(req, res, asset);
      assets.delete(name);
      res.writeHead(404, { "Content-Type": "text/plain; charset=UTF-8", "Cache-Control": "no-store" }).end("Not found");
    },
    () => {
      assets.delete(name);
      if (!res.headersSent) res.writeHead(500).end();
    },
  );
  return true;
}
