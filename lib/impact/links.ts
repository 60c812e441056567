import type { DecisionInputs } from "@/sdk/src/contract/decision-inputs";

/** Test access with the question of a replayed call filled in, so the admin can see the whole decision. */
export function testAccessHref(environment: string, call: { subject: string; clientId: string | null; server: string; tool: string; inputs: DecisionInputs }): string {
  const params = new URLSearchParams();
  params.set("subject", call.subject);
  params.set("client", call.clientId ?? "");
  params.set("server", call.server);
  params.set("tool", call.tool);
  if (call.inputs.scopes.length) params.set("scopes", call.inputs.scopes.join(" "));
  for (const role of call.inputs.roles) params.append("roles", role);
  if (Object.keys(call.inputs.claims).length) params.set("claims", JSON.stringify(call.inputs.claims));
  return `/${environment}/access?${params.toString()}`;
}
