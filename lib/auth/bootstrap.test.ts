import { expect, it } from "vitest";
import { inviteAdmin, startPasswordReset } from "@/lib/admins/admins";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError } from "@/lib/errors";
import { acceptInvitation, bootstrapFirstOwner, completeFirstOwnerSetup, completePasswordReset } from "./bootstrap";
import { hashPassword } from "./password";
import { INVITATION_TOKEN_TTL_MS, issueSetupToken } from "./setup-tokens";
import { signInWithPassword } from "./sign-in";

const PASSWORD = "correct horse battery staple";
/** An environment with nothing but the given settings. */
const env = (settings: Record<string, string> = {}): NodeJS.ProcessEnv => ({ NODE_ENV: "test", ...settings });
const ENV = env({ WARDEN_ADMIN_EMAIL: "Owner@Example.com", WARDEN_ADMIN_PASSWORD: PASSWORD });

const setupInput = (token: string, email = "owner@example.com") => ({
  token,
  email,
  name: "First Owner",
  password: PASSWORD,
  confirmPassword: PASSWORD,
});

describeEachDatabase("first-owner bootstrap", (t) => {
  const signIn = (email: string, password = PASSWORD) => signInWithPassword(t.db, { email, password, ip: null });

  it("creates the OWNER from the environment on an empty database, and audits it", async () => {
    expect(await bootstrapFirstOwner(t.db, ENV)).toEqual({ kind: "owner-created", email: "owner@example.com" });

    const [owner, ...others] = await t.db.admin.findMany();
    expect(others).toEqual([]);
    expect(owner).toMatchObject({ email: "owner@example.com", role: "OWNER", disabledAt: null });
    expect((await signIn("owner@example.com")).ok).toBe(true);
    const [created] = await t.db.auditEvent.findMany({ where: { action: "admin.first_owner_created" } });
    expect(created).toMatchObject({ actor: "system", target: `admin:${owner!.id}`, details: { via: "environment" } });
  });

  it("does nothing once an owner exists, even with different credentials in the environment", async () => {
    await bootstrapFirstOwner(t.db, ENV);
    const other = env({ WARDEN_ADMIN_EMAIL: "someone@example.com", WARDEN_ADMIN_PASSWORD: "another long password" });

    expect(await bootstrapFirstOwner(t.db, other)).toEqual({ kind: "ready" });
    expect(await bootstrapFirstOwner(t.db, env())).toEqual({ kind: "ready" });

    expect(await t.db.admin.count()).toBe(1);
    expect(await t.db.setupToken.count()).toBe(0);
    expect((await signIn("someone@example.com", "another long password")).ok).toBe(false);
  });

  it("refuses to start with a password that is too short, naming the setting", async () => {
    const short = env({ WARDEN_ADMIN_EMAIL: "owner@example.com", WARDEN_ADMIN_PASSWORD: "short" });
    await expect(bootstrapFirstOwner(t.db, short)).rejects.toThrow(/WARDEN_ADMIN_PASSWORD: Use at least 12 characters/);
    expect(await t.db.admin.count()).toBe(0);
  });

  it("refuses half of the first-owner settings instead of silently printing a link", async () => {
    await expect(bootstrapFirstOwner(t.db, env({ WARDEN_ADMIN_EMAIL: "owner@example.com" }))).rejects.toThrow(
      /WARDEN_ADMIN_EMAIL and WARDEN_ADMIN_PASSWORD together/,
    );
    await expect(bootstrapFirstOwner(t.db, env({ WARDEN_ADMIN_PASSWORD: "a long enough password" }))).rejects.toThrow(/together/);
    expect(await t.db.admin.count()).toBe(0);
    expect(await t.db.setupToken.count()).toBe(0);
  });

  it("issues a setup link without environment credentials; the link creates the OWNER once", async () => {
    const result = await bootstrapFirstOwner(t.db, env());
    if (result.kind !== "setup-link") throw new Error(`expected a setup link, got ${result.kind}`);
    expect(await t.db.admin.count()).toBe(0);

    expect(await completeFirstOwnerSetup(t.db, setupInput(result.token, "Owner@Example.com"), "192.0.2.1")).toEqual({
      email: "owner@example.com",
    });
    const [owner] = await t.db.admin.findMany();
    expect(owner).toMatchObject({ email: "owner@example.com", name: "First Owner", role: "OWNER" });
    expect((await signIn("owner@example.com")).ok).toBe(true);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "admin.first_owner_created" } });
    expect(event).toMatchObject({ actor: owner!.id, ip: "192.0.2.1", details: { via: "setup-link" } });

    await expect(completeFirstOwnerSetup(t.db, setupInput(result.token, "second@example.com"), null)).rejects.toThrow(
      /expired or was already used/,
    );
    expect(await t.db.admin.count()).toBe(1);
  });

  it("honours only the newest setup link", async () => {
    const older = await bootstrapFirstOwner(t.db, env());
    const newer = await bootstrapFirstOwner(t.db, env());
    if (older.kind !== "setup-link" || newer.kind !== "setup-link") throw new Error("expected setup links");
    expect(newer.token).not.toBe(older.token);

    await expect(completeFirstOwnerSetup(t.db, setupInput(older.token), null)).rejects.toBeInstanceOf(DomainError);
    expect(await t.db.admin.count()).toBe(0);
    await completeFirstOwnerSetup(t.db, setupInput(newer.token), null);
    expect(await t.db.admin.count()).toBe(1);
  });

  it("refuses an expired setup link", async () => {
    const result = await bootstrapFirstOwner(t.db, env());
    if (result.kind !== "setup-link") throw new Error("expected a setup link");
    await t.db.setupToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });

    await expect(completeFirstOwnerSetup(t.db, setupInput(result.token), null)).rejects.toThrow(/expired/);
    expect(await t.db.admin.count()).toBe(0);
  });

  it("creates exactly one owner when two instances start at the same time", async () => {
    const results = await Promise.all([
      bootstrapFirstOwner(t.db, ENV),
      bootstrapFirstOwner(t.db, { ...ENV, WARDEN_ADMIN_EMAIL: "other@example.com" }),
    ]);

    expect(results.map((r) => r.kind).sort()).toEqual(["owner-created", "ready"]);
    expect(await t.db.admin.count()).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "admin.first_owner_created" } })).toBe(1);
  });
});

