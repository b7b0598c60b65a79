// vi.waitFor with room for a loaded machine. Its default of 1 s is shorter than a virsh spawn or a
// socket round trip takes while other test files (or another checkout's suite) share the 2 cores.
import { vi } from "vitest";

export function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout: timeoutMs, interval: 25 });
}
