import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "./providers.js";

export const metadata: Metadata = { title: { default: "ovz panel", template: "%s · ovz panel" }, description: "Container hosting panel" };
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-sm text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