describeEachDatabase("accepting an invitation", (t) => {
  const invite = async () => {
    const owner = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const actor = { id: owner.id, email: owner.email, role: owner.role };
    return inviteAdmin(t.db, actor, { email: "new@example.com", role: "ADMIN" });
  };
  const acceptInput = (token: string) => ({ token, name: "New Admin", password: PASSWORD, confirmPassword: PASSWORD });

  it("sets the password so the admin can sign in, and the link works only once", async () => {
    const invited = await invite();
    expect((await signInWithPassword(t.db, { email: "new@example.com", password: PASSWORD, ip: null })).ok).toBe(false);

    expect(await acceptInvitation(t.db, acceptInput(invited.invitationToken), null)).toEqual({ email: "new@example.com" });

    const admin = await t.db.admin.findUniqueOrThrow({ where: { id: invited.id } });
    expect(admin).toMatchObject({ name: "New Admin", role: "ADMIN", version: 2 });
    expect((await signInWithPassword(t.db, { email: "new@example.com", password: PASSWORD, ip: null })).ok).toBe(true);
    expect(await t.db.auditEvent.count({ where: { action: "admin.invitation_accepted", actor: invited.id } })).toBe(1);

    const takeover = { ...acceptInput(invited.invitationToken), password: "attacker password!", confirmPassword: "attacker password!" };
    await expect(acceptInvitation(t.db, takeover, null)).rejects.toThrow(/expired or was already used/);
    expect((await signInWithPassword(t.db, { email: "new@example.com", password: "attacker password!", ip: null })).ok).toBe(false);
  });

  it("keeps first-owner links and invitation links apart", async () => {
    const link = await bootstrapFirstOwner(t.db, env());
    if (link.kind !== "setup-link") throw new Error("expected a setup link");
    await expect(acceptInvitation(t.db, acceptInput(link.token), null)).rejects.toThrow(/expired or was already used/);

    const invited = await invite();
    await expect(completeFirstOwnerSetup(t.db, setupInput(invited.invitationToken, "x@example.com"), null)).rejects.toThrow(
      /expired or was already used/,
    );
    expect(await t.db.admin.count({ where: { role: "OWNER" } })).toBe(1);
  });

  it("never lets an invitation link overwrite the password of an account that is already active", async () => {
    const invited = await invite();
    // A second link for the same account, as re-issuing once handed out for active admins.
    const second = await t.db.$transaction((tx) => issueSetupToken(tx, "invitation", invited.id, INVITATION_TOKEN_TTL_MS));
    await acceptInvitation(t.db, acceptInput(invited.invitationToken), null);

    const takeover = { ...acceptInput(second), password: "attacker password!", confirmPassword: "attacker password!" };
    await expect(acceptInvitation(t.db, takeover, null)).rejects.toThrow(/already accepted/);

    expect((await signInWithPassword(t.db, { email: "new@example.com", password: "attacker password!", ip: null })).ok).toBe(false);
    expect((await signInWithPassword(t.db, { email: "new@example.com", password: PASSWORD, ip: null })).ok).toBe(true);
    // The refused link is spent.
    expect(await t.db.setupToken.count({ where: { usedAt: null } })).toBe(0);
  });

  it("does not set a password on an invited admin who has since signed in with single sign-on", async () => {
    const invited = await invite();
    await t.db.admin.update({ where: { id: invited.id }, data: { oidcSubject: "https://idp.example#new" } });

    await expect(acceptInvitation(t.db, acceptInput(invited.invitationToken), null)).rejects.toThrow(/already accepted/);
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: invited.id } })).passwordHash).toBeNull();
  });

  it("refuses the invitation of an admin who was disabled since", async () => {
    const invited = await invite();
    await t.db.admin.update({ where: { id: invited.id }, data: { disabledAt: new Date() } });

    await expect(acceptInvitation(t.db, acceptInput(invited.invitationToken), null)).rejects.toThrow(/no longer valid/);
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: invited.id } })).passwordHash).toBeNull();
  });
});

