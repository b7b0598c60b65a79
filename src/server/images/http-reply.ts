// JSON answers of the image service's plain HTTP endpoints (the file up- and downloads live outside
// tRPC because they stream bytes). Every error carries one readable sentence and the request id.
import type { ServerResponse } from "node:http";

/** An expected refusal: its status and message go to the client as they are. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const REQUEST_ID_HEADER = "x-openstack-request-id";

export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function replyError(res: ServerResponse, err: HttpError, requestId: string): void {
  replyJson(res, err.status, { error: err.message, requestId }, err.headers);
}
