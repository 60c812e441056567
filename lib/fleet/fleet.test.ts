import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { FleetQuerySchema, listFleet, STALE_AFTER_MS } from "./fleet";

describeEachDatabase("fleet view", (t) => {
  it("flags instances that stopped polling, and those not running the live version", async () => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const other = await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const key = await t.db.apiKey.create({ data: { environmentId: environment.id, selector: "sel123456789", verifier: "x", label: "sales pods" } });
    const devKey = await t.db.apiKey.create({ data: { environmentId: other.id, selector: "sel987654321", verifier: "x", label: "dev pods" } });
    await t.db.configVersion.create({ data: { environmentId: environment.id, version: 3, contentHash: "h", snapshot: {}, signature: "s", keyId: "k" } });
    const now = new Date();
    await t.db.serverInstance.createMany({
      data: [
        { apiKeyId: key.id, instanceId: "pod-current", appliedVersion: 3, lastPollAt: now },
        { apiKeyId: key.id, instanceId: "pod-behind", appliedVersion: 2, lastPollAt: now },
        { apiKeyId: key.id, instanceId: "pod-silent", appliedVersion: 3, lastPollAt: new Date(now.getTime() - STALE_AFTER_MS - 1_000) },
        { apiKeyId: devKey.id, instanceId: "pod-dev", appliedVersion: 1, lastPollAt: now },
      ],
    });
    const fleet = await listFleet(t.db, environment.id, FleetQuerySchema.parse({ sort: "instanceId", dir: "asc" }), now);
    expect(fleet.total).toBe(3);
    expect(fleet.liveVersion).toBe(3);
    expect(fleet.rows.map((row) => [row.instanceId, row.stale, row.drift])).toEqual([
      ["pod-behind", false, true],
      ["pod-current", false, false],
      ["pod-silent", true, false],
    ]);
    expect(fleet.rows[0]!.apiKey).toBe("sales pods");
  });
});
