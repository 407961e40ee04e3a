import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native / driver packages stay plain Node requires on the server (not bundled).
  serverExternalPackages: [
    "@prisma/client",
    "better-sqlite3",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
    "pg",
    "@node-rs/argon2",
  ],
  // The repo's root tsconfig.json is NodeNext for server/native/scripts; the panel (bundled by Next)
  // is type-checked with its own bundler-resolution config, which also covers the server files it imports.
  typescript: { tsconfigPath: "app/tsconfig.json" },
  typedRoutes: false,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
