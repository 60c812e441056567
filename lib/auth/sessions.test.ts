import { expect, it } from "vitest";
import { changeAdminRole, setAdminDisabled, startPasswordReset, type Actor } from "@/lib/admins/admins";
import type { AdminRole } from "@/lib/db/generated/client.ts";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { changeOwnPassword } from "./account";
import { completePasswordReset } from "./bootstrap";
import { hashPassword } from "./password";
import { endAllSessions, endSession, isSessionLive, newSessionClaims, SESSION_MAX_AGE_SECONDS, type SessionClaims } from "./sessions";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new passphrase";

describeEachDatabase("admin sessions", (t) => {
  const createAdmin = async (email: string, role: AdminRole, data: { passwordHash?: string } = {}) =>
    t.db.admin.create({ data: { email, role, passwordHash: data.passwordHash ?? "scrypt$unused" } });
  const actorFor = (admin: { id: string; email: string; role: AdminRole }): Actor => ({ id: admin.id, email: admin.email, role: admin.role, ip: "192.0.2.10" });
  /** A token minted for the admin as they are now, as sign-in does. */
  const signInNow = async (adminId: string) => {
    const { sessionGeneration } = await t.db.admin.findUniqueOrThrow({ where: { id: adminId } });
    return newSessionClaims(adminId, sessionGeneration);
  };
  /** Whether the per-request check would let this token in now. */
  const counts = async (claims: SessionClaims) => isSessionLive(await t.db.admin.findUniqueOrThrow({ where: { id: claims.adminId } }), claims);

  it("lets a fresh session in, and refuses a token from before sessions could end, as signed out", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const claims = await signInNow(admin.id);
    expect(await counts(claims)).toBe(true);

    const state = await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } });
    expect(isSessionLive(state, { adminId: admin.id })).toBe(false);
    expect(isSessionLive(state, { ...claims, sessionGeneration: "0" })).toBe(false);
  });

  it("ends a session 12 hours after sign-in however active it was, because next-auth renews the token's own expiry", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const state = await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } });
    const signedIn = new Date("2026-01-01T08:00:00Z");
    const claims = newSessionClaims(admin.id, state.sessionGeneration, signedIn);

    expect(isSessionLive(state, claims, new Date(signedIn.getTime() + (SESSION_MAX_AGE_SECONDS - 1) * 1000))).toBe(true);
    expect(isSessionLive(state, claims, new Date(signedIn.getTime() + SESSION_MAX_AGE_SECONDS * 1000))).toBe(false);
  });

  it("signing out ends that session for good: a copy of its token taken before is refused; other sessions go on", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const laptop = await signInNow(admin.id);
    const phone = await signInNow(admin.id);

    await endSession(t.db, laptop, "192.0.2.20");

    expect(await counts(laptop)).toBe(false);
    expect(await counts(phone)).toBe(true);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "admin.sign_out" } });
    expect(event).toMatchObject({ actor: admin.id, actorLabel: "admin@example.com", ip: "192.0.2.20", target: `admin:${admin.id}` });
  });

  it("records nothing for signing out a session that had already ended", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const claims = await signInNow(admin.id);
    await endSession(t.db, claims, null);
    await endSession(t.db, claims, null);
    await endAllSessions(t.db, admin);
    await endSession(t.db, await signInNow(admin.id).then((fresh) => ({ ...fresh, sessionGeneration: 0 })), null);
    await endSession(t.db, { adminId: admin.id }, null);

    expect(await t.db.auditEvent.count({ where: { action: "admin.sign_out" } })).toBe(1);
  });

  it("remembers a signed-out session only until it would have expired anyway", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const longAgo = newSessionClaims(admin.id, 0, new Date(Date.now() - (SESSION_MAX_AGE_SECONDS + 60) * 1000));
    const recent = await signInNow(admin.id);
    await t.db.admin.update({ where: { id: admin.id }, data: { endedSessions: [`${longAgo.signedInAt + SESSION_MAX_AGE_SECONDS}:${longAgo.sessionId}`] } });

    await endSession(t.db, recent, null);

    const { endedSessions } = await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } });
    expect(endedSessions).toEqual([`${recent.signedInAt + SESSION_MAX_AGE_SECONDS}:${recent.sessionId}`]);
  });

  it("keeps both of two sign-outs that happen at the same moment", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const sessions = await Promise.all([1, 2, 3, 4].map(() => signInNow(admin.id)));

    await Promise.all(sessions.map((claims) => endSession(t.db, claims, null)));

    for (const claims of sessions) expect(await counts(claims)).toBe(false);
    expect(await t.db.auditEvent.count({ where: { action: "admin.sign_out" } })).toBe(4);
  });

  it("signing out everywhere ends every session of the admin, the current one too, and nobody else's; audited", async () => {
    const admin = await createAdmin("admin@example.com", "ADMIN");
    const other = await createAdmin("other@example.com", "ADMIN");
    const mine = [await signInNow(admin.id), await signInNow(admin.id)];
    const theirs = await signInNow(other.id);

    await endAllSessions(t.db, { id: admin.id, email: admin.email, ip: "192.0.2.30" });

    for (const claims of mine) expect(await counts(claims)).toBe(false);
    expect(await counts(theirs)).toBe(true);
    expect(await counts(await signInNow(admin.id))).toBe(true);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "admin.sign_out_everywhere" } });
    expect(event).toMatchObject({ actor: admin.id, ip: "192.0.2.30", target: `admin:${admin.id}` });
  });

  // Each change that must end an admin's sessions, with the audit event that records it.
  const endingEvents: { rule: string; action: string; run: (owner: Actor, target: { id: string; email: string }) => Promise<unknown> }[] = [
    {
      rule: "a role change ends the admin's sessions",
      action: "admin.role_changed",
      run: (owner, target) => changeAdminRole(t.db, owner, { adminId: target.id, role: "VIEWER", version: 1 }),
    },
    {
      rule: "disabling ends the admin's sessions",
      action: "admin.disabled",
      run: (owner, target) => setAdminDisabled(t.db, owner, { adminId: target.id, disabled: true, version: 1 }),
    },
    {
      rule: "enabling again does not revive sessions from before the disable",
      action: "admin.enabled",
      run: async (owner, target) => {
        await t.db.admin.update({ where: { id: target.id }, data: { disabledAt: new Date() } });
        await setAdminDisabled(t.db, owner, { adminId: target.id, disabled: false, version: 1 });
      },
    },
    {
      rule: "a completed password reset ends the admin's sessions",
      action: "admin.password_reset_completed",
      run: async (owner, target) => {
        const { resetToken } = await startPasswordReset(t.db, owner, { adminId: target.id });
        await completePasswordReset(t.db, { token: resetToken, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, null);
      },
    },
    {
      rule: "changing one's own password ends one's sessions",
      action: "admin.password_changed",
      run: (_owner, target) =>
        changeOwnPassword(t.db, { id: target.id, email: target.email }, { currentPassword: PASSWORD, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }),
    },
    {
      rule: "signing out everywhere ends one's sessions",
      action: "admin.sign_out_everywhere",
      run: (_owner, target) => endAllSessions(t.db, target),
    },
  ];

  for (const { rule, action, run } of endingEvents) {
    it(`${rule}: the session generation advances, a token from before is refused, and ${action} is audited`, async () => {
      const owner = actorFor(await createAdmin("owner@example.com", "OWNER"));
      const target = await createAdmin("admin@example.com", "ADMIN", { passwordHash: await hashPassword(PASSWORD) });
      const before = await signInNow(target.id);
      const ownersSession = await signInNow(owner.id);

      await run(owner, target);

      const after = await t.db.admin.findUniqueOrThrow({ where: { id: target.id } });
      expect(after.sessionGeneration).toBe(before.sessionGeneration + 1);
      expect(isSessionLive(after, before)).toBe(false);
      expect(await counts(ownersSession)).toBe(true);
      expect(await t.db.auditEvent.count({ where: { action, target: `admin:${target.id}` } })).toBe(1);
    });
  }
});
