import type { RouterOutputs } from "../../_lib/trpc.js";

export type PlanRow = RouterOutputs["plans"]["list"][number];
