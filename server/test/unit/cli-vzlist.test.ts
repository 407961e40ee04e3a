/**
 * vzlist / prlctl list compatibility: exact output derived from the originals' printf formats.
 *  - vzlist: kolyshkin/vzctl src/vzlist.c (field_names[], print_* functions, print_hdr, print_one_ve,
 *    print_one_ve_json, build_field_order, main's getopt loop) — each expectation cites the format.
 *  - prlctl: OpenVZ/prlctl src/PrlList.cpp (vm_field_tbl), src/PrlOutFormatter.cpp, src/GetOpt.cpp,
 *    src/PrlVm.cpp (append_configuration), src/Utils.cpp (uptime2str).
 */
import { describe, expect, it } from "vitest";
import { CliUsageError } from "../../cli/errors.js";
import type { CtRow } from "../../cli/types.js";
import { fnmatch } from "../../cli/fnmatch.js";
import { cFixed } from "../../cli/printf.js";
import { formatPrlctlList } from "../../cli/prlctl-list.js";
import { parsePrlctlListArgs } from "../../cli/prlctl-list-args.js";
import { ctUuid } from "../../cli/prlctl-list-fields.js";
import { formatVzlist, parseVzlistArgs, VZLIST_USAGE } from "../../cli/vzlist.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function ct(ctid: number, over: Partial<CtRow> = {}): CtRow {
  return {
    ctid,
    name: null,
    hostname: `ct${ctid}.example.com`,
    description: null,
    status: "running",
    ips: [],
    ostemplate: "debian-12",
    onboot: false,
    bootorder: null,
    owner: "acme",
    plan: "starter",
    root: `/vz/root/${ctid}`,
    private: `/vz/private/${ctid}`,
    limits: {
      ram: 512 * MiB,
      swap: 256 * MiB,
      cpuunits: 1000,
      cpulimit: 0,
      cpumask: null,
      cpus: 0,
      numproc: 1024,
      numfile: 16384,
      numpty: 1024,
      diskspace: 10 * GiB,
      diskinodes: 0,
      ioweight: 500,
      iolimit: 0,
      iopslimit: 0,
    },
    numproc: 5,
    physpages: 64 * MiB,
    swappages: 0,
    diskspace: 2 * GiB,
    diskinodes: 1000,
    uptime: 60,
    laverage: [0, 0, 0],
    failcnt: {},
    createdAt: new Date(0),
    ...over,
  };
}

const stopped = {
  status: "stopped",
  numproc: null,
  physpages: null,
  swappages: null,
  uptime: null,
  laverage: null,
} as const;

const ROWS: CtRow[] = [
  ct(103, {
    hostname: "a-very-long-hostname-that-exceeds-32.example.com",
    ips: ["2001:db8:1234:5678::1"],
    description: "test box",
  }),
  ct(101, {
    name: "web",
    hostname: "web.example.com",
    ips: ["10.0.0.1", "10.0.0.2", "fd00::1"],
    onboot: true,
    numproc: 12,
    physpages: 100 * MiB,
    swappages: 4 * MiB,
    diskspace: 1 * GiB,
    diskinodes: 30000,
    uptime: 90061.7,
    laverage: [0.05, 0.125, 1.5],
    failcnt: { numproc: 3 },
    limits: { ...ct(0).limits, cpus: 2, cpulimit: 50, cpumask: "0-1" },
  }),
  ct(102, { ...stopped, hostname: "db.example.com", ips: ["10.0.0.3"], description: "database" }),
  ct(104, { ...stopped, status: "mounted", hostname: "", name: "spare" }),
];

const vzlist = (...argv: string[]) => formatVzlist(ROWS, parseVzlistArgs(argv));
const vzlistOn = (rows: CtRow[], ...argv: string[]) => formatVzlist(rows, parseVzlistArgs(argv));

/** The CliUsageError a command line gives (as output). */
function usageError(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliUsageError);
    return (e as CliUsageError).toOutput();
  }
  throw new Error("no error");
}

// Column helpers spelled out as the C formats they stand for.
const r10 = (s: string | number) => String(s).padStart(10); // "%10s" / "%10d" / "%10lu"
const l9 = (s: string) => s.padEnd(9); // "%-9s"
const l15 = (s: string) => s.padEnd(15); // "%-15s"
const HEADER = `${r10("CTID")} ${r10("NPROC")} ${l9("STATUS")} ${l15("IP_ADDR")} HOSTNAME`; // print_hdr, EOL spaces trimmed

