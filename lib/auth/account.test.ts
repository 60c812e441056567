import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError } from "@/lib/errors";
import { changeOwnPassword } from "./account";
import { hashPassword } from "./password";
import { signInWithPassword } from "./sign-in";
import { THROTTLE_RULES } from "./throttle";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new passphrase";

describeEachDatabase("changing one's own password", (t) => {
  const createAdmin = async () =>
    t.db.admin.create({ data: { email: "admin@example.com", role: "ADMIN", passwordHash: await hashPassword(PASSWORD) } });
  const signIn = (password: string) => signInWithPassword(t.db, { email: "admin@example.com", password, ip: null });
  const change = (admin: { id: string; email: string }, currentPassword: string) =>
    changeOwnPassword(t.db, { id: admin.id, email: admin.email, ip: "192.0.2.50" }, { currentPassword, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });

  it("needs the current password: someone holding only a session cannot change it", async () => {
    const admin = await createAdmin();

    const attempt = change(admin, "a guess at the password");
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ fieldErrors: { currentPassword: ["Not your current password."] } });

    expect((await signIn(PASSWORD)).ok).toBe(true);
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } })).sessionGeneration).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "admin.password_changed" } })).toBe(0);
  });

  it("counts wrong current passwords like failed sign-ins, and stops guessing after the limit", async () => {
    const admin = await createAdmin();
    for (let attempt = 0; attempt < THROTTLE_RULES.account.maxFailures; attempt++) {
      await expect(change(admin, `wrong ${attempt}`)).rejects.toThrow(/not correct/);
    }

    await expect(change(admin, PASSWORD)).rejects.toThrow(/Too many wrong passwords/);
    expect((await signIn(NEW_PASSWORD)).ok).toBe(false);
  });

  it("sets the new password, ends every session of the account, and is audited", async () => {
    const admin = await createAdmin();

    await change(admin, PASSWORD);

    expect((await signIn(PASSWORD)).ok).toBe(false);
    expect((await signIn(NEW_PASSWORD)).ok).toBe(true);
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } })).sessionGeneration).toBe(1);
    const [event] = await t.db.auditEvent.findMany({ where: { action: "admin.password_changed" } });
    expect(event).toMatchObject({ actor: admin.id, ip: "192.0.2.50", target: `admin:${admin.id}` });
  });

  it("tells a single sign-on account that it has no password in Warden to change", async () => {
    const admin = await t.db.admin.create({ data: { email: "sso@example.com", role: "VIEWER", oidcSubject: "https://idp.example#sso" } });

    await expect(change(admin, "anything at all")).rejects.toThrow(/signs in with single sign-on and has no password in Warden/);
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } })).passwordHash).toBeNull();
  });
});
