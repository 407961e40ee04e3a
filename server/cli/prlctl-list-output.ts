/** PrlOutFormatter.cpp: the plain and JSON output writers, the subset `prlctl list` uses. */

/** What a writer does; the plain and the JSON writer implement it. */
export interface OutFormatter {
  openList(): void;
  closeList(): void;
  rowOpen(): void;
  rowClose(): void;
  open(key: string, inline?: boolean): void;
  close(inline?: boolean): void;
  add(key: string, value: string, o?: { inline?: boolean; quotes?: boolean; hideKey?: boolean }): void;
  addInt(key: string, value: number, suffix?: string, o?: { inline?: boolean; hideKey?: boolean }): void;
  addEnabled(enabled: boolean): void;
  addUuid(key: string, uuid: string): void;
  addUptime(key: string, seconds: number, since: string): void;
  /** tbl_add_item / tbl_add_uuid */
  item(key: string, cell: string, value: string, uuid: boolean): void;
  text(): string;
}

export class PlainFormatter implements OutFormatter {
  private out = "";
  private indent = 0;
  private readonly tab = "  ";
  openList() {}
  closeList() {}
  rowOpen() {}
  rowClose() {
    this.out += "\n";
  }
  open(key: string, inline = false) {
    if (inline) {
      this.out += this.tab.repeat(this.indent) + key + (this.indent === 0 ? ":" : "");
    } else this.out += `${key}:\n`;
    this.indent++;
  }
  close(inline = false) {
    if (inline) this.out += "\n";
    this.indent--;
  }
  private key(key: string, inline: boolean, hideKey: boolean) {
    if (inline && hideKey) this.out += " ";
    else if (inline) this.out += ` ${key}=`;
    else this.out += `${this.tab.repeat(this.indent)}${key}: `;
  }
  add(key: string, value: string, o: { inline?: boolean; quotes?: boolean; hideKey?: boolean } = {}) {
    this.key(key, o.inline ?? false, o.hideKey ?? false);
    this.out += o.quotes ? `'${value}'` : value;
    if (!o.inline) this.out += "\n";
  }
  addInt(key: string, value: number, suffix = "", o: { inline?: boolean; hideKey?: boolean } = {}) {
    this.key(key, o.inline ?? false, o.hideKey ?? false);
    this.out += `${value}${suffix}`;
    if (!o.inline) this.out += "\n";
  }
  addEnabled(enabled: boolean) {
    this.add("enabled", enabled ? "(+)" : "(-)", { inline: true, hideKey: true });
  }
  addUuid(key: string, uuid: string) {
    this.add(key, uuid);
  }
  addUptime(key: string, seconds: number, since: string) {
    this.add(key, `${prlUptime(seconds)} (since ${since})`);
  }
  item(_key: string, cell: string) {
    this.out += cell;
  }
  text() {
    return this.out;
  }
}

export class JsonFormatter implements OutFormatter {
  private out = "";
  private indent = 0;
  private first = true;
  private tabs() {
    return "\t".repeat(this.indent + 1);
  }
  openList() {
    this.out += "[\n";
  }
  closeList() {
    this.out += "\n]\n";
  }
  rowOpen() {
    if (!this.first) this.out += ",\n";
    this.first = true;
    this.out += `${this.tabs()}{\n`;
    this.indent++;
  }
  rowClose() {
    this.close();
  }
  open(key: string) {
    if (!this.first) this.out += ",\n";
    this.first = true;
    this.out += `${this.tabs()}${JSON.stringify(key)}: {\n`;
    this.indent++;
  }
  close() {
    this.indent--;
    this.out += `\n${this.tabs()}}`;
    this.first = false;
  }
  private key(key: string) {
    if (!this.first) this.out += ",\n";
    else this.first = false;
    this.out += `${this.tabs()}${JSON.stringify(key)}: `;
  }
  add(key: string, value: string) {
    this.key(key);
    this.out += JSON.stringify(value);
  }
  addInt(key: string, value: number, suffix = "") {
    this.key(key);
    this.out += suffix ? JSON.stringify(`${value}${suffix}`) : String(value);
  }
  addEnabled(enabled: boolean) {
    this.key("enabled");
    this.out += enabled ? "true" : "false";
  }
  addUuid(key: string, uuid: string) {
    this.add(key, uuid === "" ? "" : uuid.slice(1, -1));
  }
  addUptime(key: string, seconds: number) {
    this.add(key, String(Math.trunc(seconds)));
  }
  item(key: string, _cell: string, value: string, uuid: boolean) {
    if (uuid) this.addUuid(key, value);
    else this.add(key, value);
  }
  text() {
    return this.out;
  }
}

/** Utils.cpp uptime2str(): "[N days ]HH:MM:SS" (the plural is unconditional). */
function prlUptime(seconds: number): string {
  const s = Math.trunc(seconds);
  const days = Math.trunc(s / 86400);
  let min = Math.trunc(s / 60);
  const hours = Math.trunc(min / 60) % 24;
  min %= 60;
  const secs = s - (60 * min + 3600 * hours + 86400 * days);
  const z = (n: number) => String(n).padStart(2, "0");
  return `${days ? `${days} days ` : ""}${z(hours)}:${z(min)}:${z(secs)}`;
}