describe("vzlist default output", () => {
  it("running containers: CTID NPROC STATUS IP_ADDR HOSTNAME with the original's widths", () => {
    const out = vzlist();
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe("");
    // "%10s" CTID, "%10lu" held numproc, "%-9s" status, "%-15s" first IP (not last: cut at the first
    // space and to 15 bytes), "%-32s" hostname — last, so printed whole; trailing spaces trimmed.
    expect(out.stdout).toBe(
      `${HEADER}\n` +
        `${r10(101)} ${r10(12)} ${l9("running")} ${l15("10.0.0.1")} web.example.com\n` +
        `${r10(103)} ${r10(5)} ${l9("running")} 2001:db8:1234:5 a-very-long-hostname-that-exceeds-32.example.com\n`,
    );
    expect(HEADER).toBe("      CTID      NPROC STATUS    IP_ADDR         HOSTNAME");
  });

  it("-a adds the others: '-' for the usage of a stopped one (print_ubc \"%10s\" \"-\"), '-' for no IP/hostname", () => {
    expect(vzlist("-a").stdout).toBe(
      `${HEADER}\n` +
        `${r10(101)} ${r10(12)} ${l9("running")} ${l15("10.0.0.1")} web.example.com\n` +
        `${r10(102)} ${r10("-")} ${l9("stopped")} ${l15("10.0.0.3")} db.example.com\n` +
        `${r10(103)} ${r10(5)} ${l9("running")} 2001:db8:1234:5 a-very-long-hostname-that-exceeds-32.example.com\n` +
        `${r10(104)} ${r10("-")} ${l9("mounted")} ${l15("-")} -\n`,
    );
  });

  it("-S lists the ones not running (stopped, mounted)", () => {
    expect(vzlist("-S", "-H", "-o", "ctid,status").stdout).toBe(`${r10(102)} stopped\n${r10(104)} mounted\n`);
  });

  it("ip as the last field shows every address; in the middle only the first; -t disables trimming", () => {
    // PRINT_STR_FIELD "%-32s" cut to 32 when not last; print_strlist full list when last
    expect(vzlist("-o", "ctid,hostname,ip").stdout).toBe(
      `${r10("CTID")} ${"HOSTNAME".padEnd(32)} IP_ADDR\n` +
        `${r10(101)} ${"web.example.com".padEnd(32)} 10.0.0.1 10.0.0.2 fd00::1\n` +
        `${r10(103)} a-very-long-hostname-that-exceed 2001:db8:1234:5678::1\n`,
    );
    // -t: every value whole, padded but never cut (the column layout breaks, as in the original)
    expect(vzlist("-t", "-H", "-o", "ip,hostname", "103", "101").stdout).toBe(
      `10.0.0.1 10.0.0.2 fd00::1  web.example.com\n` +
        `2001:db8:1234:5678::1  a-very-long-hostname-that-exceeds-32.example.com\n`,
    );
  });

  it("-H drops the header; -1 is -H -o veid: one right-aligned CTID per line, word-splittable", () => {
    expect(vzlist("-H").stdout.split("\n")[0]).toBe(
      `${r10(101)} ${r10(12)} ${l9("running")} ${l15("10.0.0.1")} web.example.com`,
    );
    const one = vzlist("-1", "-a");
    // print_veid "%10d"
    expect(one.stdout).toBe(`${r10(101)}\n${r10(102)}\n${r10(103)}\n${r10(104)}\n`);
    expect(vzlist("-H", "-o", "ctid", "-a").stdout).toBe(one.stdout);
    // for ct in $(vzlist -H -o ctid) — shell word splitting
    expect(one.stdout.split(/\s+/).filter(Boolean)).toEqual(["101", "102", "103", "104"]);
  });

  it('-n puts SMARTNAME ("%10s": the name, else the CTID) first', () => {
    expect(vzlist("-n").stdout).toBe(
      `${r10("SMARTNAME")} ${r10("NPROC")} ${l9("STATUS")} ${l15("IP_ADDR")} HOSTNAME\n` +
        `${r10("web")} ${r10(12)} ${l9("running")} ${l15("10.0.0.1")} web.example.com\n` +
        `${r10(103)} ${r10(5)} ${l9("running")} 2001:db8:1234:5 a-very-long-hostname-that-exceeds-32.example.com\n`,
    );
  });
});

