import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { remoteToolOf, type RemoteTool } from "@/lib/mcp-import/list-remote-tools";
import { toolDefinitionHash } from "@/lib/tools/definition-hash";

/** A tool definition as Warden hashes it: the same fields and shape its importer records. */
export type LiveDefinition = RemoteTool;
export const liveDefinition = remoteToolOf;

export function liveHash(tool: Tool): string {
  return toolDefinitionHash(liveDefinition(tool));
}

export type ToolVerdict = { ok: true } | { ok: false; reason: "definition_changed"; message: string };

/**
 * Compares what the upstream lists with what Warden approved. The config
 * carries each approved tool's hash; a tool with no approved hash (typed in
 * by hand, or a config published before hashes travelled) is pinned to the
 * first definition this process sees, so it still cannot change under a
 * running gateway.
 */
export class DefinitionPins {
  private readonly firstSeen = new Map<string, string>();

  verdict(tool: string, hash: string, approvedHash: string | undefined): ToolVerdict {
    const expected = approvedHash ?? this.pinFirst(tool, hash);
    if (expected === hash) return { ok: true };
    return {
      ok: false,
      reason: "definition_changed",
      message: `The upstream's definition of ${tool} differs from the one approved in Warden (a changed description, schema or hints); it is hidden and refused until an admin approves it again.`,
    };
  }

  private pinFirst(tool: string, hash: string): string {
    const pinned = this.firstSeen.get(tool);
    if (pinned) return pinned;
    this.firstSeen.set(tool, hash);
    return hash;
  }
}

/** Each config tool's approved hash, by tool name, for the server the gateway fronts. */
export function approvedHashes(tools: readonly { server: string; name: string; approvedHash?: unknown }[], server: string | null): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const tool of tools) {
    if (server !== null && tool.server !== server) continue;
    if (typeof tool.approvedHash === "string") hashes.set(tool.name, tool.approvedHash);
  }
  return hashes;
}
