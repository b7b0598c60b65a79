// Flat config: ESLint's recommended rules plus typescript-eslint's (syntax-based, no type info, so
// `npx eslint .` stays fast), for TypeScript and the project's plain-JS scripts.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

// typescript-eslint turns `no-undef` off for TypeScript (the compiler checks names); only the plain
// .mjs/.js scripts need their globals declared. Listed here rather than importing `globals`, which is
// only a transitive dependency of eslint.
const nodeGlobals = Object.fromEntries(
  [
    "process", "console", "Buffer", "URL", "URLSearchParams", "AbortController", "AbortSignal", "fetch",
    "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate",
    "queueMicrotask", "structuredClone", "TextEncoder", "TextDecoder", "globalThis",
  ].map((name) => [name, "readonly"]),
);

export default defineConfig(
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      "src/generated/**",
      "var/**",
      "playwright-report/**",
      "test-results/**",
      "next-env.d.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: nodeGlobals,
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
);