describe("vzlist fields in the original's units", () => {
  it("UBC in pages (physpages/swappages), barrier 0 and limit RAM/swap as vzctl --ram/--swap set them", () => {
    const out = vzlist(
      "-a",
      "-o",
      "ctid,numproc,numproc.b,numproc.l,numproc.f,physpages,physpages.b,physpages.l,swappages,swappages.l,numfile.l",
    );
    // every UBC column is "%10lu" / "%10s"; held and failcnt "-" when not running (print_ubc)
    expect(out.stdout.split("\n").slice(0, 3)).toEqual([
      [
        r10("CTID"),
        r10("NPROC"),
        r10("NPROC.B"),
        r10("NPROC.L"),
        r10("NPROC.F"),
        r10("PHYSP"),
        r10("PHYSP.B"),
        r10("PHYSP.L"),
        r10("SWAPP"),
        r10("SWAPP.L"),
        r10("NFILE.L"),
      ].join(" "),
      // 100 MiB = 25600 pages; 512 MiB = 131072; 4 MiB = 1024; 256 MiB = 65536
      [
        r10(101),
        r10(12),
        r10(1024),
        r10(1024),
        r10(3),
        r10(25600),
        r10(0),
        r10(131072),
        r10(1024),
        r10(65536),
        r10(16384),
      ].join(" "),
      [
        r10(102),
        r10("-"),
        r10(1024),
        r10(1024),
        r10("-"),
        r10("-"),
        r10(0),
        r10(131072),
        r10("-"),
        r10(65536),
        r10(16384),
      ].join(" "),
    ]);
  });

  it("disk quota in 1 KiB blocks, inodes 'unlimited' as LONG_MAX; '-' for a zero usage (print_dq)", () => {
    const rows = [ct(201, { diskspace: null, diskinodes: null }), ct(202)];
    expect(vzlistOn(rows, "-H", "-o", "ctid,diskspace,diskspace.s,diskspace.h,diskinodes,diskinodes.h").stdout).toBe(
      `${r10(201)} ${r10("-")} ${r10(10485760)} ${r10(10485760)} ${r10("-")} 9223372036854775807\n` +
        `${r10(202)} ${r10(2097152)} ${r10(10485760)} ${r10(10485760)} ${r10(1000)} 9223372036854775807\n`,
    );
  });

  it('laverage "%1.2f/%1.2f/%1.2f" (ties to even, like glibc), uptime "%.3dd%.2dh:%.2dm:%.2ds", cpu columns', () => {
    const out = vzlist("-a", "-o", "ctid,laverage,uptime,cpulimit,cpuunits,cpus,cpumask,onboot,vswap");
    expect(out.stdout.split("\n").slice(0, 3)).toEqual([
      // headers: "%14s" LAVERAGE, "%15s" UPTIME, "%7s" CPULIM/CPUUNI, "%5s" CPUS, "%16s" CPUMASK, "%6s" ONBOOT, "%5s"
      // VSWAP
      `${r10("CTID")} ${"LAVERAGE".padStart(14)} ${"UPTIME".padStart(15)}  CPULIM  CPUUNI  CPUS ${"CPUMASK".padStart(16)} ONBOOT VSWAP`,
      // 0.125 → "0.12" (round-half-even on the exact binary value); 90061.7 s → 1 day 01:01:01
      `${r10(101)} 0.05/0.12/1.50 001d01h:01m:01s      50    1000     2 ${"0-1".padStart(16)}    yes   yes`,
      // not running: "%14s" "-", "%15s" "-"; cpus 0 → "%5s" "-"
      `${r10(102)} ${"-".padStart(14)} ${"-".padStart(15)}       0    1000     - ${"-".padStart(16)}     no   yes`,
    ]);
  });

  it('bootorder: "%10s", "-" when unset; sorted with unset lowest', () => {
    const rows = [ct(301, { bootorder: 50 }), ct(302), ct(303, { bootorder: 7 })];
    expect(vzlistOn(rows, "-o", "ctid,bootorder").stdout).toBe(
      `${r10("CTID")}  BOOTORDER\n${r10(301)} ${r10(50)}\n${r10(302)} ${r10("-")}\n${r10(303)} ${r10(7)}\n`,
    );
    expect(vzlistOn(rows, "-H", "-o", "ctid", "-s", "bootorder").stdout).toBe(
      `${r10(302)}\n${r10(303)}\n${r10(301)}\n`,
    );
  });

  it("strings: \"%-32s\" private/root/name/description/ostemplate, '-' when unset", () => {
    expect(vzlist("-H", "-o", "name,description,ostemplate,root,private", "101", "102").stdout).toBe(
      `${"web".padEnd(32)} ${"-".padEnd(32)} ${"debian-12".padEnd(32)} ${"/vz/root/101".padEnd(32)} /vz/private/101\n` +
        `${"-".padEnd(32)} ${"database".padEnd(32)} ${"debian-12".padEnd(32)} ${"/vz/root/102".padEnd(32)} /vz/private/102\n`,
    );
  });

  it('-L lists every field and header as "%-15s %-15s"', () => {
    const out = vzlist("-L");
    expect(out.exitCode).toBe(0);
    const lines = out.stdout.split("\n");
    expect(lines[0]).toBe(`${"ctid".padEnd(15)} ${"CTID".padEnd(15)}`);
    expect(lines).toContain(`${"physpages.l".padEnd(15)} ${"PHYSP.L".padEnd(15)}`);
    expect(lines).toContain(`${"diskspace.h".padEnd(15)} ${"DSPACE.H".padEnd(15)}`);
    // left out: what a CtRow cannot supply
    for (const f of ["kmemsize", "numproc.m", "layout", "ioprio", "nameserver", "numfile"])
      expect(lines.some((l) => l.startsWith(`${f} `))).toBe(false);
  });
});

