/** vzmigrate's command line (pure): options, positional arguments, refusals with OpenVZ's exit codes. */
import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/args.js";
import { MIG, parseVzmigrateArgs } from "../../cli/vzmigrate.js";

const fails = (argv: string[]) => {
  try {
    parseVzmigrateArgs(argv);
  } catch (e) {
    return e as CliError;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
};

describe("vzmigrate arguments", () => {
  it("destination node and CTID, --online, -v, -r yes in any order", () => {
    expect(parseVzmigrateArgs(["node-2", "101"])).toEqual({ online: false, verbose: false, dest: "node-2", ct: "101" });
    expect(parseVzmigrateArgs(["--online", "-v", "-r", "yes", "node-2", "web"])).toEqual({
      online: true,
      verbose: true,
      dest: "node-2",
      ct: "web",
    });
    expect(parseVzmigrateArgs(["node-2", "--remove-area=yes", "101", "--online"])).toMatchObject({
      online: true,
      dest: "node-2",
      ct: "101",
    });
    expect(parseVzmigrateArgs(["--help"])).toBe("help");
  });

  it("refuses what it cannot do, with the usage exit code and a reason", () => {
    const noArgs = fails(["node-2"]);
    expect(noArgs.exitCode).toBe(MIG.USAGE);
    expect(noArgs.message).toMatch(/Expected a destination node and a CTID/);
    expect(fails(["--bogus", "n", "1"]).message).toMatch(/Unknown option --bogus/);
    expect(fails(["-r", "maybe", "n", "1"]).message).toMatch(/use yes or no/);
    const keep = fails(["-r", "no", "n", "1"]);
    expect(keep.exitCode).toBe(MIG.USAGE);
    expect(keep.message).toMatch(/not supported/);
  });
});
