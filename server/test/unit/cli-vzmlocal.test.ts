/** vzmlocal's command line (pure): the CT list of vzmlocal(8), refusals with vzmigrate(8)'s exit codes. */
import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/args.js";
import { MIG } from "../../cli/vzmigrate.js";
import { parseVzmlocalArgs } from "../../cli/vzmlocal.js";

const fails = (argv: string[]) => {
  try {
    parseVzmlocalArgs(argv);
  } catch (e) {
    return e as CliError;
  }
  throw new Error(`no error for ${argv.join(" ")}`);
};

describe("vzmlocal arguments", () => {
  it("-C with one or more SRC:DST entries; a source may be a name; --online is accepted", () => {
    expect(parseVzmlocalArgs(["-C", "200:201"])).toEqual({ entries: [{ src: "200", dst: 201 }] });
    expect(parseVzmlocalArgs(["--online", "--copy", "web:300", "200:202::"])).toEqual({
      entries: [
        { src: "web", dst: 300 },
        { src: "200", dst: 202 },
      ],
    });
    expect(parseVzmlocalArgs(["-C", "-h"])).toBe("help");
  });

  it("refuses what it cannot do with the usage status and a reason", () => {
    const cases: [string[], RegExp][] = [
      [["-C"], /No CT list given/],
      [["200:201"], /not supported.*vzmlocal -C/],
      [["-C", "200"], /Bad CT list entry "200"/],
      [["-C", "200:"], /Bad CT list entry/],
      [["-C", "200:201:/vz/private/201"], /private and root paths are not supported/],
      [["-C", "200:201::/mnt/root201"], /private and root paths are not supported/],
      [["-C", "200:201:a:b:c"], /Bad CT list entry/],
      [["-C", "200:web"], /Bad CT ID web/],
      [["-C", "200:99"], /Bad CT ID 99/],
      [["-C", "-f", "200:201"], /Unknown option -f/],
    ];
    for (const [argv, msg] of cases) {
      const e = fails(argv);
      expect({ argv, code: e.exitCode }).toEqual({ argv, code: MIG.USAGE });
      expect(e.message).toMatch(msg);
    }
  });
});