describe("vzlist sorting (-s [-]field), as qsort over the CTID-ordered list", () => {
  const order = (...argv: string[]) =>
    vzlist("-1", "-a", ...argv)
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number);

  it("by CTID by default, reverse with a leading '-'", () => {
    expect(order()).toEqual([101, 102, 103, 104]);
    expect(order("-s", "-ctid")).toEqual([104, 103, 102, 101]);
  });

  it("strings: unset first, then strcmp; status in the original's enum order, then CTID", () => {
    expect(order("-s", "hostname")).toEqual([104, 103, 102, 101]);
    expect(order("-s", "status")).toEqual([101, 103, 102, 104]);
    expect(order("-s", "name")).toEqual([102, 103, 104, 101]);
  });

  it("numbers: held usage (0 when not running); uptime longest first, unknown first; onboot keeps the order", () => {
    expect(order("-s", "numproc")).toEqual([102, 104, 103, 101]);
    expect(order("-s", "uptime")).toEqual([102, 104, 101, 103]);
    expect(order("-s", "-uptime")).toEqual([103, 101, 104, 102]);
    expect(order("-s", "onboot")).toEqual([101, 102, 103, 104]);
    expect(order("-s", "diskinodes")).toEqual([102, 103, 104, 101]);
  });

  it("a '-' once given keeps the order reversed (sort_rev is never reset)", () => {
    expect(order("-s", "-ctid", "-s", "ctid")).toEqual([104, 103, 102, 101]);
  });
});

describe("vzlist selection and filters", () => {
  it("positional CTIDs select those in any state; names are resolved", () => {
    expect(vzlist("-1", "102", "104").stdout).toBe(`${r10(102)}\n${r10(104)}\n`);
    expect(vzlist("-1", "spare").stdout).toBe(`${r10(104)}\n`);
    expect(
      formatVzlist(ROWS, parseVzlistArgs(["-1", "spare"], { resolveName: (n) => (n === "spare" ? 104 : null) })).stdout,
    ).toBe(`${r10(104)}\n`);
  });

  it("an unknown name: 'CT ID x is invalid.', exit 1", () => {
    expect(vzlist("nosuch")).toEqual({ stdout: "", stderr: "CT ID nosuch is invalid.\n", exitCode: 1 });
    expect(usageError(() => parseVzlistArgs(["nosuch"], { resolveName: () => null }))).toEqual({
      stdout: "",
      stderr: "CT ID nosuch is invalid.\n",
      exitCode: 1,
    });
  });

  it("nothing collected: 'Container(s) not found' on stderr, no header; exit 1 only when CTIDs were given", () => {
    expect(vzlist("999")).toEqual({ stdout: "", stderr: "Container(s) not found\n", exitCode: 1 });
    const none = [ct(301, stopped)];
    expect(vzlistOn(none)).toEqual({ stdout: "", stderr: "Container(s) not found\n", exitCode: 0 });
    expect(vzlistOn(none, "-j")).toEqual({ stdout: "", stderr: "Container(s) not found\n", exitCode: 0 });
    expect(vzlistOn([])).toEqual({ stdout: "", stderr: "Container(s) not found\n", exitCode: 0 });
  });

  it("collected but filtered away: header only (JSON: an empty array), exit 0", () => {
    expect(vzlist("-S", "101")).toEqual({ stdout: `${HEADER}\n`, stderr: "", exitCode: 0 });
    expect(vzlist("-h", "nomatch*")).toEqual({ stdout: `${HEADER}\n`, stderr: "", exitCode: 0 });
    expect(vzlist("-j", "-h", "nomatch*").stdout).toBe("[\n]\n");
  });

  it("-h / -N / -d shell patterns (fnmatch); an unset value never matches", () => {
    const ids = (...argv: string[]) =>
      vzlist("-1", "-a", ...argv)
        .stdout.split(/\s+/)
        .filter(Boolean);
    expect(ids("-h", "*.example.com")).toEqual(["101", "102", "103"]);
    expect(ids("-h", "[!w]*")).toEqual(["102", "103"]);
    expect(ids("-N", "w?b")).toEqual(["101"]);
    expect(ids("-N", "*")).toEqual(["101", "104"]);
    expect(ids("-d", "*base*")).toEqual(["102"]);
    expect(ids("--hostname=db.*", "--description", "data*")).toEqual(["102"]);
  });
});

