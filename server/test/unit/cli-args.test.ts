/**
 * vzctl/prlctl option parsing: getopt_long spellings, repeatable options, vzctl's units and
 * barrier:limit pairs, and the originals' messages and exit codes for bad input.
 */
import { describe, expect, it } from "vitest";
import { CliError, countPair, parseOpts, sizePair, VZ } from "../../cli/args.js";
import { parseConf } from "../../cli/env.js";
import { limitsPatch } from "../../cli/limit-flags.js";
import { setArgs, SET_SPECS } from "../../cli/vzctl-args.js";

const MiB = 1024 * 1024;
const err = (f: () => unknown): CliError => {
  try {
    f();
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error("expected a CliError");
};

describe("parseOpts", () => {
  const spec = {
    ipadd: { arg: true, multi: true },
    hostname: { arg: true },
    save: { arg: false },
    output: { arg: true, aliases: ["-o"] },
  };
  it("takes --opt value, --opt=value, aliases, repeats and positionals", () => {
    const p = parseOpts(
      [
        "--ipadd",
        "198.18.0.1",
        "--ipadd=198.18.0.2",
        "x",
        "--save",
        "-o",
        "ctid",
        "--hostname",
        "a",
        "--hostname",
        "b",
      ],
      spec,
      "vzctl",
    );
    expect(p.opts.get("ipadd")).toEqual(["198.18.0.1", "198.18.0.2"]);
    expect(p.opts.get("hostname")).toEqual(["b"]);
    expect(p.opts.get("save")).toEqual([""]);
    expect(p.opts.get("output")).toEqual(["ctid"]);
    expect(p.positional).toEqual(["x"]);
  });
  it("refuses unknown options, missing values and values on flags with status 20", () => {
    expect(err(() => parseOpts(["--bogus"], spec, "vzctl"))).toMatchObject({
      exitCode: VZ.INVALID_PARAMETER_SYNTAX,
      message: expect.stringContaining("unrecognized option '--bogus'"),
    });
    expect(err(() => parseOpts(["--hostname"], spec, "vzctl")).message).toContain("requires an argument");
    expect(err(() => parseOpts(["--save=yes"], spec, "vzctl")).message).toContain("doesn't allow an argument");
  });
  it("keeps everything after the first positional verbatim when asked (exec)", () => {
    expect(parseOpts(["ls", "-la", "--save"], spec, "vzctl", { stopAtPositional: true }).positional).toEqual([
      "ls",
      "-la",
      "--save",
    ]);
  });
});

describe("sizes and pairs", () => {
  it("reads K/M/G/T suffixes (binary), plain numbers in the flag's unit, and barrier:limit", () => {
    expect(sizePair("ram", "512M")).toEqual({ barrier: 512 * MiB, limit: 512 * MiB });
    expect(sizePair("diskspace", "1048576", 1024)).toEqual({ barrier: 1024 * MiB, limit: 1024 * MiB });
    expect(sizePair("diskspace", "1G:1.5G")).toEqual({ barrier: 1024 * MiB, limit: 1536 * MiB });
    expect(countPair("numproc", "100:200")).toEqual({ barrier: 100, limit: 200 });
  });
  it("refuses malformed sizes and a barrier above the limit with status 21", () => {
    for (const bad of ["1X", "", "1G:", ":1G", "1:2:3", "-5M"])
      expect(err(() => sizePair("ram", bad)).exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(err(() => sizePair("diskspace", "2G:1G")).message).toBe(
      "Bad parameter for --diskspace: 2G:1G (the barrier must not be above the limit)",
    );
    expect(err(() => countPair("numproc", "ten")).exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
  });
});

describe("limit flags (from the LIMITS table)", () => {
  it("maps each flag to its limit with vzctl's semantics", () => {
    expect(
      limitsPatch([
        ["ram", "256M"],
        ["swap", "0"],
        ["cpuunits", "2000"],
        ["cpulimit", "50%"],
        ["cpus", "2"],
        ["cpumask", "all"],
      ]),
    ).toEqual({
      ram: 256 * MiB,
      swap: 0,
      cpuunits: 2000,
      cpulimit: 50,
      cpus: 2,
      cpumask: null,
    });
    // UBC counts: the limit half is enforced; disk: the soft half is the quota
    expect(
      limitsPatch([
        ["numproc", "200:300"],
        ["diskspace", "1G:2G"],
        ["diskinodes", "100000:120000"],
      ]),
    ).toEqual({ numproc: 300, diskspace: 1024 * MiB, diskinodes: 100000 });
    expect(limitsPatch([["iolimit", "10"]])).toEqual({ iolimit: 10 * MiB });
  });
  it("names the flag and the range when a value is out of range", () => {
    const e = err(() => limitsPatch([["ram", "1M"]]));
    expect(e.exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(e.message).toMatch(/^Bad parameter for --ram: 1M \(RAM must be at least/);
    expect(err(() => limitsPatch([["cpulimit", "fast"]])).message).toContain("--cpulimit: fast");
  });
});

describe("vzctl set arguments", () => {
  const parse = (argv: string[]) => setArgs(parseOpts(argv, SET_SPECS, "vzctl"));
  it("collects settings, addresses, passwords and limits", () => {
    const s = parse([
      "--hostname",
      "ct1.example.com",
      "--ipadd",
      "198.18.0.5/24",
      "--ipadd",
      "198.18.0.6",
      "--ipdel",
      "all",
      "--nameserver",
      "198.18.0.53 198.18.0.54",
      "--onboot",
      "yes",
      "--userpasswd",
      "root:pa:ss",
      "--ram",
      "1G",
    ]);
    expect(s.settings).toEqual({
      hostname: "ct1.example.com",
      onboot: true,
      nameservers: ["198.18.0.53", "198.18.0.54"],
    });
    expect(s.ipadd).toEqual(["198.18.0.5", "198.18.0.6"]);
    expect(s.ipdel).toEqual(["all"]);
    expect(s.passwords).toEqual([{ user: "root", password: "pa:ss" }]);
    expect(s.limits).toEqual({ ram: 1024 * MiB });
  });
  it("gives the originals' codes: bad hostname 70, bad address 71, bad name server 72, bad yes/no 21", () => {
    expect(err(() => parse(["--hostname", "bad host"])).exitCode).toBe(VZ.BADHOSTNAME);
    expect(err(() => parse(["--ipadd", "not-an-ip"])).exitCode).toBe(VZ.BADIP);
    expect(err(() => parse(["--nameserver", "nope"])).exitCode).toBe(VZ.BADDNSSRV);
    expect(err(() => parse(["--onboot", "maybe"])).exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(err(() => parse(["--userpasswd", "rootonly"])).exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(err(() => parse(["--name", "123"])).exitCode).toBe(VZ.SET_NAME_ERROR);
  });
  it("--bootorder: a whole number, or empty to unset; anything else is refused with the rule", () => {
    expect(parse(["--bootorder", "100"]).settings).toEqual({ bootorder: 100 });
    expect(parse(["--bootorder", ""]).settings).toEqual({ bootorder: null });
    for (const bad of ["-1", "1.5", "first", "1000001"]) {
      const e = err(() => parse(["--bootorder", bad]));
      expect(e.exitCode).toBe(VZ.INVALID_PARAMETER_VALUE);
      expect(e.message).toMatch(/--bootorder.*whole number from 0 to 1000000/);
    }
  });
});

describe("ovz.conf", () => {
  it("reads KEY=VALUE lines with comments and quotes", () => {
    expect(parseConf('# c\nDATABASE_URL="file:/x.db"\n\nOVZ_SOCKET=/run/s.sock\nbad line\n')).toEqual({
      DATABASE_URL: "file:/x.db",
      OVZ_SOCKET: "/run/s.sock",
    });
  });
});
