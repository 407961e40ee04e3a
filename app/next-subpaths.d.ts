// The panel is type-checked with NodeNext resolution (app/tsconfig.json) so that Turbopack maps the
// server's NodeNext-style "./x.js" imports to .ts files. Under NodeNext, TypeScript cannot resolve
// extensionless subpaths of packages without an "exports" map (next/link, next/navigation), and sees
// CommonJS default exports one level down; these re-declarations fix both. At run time Next resolves
// them as usual.
declare module "next/navigation" {
  export * from "next/navigation.js";
}
declare module "next/link" {
  import type * as M from "next/link.js";
  const Link: (typeof M)["default"]["default"];
  export default Link;
  export * from "next/link.js";
}
declare module "next/server" {
  export * from "next/server.js";
}
