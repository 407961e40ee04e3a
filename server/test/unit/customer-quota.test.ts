/**
 * The customer self-service quota's pure parts (server/services/customer-quota-fields.ts): the refusal sentence
 * names only the limited items, says what is held and needed, and lists the items over the quota; what is left.
 */
import { describe, expect, it } from "vitest";
import { customerQuotaSchema, quotaRefusal, remaining } from "../../services/customer-quota-fields.js";

const plan = {
  name: "small",
  customerMaxContainers: 3,
  customerMaxCpus: 2,
  customerMaxRamMb: 1024,
  customerMaxDiskMb: 0,
  customerMaxIps: 0,
};
const one = { containers: 1, cpus: 1, ramMb: 256, diskMb: 1024, ipCount: 1 };

describe("customer quota", () => {
  it("fits: no refusal, up to the exact total", () => {
    expect(quotaRefusal(plan, { containers: 1, cpus: 1, ramMb: 768, diskMb: 9000, ipCount: 9 }, one)).toBeNull();
  });

  it("refuses with the numbers of the limited items only", () => {
    const r = quotaRefusal(plan, { containers: 2, cpus: 2, ramMb: 512, diskMb: 2048, ipCount: 2 }, one);
    expect(r).toEqual({
      message:
        'Refused: plan "small" lets you hold 3 containers with 2 vCPUs and 1024 MiB RAM in total; you have 2 ' +
        "containers with 2 vCPUs and 512 MiB RAM; this one needs 1 vCPU, 256 MiB RAM. Over the quota: vCPUs. " +
        "Destroy one of your containers or ask your provider for a larger quota.",
      over: ["3 vCPUs of 2 would be used"],
    });
  });

  it("names every item over the quota, and the count alone when there are no totals", () => {
    const count = { ...plan, customerMaxCpus: 0, customerMaxRamMb: 0, customerMaxContainers: 1 };
    expect(quotaRefusal(count, one, one)?.message).toBe(
      'Refused: plan "small" lets you hold 1 container in total; you have 1 container. Over the quota: ' +
        "containers. Destroy one of your containers or ask your provider for a larger quota.",
    );
    const r = quotaRefusal({ ...plan, customerMaxContainers: 1 }, { ...one, cpus: 2, ramMb: 1000 }, one);
    expect(r?.over).toEqual([
      "2 containers of 1 would be used",
      "3 vCPUs of 2 would be used",
      "1256 MiB RAM of 1024 would be used",
    ]);
  });

  it("what is left: null where there is no total, never below 0", () => {
    expect(remaining(plan, { containers: 4, cpus: 1, ramMb: 100, diskMb: 5, ipCount: 5 })).toEqual({
      containers: 0,
      cpus: 1,
      ramMb: 924,
      diskMb: null,
      ipCount: null,
    });
  });

  it("the plan fields are whole numbers from 0", () => {
    expect(customerQuotaSchema.safeParse({ customerMaxRamMb: 512 }).success).toBe(true);
    expect(customerQuotaSchema.safeParse({ customerMaxRamMb: -1 }).success).toBe(false);
    expect(customerQuotaSchema.safeParse({ customerMaxIps: 1.5 }).success).toBe(false);
  });
});
