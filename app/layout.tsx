import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "./providers.js";

export const metadata: Metadata = {
  title: { default: "ovz panel", template: "%s · ovz panel" },
  description: "Container hosting panel",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

/**
 * Every page renders per request (none is prerendered at build time): the CSP nonce of each response
 * (proxy.ts) must be on Next's scripts, and a prerendered page's scripts would carry none.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-sm text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