describeEachDatabase("completing a password reset", (t) => {
  const NEW_PASSWORD = "a brand new passphrase";
  const resetInput = (token: string, password = NEW_PASSWORD) => ({ token, password, confirmPassword: password });
  const signIn = (password: string) => signInWithPassword(t.db, { email: "admin@example.com", password, ip: null });
  const startReset = async () => {
    const owner = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER", passwordHash: "scrypt$unused" } });
    const target = await t.db.admin.create({ data: { email: "admin@example.com", role: "ADMIN", passwordHash: await hashPassword(PASSWORD) } });
    const { resetToken } = await startPasswordReset(t.db, { id: owner.id, email: owner.email, role: owner.role }, { adminId: target.id });
    return { target, resetToken };
  };

  it("replaces the password, ends every session of the admin, and is audited; the link works once", async () => {
    const { target, resetToken } = await startReset();

    expect(await completePasswordReset(t.db, resetInput(resetToken), "192.0.2.40")).toEqual({ email: "admin@example.com" });

    expect((await signIn(PASSWORD)).ok).toBe(false);
    expect((await signIn(NEW_PASSWORD)).ok).toBe(true);
    const after = await t.db.admin.findUniqueOrThrow({ where: { id: target.id } });
    expect(after.sessionGeneration).toBe(target.sessionGeneration + 1);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "admin.password_reset_completed" } });
    expect(event).toMatchObject({ actor: target.id, ip: "192.0.2.40", target: `admin:${target.id}` });

    await expect(completePasswordReset(t.db, resetInput(resetToken, "attacker password!"), null)).rejects.toThrow(/expired or was already used/);
    expect((await signIn("attacker password!")).ok).toBe(false);
  });

  it("refuses an expired reset link and changes nothing", async () => {
    const { resetToken } = await startReset();
    await t.db.setupToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });

    await expect(completePasswordReset(t.db, resetInput(resetToken), null)).rejects.toThrow(/expired or was already used/);
    expect((await signIn(PASSWORD)).ok).toBe(true);
  });

  it("keeps reset links and invitation links apart", async () => {
    const { resetToken } = await startReset();
    const owner = await t.db.admin.findUniqueOrThrow({ where: { email: "owner@example.com" } });
    const invited = await inviteAdmin(t.db, { id: owner.id, email: owner.email, role: owner.role }, { email: "new@example.com", role: "VIEWER" });

    await expect(acceptInvitation(t.db, { ...resetInput(resetToken), name: "x" }, null)).rejects.toThrow(/expired or was already used/);
    await expect(completePasswordReset(t.db, resetInput(invited.invitationToken), null)).rejects.toThrow(/expired or was already used/);
    expect((await signIn(PASSWORD)).ok).toBe(true);
  });

  it("refuses the link of an admin who was disabled since", async () => {
    const { target, resetToken } = await startReset();
    await t.db.admin.update({ where: { id: target.id }, data: { disabledAt: new Date() } });

    await expect(completePasswordReset(t.db, resetInput(resetToken), null)).rejects.toThrow(/no longer valid/);
    expect(await t.db.auditEvent.count({ where: { action: "admin.password_reset_completed" } })).toBe(0);
  });
});
