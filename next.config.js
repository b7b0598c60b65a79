// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native and wasm-bearing server packages stay outside the bundle.
  serverExternalPackages: ["@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "better-sqlite3", "pg", "pino"],
  experimental: {
    // One-shot builds (npm start on a fresh clone, CI) gain nothing from writing Turbopack's cache.
    turbopackFileSystemCacheForBuild: false,
  },
};

export default nextConfig;
