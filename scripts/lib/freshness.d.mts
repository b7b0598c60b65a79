// Types for freshness.mjs (kept in JS so start.mjs runs before node_modules exists).
export function mtime(file: string): number;
export function newestMtime(paths: string[]): number;
export function installIsStale(root: string): boolean;
export const PRISMA_CLIENTS: Record<"sqlite" | "postgres", { schema: string; output: string }>;
export function clientIsStale(root: string, which: "sqlite" | "postgres"): boolean;
export const BUILD_INPUTS: string[];
export function buildIsStale(root: string): boolean;