describe("vzlist -j (print_one_ve_json)", () => {
  it("all base fields in table order, nested UBC/quota objects, numbers in the original's units", () => {
    const out = vzlist("-j", "101");
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe(
      `[
  {
    "ctid": 101,
    "veid": 101,
    "vpsid": 101,
    "private": "/vz/private/101",
    "root": "/vz/root/101",
    "hostname": "web.example.com",
    "name": "web",
    "smart_name": "web",
    "description": null,
    "ostemplate": "debian-12",
    "ip": ["10.0.0.1", "10.0.0.2", "fd00::1"],
    "status": "running",
    "numproc": {
      "held": 12,
      "maxheld": 12,
      "barrier": 1024,
      "limit": 1024,
      "failcnt": 3
    },
    "physpages": {
      "held": 25600,
      "maxheld": 25600,
      "barrier": 0,
      "limit": 131072,
      "failcnt": 0
    },
    "swappages": {
      "held": 1024,
      "maxheld": 1024,
      "barrier": 0,
      "limit": 65536,
      "failcnt": 0
    },
    "diskspace": {
      "usage": 1048576,
      "softlimit": 10485760,
      "hardlimit": 10485760
    },
    "diskinodes": {
      "usage": 30000,
      "softlimit": 9223372036854775807,
      "hardlimit": 9223372036854775807
    },
    "laverage": [0.05, 0.12, 1.50],
    "uptime": 90061.703,
    "cpulimit": 50,
    "cpuunits": 1000,
    "cpus": 2,
    "onboot": true,
    "bootorder": null,
    "vswap": true
  }
]
`,
    );
  });

  it("-o picks the keys; a container not running: zero usage, null laverage, uptime 0.000, smart_name the CTID", () => {
    const out = vzlist("-j", "-o", "ctid,smart_name,ip,numproc,laverage,uptime,status", "104");
    expect(out.stdout).toBe(
      `[
  {
    "ctid": 104,
    "smart_name": "spare",
    "ip": [],
    "numproc": {
      "held": 0,
      "maxheld": 0,
      "barrier": 1024,
      "limit": 1024,
      "failcnt": 0
    },
    "laverage": null,
    "uptime": 0.000,
    "status": "mounted"
  }
]
`,
    );
    const two = vzlist("-j", "-o", "ctid,smart_name", "102", "103");
    expect(two.stdout).toBe(
      `[\n  {\n    "ctid": 102,\n    "smart_name": 102\n  },\n  {\n    "ctid": 103,\n    "smart_name": 103\n  }\n]\n`,
    );
    expect(JSON.parse(two.stdout)).toEqual([
      { ctid: 102, smart_name: 102 },
      { ctid: 103, smart_name: 103 },
    ]);
  });

  it("-j -1 is JSON of veid only; -H is irrelevant to JSON", () => {
    expect(JSON.parse(vzlist("-j", "-1").stdout)).toEqual([{ veid: 101 }, { veid: 103 }]);
    expect(vzlist("-j", "-H", "-o", "ctid").stdout).toBe(vzlist("-j", "-o", "ctid").stdout);
  });
});

describe("vzlist command-line errors (getopt_long + vzlist.c main)", () => {
  it("getopt errors: glibc's message on stderr, usage on stdout, exit 1", () => {
    expect(usageError(() => parseVzlistArgs(["-x"]))).toEqual({
      stdout: VZLIST_USAGE,
      stderr: "vzlist: invalid option -- 'x'\n",
      exitCode: 1,
    });
    expect(usageError(() => parseVzlistArgs(["-aqH"])).stderr).toBe("vzlist: invalid option -- 'q'\n");
    expect(usageError(() => parseVzlistArgs(["--foo=1"])).stderr).toBe("vzlist: unrecognized option '--foo=1'\n");
    expect(usageError(() => parseVzlistArgs(["-o"])).stderr).toBe("vzlist: option requires an argument -- 'o'\n");
    expect(usageError(() => parseVzlistArgs(["--output"])).stderr).toBe(
      "vzlist: option '--output' requires an argument\n",
    );
    expect(usageError(() => parseVzlistArgs(["--all=yes"])).stderr).toBe(
      "vzlist: option '--all' doesn't allow an argument\n",
    );
    expect(usageError(() => parseVzlistArgs(["--na"])).stderr).toBe(
      "vzlist: option '--na' is ambiguous; possibilities: '--name' '--name_filter'\n",
    );
  });

  it("long options abbreviate to a unique prefix; options may follow operands; -- ends options", () => {
    expect(parseVzlistArgs(["--no-h", "--stop"])).toMatchObject({ header: false, stoppedOnly: true });
    expect(parseVzlistArgs(["101", "-H", "--", "-5"])).toMatchObject({ header: false, targets: [101, -5] });
    expect(parseVzlistArgs(["-octid,status", "-sname"]).fields!.map((f) => f.name)).toEqual(["ctid", "status"]);
    // the argument of -s is taken verbatim, even when it starts with '-'
    expect(parseVzlistArgs(["-s", "-hostname"]).sort).toEqual({ field: "hostname", reverse: true });
  });

  it("unknown field, over-long field, JSON-only restriction: message on stderr, exit 1, no usage", () => {
    expect(usageError(() => parseVzlistArgs(["-o", "ctid,foo"]))).toEqual({
      stdout: "",
      stderr: "Unknown field: foo\n",
      exitCode: 1,
    });
    expect(usageError(() => parseVzlistArgs(["-o", "kmemsize"])).stderr).toBe("Unknown field: kmemsize\n");
    expect(usageError(() => parseVzlistArgs(["-o", ""])).stderr).toBe("Unknown field: \n");
    const long = "x".repeat(31);
    expect(usageError(() => parseVzlistArgs(["-o", `ctid,${long},status`])).stderr).toBe(
      `Invalid field: ${long},status\n`,
    );
    expect(usageError(() => parseVzlistArgs(["-j", "-o", "numproc.l"])).stderr).toBe(
      "Field `numproc.l' is not available in JSON output\n",
    );
    expect(usageError(() => parseVzlistArgs(["-o", "cpumask", "-j"])).stderr).toBe(
      "Field `cpumask' is not available in JSON output\n",
    );
    // a trailing comma is harmless
    expect(parseVzlistArgs(["-o", "ctid,"]).fields!.map((f) => f.name)).toEqual(["ctid"]);
  });

  it("bad sort field: 'Invalid sort field name: <arg as given>', exit 1, reported at once", () => {
    expect(usageError(() => parseVzlistArgs(["-s", "-foo"]))).toEqual({
      stdout: "",
      stderr: "Invalid sort field name: -foo\n",
      exitCode: 1,
    });
    // reported before a later bad option
    expect(usageError(() => parseVzlistArgs(["-s", "foo", "-x"])).stderr).toBe("Invalid sort field name: foo\n");
    expect(usageError(() => parseVzlistArgs(["-x", "-s", "foo"])).stderr).toBe("vzlist: invalid option -- 'x'\n");
  });

  it("--help: usage on stdout, exit 1 (vzlist.c has no case for it); -L prints the fields and stops parsing", () => {
    const help = parseVzlistArgs(["--help"]);
    expect(help.action).toBe("help");
    expect(formatVzlist(ROWS, help)).toEqual({ stdout: VZLIST_USAGE, stderr: "", exitCode: 1 });
    expect(parseVzlistArgs(["--he"]).action).toBe("help");
    expect(usageError(() => parseVzlistArgs(["--h"])).stderr).toBe(
      "vzlist: option '--h' is ambiguous; possibilities: '--hostname' '--help'\n",
    );
    expect(parseVzlistArgs(["-L", "-x"]).action).toBe("fields");
    expect(usageError(() => parseVzlistArgs(["-x", "-L"])).exitCode).toBe(1);
  });
});

