// A logged-in tRPC client for integration tests: the same typed API the dashboard and CLI use,
// with the session cookie carried by hand (Node's fetch has no cookie jar).
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";

export type ApiClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export function apiClient(baseUrl: string, cookie?: { value: string }): ApiClient {
  const jar = cookie ?? { value: "" };
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        async fetch(input, init) {
          const headers = new Headers(init?.headers);
          if (jar.value) headers.set("cookie", jar.value);
          const res = await fetch(input, { ...init, headers });
          const set = res.headers.get("set-cookie");
          if (set) jar.value = set.split(";")[0] ?? "";
          return res;
        },
      }),
    ],
  });
}

export async function login(baseUrl: string, username: string, password: string): Promise<{ api: ApiClient; cookie: string }> {
  const jar = { value: "" };
  const api = apiClient(baseUrl, jar);
  await api.auth.login.mutate({ username, password });
  return { api, cookie: jar.value };
}

/** The tRPC error code of a failed call (e.g. "NOT_FOUND", "BAD_REQUEST", "CONFLICT"). */
export async function errorOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError) {
      const data = err.data as { code?: string } | undefined;
      return { code: data?.code ?? "UNKNOWN", message: err.message };
    }
    throw err;
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** Polls `probe` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
