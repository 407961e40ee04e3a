/**
 * debian-12 template: debootstrap minbase + systemd-sysv + iproute2 (+ a few small tools), made
 * container-friendly (empty machine-id, no host hostname/resolv.conf, units that fail in containers
 * masked, apt caches dropped), packed as tar.zst with numeric owners. *
 * The parts: debian-build.ts (debootstrap and making the tree container-friendly), debian-cache.ts (a cached
 * debian-12 tarball), temp-files.ts (temp names, leftovers, tree removal), all re-exported here.
 */
export * from "./debian-build.js";
export * from "./debian-cache.js";
export * from "./temp-files.js";