describe("prlctl list", () => {
  const prl = (...argv: string[]) =>
    formatPrlctlList(ROWS, parsePrlctlListArgs(argv), { now: new Date(2024, 0, 2, 12, 0, 0) });
  // vm_field_tbl formats: "%-39s " uuid, "%-12s " status, "%-15s " ip_configured, "%-2s " type, the last column "%s"
  const HDR = `${"UUID".padEnd(39)} ${"STATUS".padEnd(12)} ${"IP_ADDR".padEnd(15)} T  NAME`;
  const row = (ctid: number, status: string, ip: string, name: string) =>
    `${ctUuid(ctid).padEnd(39)} ${status.padEnd(12)} ${ip.padEnd(15)} CT ${name}`;

  it("UUIDs derived from the CTID", () => {
    expect(ctUuid(101)).toBe("{00000000-0000-0000-0000-000000000101}");
    expect(ctUuid(101).length).toBe(38);
  });

  it("default: running containers sorted by name, UUID STATUS IP_ADDR T NAME", () => {
    expect(HDR).toBe("UUID                                    STATUS       IP_ADDR         T  NAME");
    expect(prl()).toEqual({
      stdout: `${HDR}\n${row(103, "running", "2001:db8:1234:5678::1", "103")}\n${row(101, "running", "10.0.0.1", "web")}\n`,
      stderr: "",
      exitCode: 0,
    });
  });

  it("-a all; -S only 'stopped'; -H no header; an id shows that container in any state", () => {
    expect(prl("-a").stdout).toBe(
      `${HDR}\n${row(102, "stopped", "10.0.0.3", "102")}\n${row(103, "running", "2001:db8:1234:5678::1", "103")}\n${row(104, "mounted", "-", "spare")}\n${row(101, "running", "10.0.0.1", "web")}\n`,
    );
    expect(prl("-S", "-H").stdout).toBe(`${row(102, "stopped", "10.0.0.3", "102")}\n`);
    expect(prl("-H", "102").stdout).toBe(`${row(102, "stopped", "10.0.0.3", "102")}\n`);
    expect(prl("-H", "{00000000-0000-0000-0000-000000000104}").stdout).toBe(`${row(104, "mounted", "-", "spare")}\n`);
    expect(prl("-H", "spare").stdout).toBe(prl("-H", "00000000-0000-0000-0000-000000000104").stdout);
  });

  it("-o: columns in order, sorted by the first; an IP column last lists every address, each followed by a space, plus one", () => {
    expect(prl("-a", "-o", "envid,name,ip").stdout).toBe(
      `${"ENVID".padEnd(10)} ${"NAME".padEnd(32)} IP_ADDR\n` +
        `${"101".padEnd(10)} ${"web".padEnd(32)} 10.0.0.1 10.0.0.2 fd00::1  \n` +
        `${"102".padEnd(10)} ${"102".padEnd(32)} 10.0.0.3  \n` +
        `${"103".padEnd(10)} ${"103".padEnd(32)} 2001:db8:1234:5678::1  \n` +
        `${"104".padEnd(10)} ${"spare".padEnd(32)}  \n`,
    );
    // "%9s " NPROC: prlctl prints "-" for it
    expect(prl("-o", "numproc,hostname,description", "101").stdout).toBe(
      `${"NPROC".padStart(9)} ${"HOSTNAME".padEnd(32)} DESCRIPTION\n${"-".padStart(9)} ${"web.example.com".padEnd(32)} -\n`,
    );
  });

  it("-s [-]field; a field without a sort function keeps the server's (CTID) order", () => {
    const names = (...argv: string[]) =>
      prl("-a", "-H", "-o", "name", ...argv)
        .stdout.split("\n")
        .filter(Boolean);
    expect(names("-s", "-name")).toEqual(["web", "spare", "103", "102"]);
    expect(names("-s", "status")).toEqual(["web", "102", "103", "spare"]);
    expect(names("-s", "uuid")).toEqual(["web", "102", "103", "spare"]);
  });

  it("-j: every value a string, uuid without braces, tab-indented (PrlOutFormatterJSON)", () => {
    expect(prl("-j").stdout).toBe(
      "[\n" +
        '\t{\n\t\t"uuid": "00000000-0000-0000-0000-000000000103",\n\t\t"status": "running",\n\t\t"ip_configured": "2001:db8:1234:5678::1",\n\t\t"type": "CT",\n\t\t"name": "103"\n\t},\n' +
        '\t{\n\t\t"uuid": "00000000-0000-0000-0000-000000000101",\n\t\t"status": "running",\n\t\t"ip_configured": "10.0.0.1",\n\t\t"type": "CT",\n\t\t"name": "web"\n\t}\n' +
        "]\n",
    );
    expect(formatPrlctlList([], parsePrlctlListArgs(["-j"])).stdout).toBe("[\n\n]\n");
  });

  it('-L lists the fields not hidden: "%-20s %s"', () => {
    const out = prl("-L");
    expect(out.stdout.split("\n").slice(0, 3)).toEqual([
      `${"uuid".padEnd(20)} UUID`,
      `${"envid".padEnd(20)} ENVID`,
      `${"status".padEnd(20)} STATUS`,
    ]);
    expect(out.stdout).not.toContain("ostemplate");
    expect(out.stdout).toContain(`${"type".padEnd(20)} T\n`);
  });

  it("-i: the INFO block (PrlVm::append_configuration, plain formatter, two-space indent)", () => {
    const now = new Date(2024, 0, 2, 12, 0, 0);
    const since = new Date(now.getTime() - 90061 * 1000);
    const z = (n: number) => String(n).padStart(2, "0");
    const sinceText = `${since.getFullYear()}-${z(since.getMonth() + 1)}-${z(since.getDate())} ${z(since.getHours())}:${z(since.getMinutes())}:${z(since.getSeconds())}`;
    expect(prl("-i", "web")).toEqual({
      stdout:
        "INFO\n" +
        "ID: {00000000-0000-0000-0000-000000000101}\n" +
        "EnvID: 101\n" +
        "Name: web\n" +
        "Description: \n" +
        "Type: CT\n" +
        "State: running\n" +
        "OS: debian-12\n" +
        "Template: no\n" +
        `Uptime: 1 days 01:01:01 (since ${sinceText})\n` +
        "Home: /vz/private/101\n" +
        "Owner: acme\n" +
        "Autostart: on\n" +
        "Hardware:\n" +
        "  cpu cpus=2 cpuunits=1000 cpulimit=50% iolimit='0' mask=0-1\n" +
        "  memory 512Mb\n" +
        "  venet0 (+) type='routed' ips='10.0.0.1 10.0.0.2 fd00::1 '\n" +
        "Hostname: web.example.com\n" +
        "\n",
      stderr: "",
      exitCode: 0,
    });
    // every container (any state), by name; a stopped one has no Uptime line; no hostname, no Hostname line
    const all = prl("-i").stdout;
    expect(all.split("\n").filter((l) => l.startsWith("ID: "))).toEqual(
      [102, 103, 104, 101].map((n) => `ID: ${ctUuid(n)}`),
    );
    expect(prl("-i", "102").stdout).not.toContain("Uptime:");
    expect(prl("-i", "104").stdout).not.toContain("Hostname:");
    expect(prl("-i", "-H", "104").stdout.startsWith("ID: ")).toBe(true);
  });

  it("-i -j: the same block as nested JSON objects", () => {
    expect(JSON.parse(prl("-i", "-j", "101").stdout)).toEqual([
      {
        ID: "00000000-0000-0000-0000-000000000101",
        EnvID: "101",
        Name: "web",
        Description: "",
        Type: "CT",
        State: "running",
        OS: "debian-12",
        Template: "no",
        Uptime: "90061",
        Home: "/vz/private/101",
        Owner: "acme",
        Autostart: "on",
        Hardware: {
          cpu: { cpus: 2, cpuunits: 1000, cpulimit: "50%", iolimit: "0", mask: "0-1" },
          memory: { size: "512Mb" },
          venet0: { enabled: true, type: "routed", ips: "10.0.0.1 10.0.0.2 fd00::1 " },
        },
        Hostname: "web.example.com",
      },
    ]);
    expect(prl("-i", "-j", "104").stdout).toContain('\t\t"Hardware": {\n\t\t\t"cpu": {\n\t\t\t\t"cpus": "unlimited",');
  });

  it("a container that does not exist: the header, then the SDK error, exit 255; an unknown option is taken as the id", () => {
    expect(prl("nosuch")).toEqual({
      stdout: `${HDR}\n`,
      stderr: "Failed to get VM config: The virtual machine could not be found.\n",
      exitCode: 255,
    });
    expect(prl("-i", "nosuch")).toEqual({
      stdout: "INFO\n",
      stderr: "Failed to get VM config: The virtual machine could not be found.\n",
      exitCode: 255,
    });
    expect(parsePrlctlListArgs(["-x"]).id).toBe("-x");
    expect(parsePrlctlListArgs(["--bogus", "101"]).id).toBe("101");
    expect(prl("-x").exitCode).toBe(255);
  });

  it("errors before any output: unknown field, bad sort field, missing argument, bad --vmtype — exit 1", () => {
    expect(usageError(() => parsePrlctlListArgs(["-o", "uuid,foo"]))).toEqual({
      stdout: "",
      stderr: "Unknown field: foo\n",
      exitCode: 1,
    });
    expect(usageError(() => parsePrlctlListArgs(["-s", "-foo"])).stderr).toBe(
      "foo is an invalid field name in this query.\n",
    );
    expect(usageError(() => parsePrlctlListArgs(["-o"])).stderr).toBe("The `-o' option requires an argument.\n");
    expect(usageError(() => parsePrlctlListArgs(["--sort"])).stderr).toBe(
      "The `--sort' option requires an argument.\n",
    );
    expect(usageError(() => parsePrlctlListArgs(["-Ho"])).stderr).toBe("The `o' option requires an argument.\n");
    expect(usageError(() => parsePrlctlListArgs(["--vmtype", "x"])).stderr).toBe(
      "An incorrect value for --vmtype is specified: x\n",
    );
    // -L wins over a bad field; -i does not build the columns
    expect(parsePrlctlListArgs(["-o", "foo", "-L"]).action).toBe("fields");
    expect(parsePrlctlListArgs(["-i", "-o", "foo"]).action).toBe("info");
  });

  it("--compat: an unknown -o field becomes a '-' column; -t lists templates (none); --vmtype vm lists nothing; --help", () => {
    expect(prl("--compat", "-o", "name,foo", "101").stdout).toBe(`${"NAME".padEnd(32)} -\n${"web".padEnd(32)} -\n`);
    expect(prl("-t").stdout).toBe(`${"UUID".padEnd(39)} ${"DIST".padEnd(15)} T  NAME\n`);
    expect(prl("--vmtype", "vm", "-a").stdout).toBe(`${HDR}\n`);
    expect(prl("--vmtype=ct", "-a", "-H").stdout.split("\n").filter(Boolean)).toHaveLength(4);
    expect(parsePrlctlListArgs(["-a", "--help"]).action).toBe("help");
  });
});

