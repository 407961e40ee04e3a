import type { RouterOutputs } from "../../../_lib/trpc.js";

export type ContainerView = RouterOutputs["containers"]["get"];
export type StartedOp = { id: string; type: string };