describe("helpers", () => {
  it("cFixed is printf %.Nf: exact value, ties to even", () => {
    expect(cFixed(0.125, 2)).toBe("0.12");
    expect(cFixed(0.375, 2)).toBe("0.38");
    expect(cFixed(Math.fround(0.05), 2)).toBe("0.05");
    expect(cFixed(2.675, 2)).toBe("2.67"); // 2.67499999… in binary
    expect(cFixed(0, 3)).toBe("0.000");
    expect(cFixed(9.995, 2)).toBe("9.99");
    expect(cFixed(9.9951, 2)).toBe("10.00");
  });

  it("fnmatch: *, ?, brackets with ranges/negation/classes, escapes", () => {
    expect(fnmatch("*.example.com", "a.b.example.com")).toBe(true);
    expect(fnmatch("web?", "web1")).toBe(true);
    expect(fnmatch("web?", "web")).toBe(false);
    expect(fnmatch("[a-c]*", "beta")).toBe(true);
    expect(fnmatch("[!a-c]*", "beta")).toBe(false);
    expect(fnmatch("[[:digit:]]x", "7x")).toBe(true);
    expect(fnmatch("a\\*", "a*")).toBe(true);
    expect(fnmatch("a\\*", "ab")).toBe(false);
    expect(fnmatch("[]]", "]")).toBe(true);
    expect(fnmatch("[", "[")).toBe(true);
  });
});
