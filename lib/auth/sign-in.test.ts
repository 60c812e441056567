import { beforeAll, expect, it } from "vitest";
import type { AdminRole } from "@/lib/db/generated/client.ts";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { hashPassword } from "./password";
import type { OidcSettings } from "./settings";
import { INVALID_CREDENTIALS, signInWithOidc, signInWithPassword } from "./sign-in";
import { THROTTLE_RULES } from "./throttle";

const PASSWORD = "correct horse battery staple";
const WRONG = "not the right password";
const IP = "203.0.113.7";
const LOCKED = /^Too many failed sign-in attempts\. Try again in \d+ minutes?\.$/;

const SSO: OidcSettings = {
  issuer: "https://idp.example.com",
  clientId: "warden",
  clientSecret: "client-secret",
  displayName: "Example SSO",
  allowedDomains: [],
};

// One hash for every admin: scrypt is deliberately slow.
let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

describeEachDatabase("password sign-in", (t) => {
  const createAdmin = (email: string, data: { role?: AdminRole; disabled?: boolean; password?: boolean } = {}) =>
    t.db.admin.create({
      data: {
        email,
        role: data.role ?? "ADMIN",
        passwordHash: data.password === false ? null : passwordHash,
        disabledAt: data.disabled ? new Date() : null,
      },
    });
  const auditActions = async () => (await t.db.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((e) => e.action);
  const signIn = (email: string, password: string, ip: string | null = IP) =>
    signInWithPassword(t.db, { email, password, ip });

  it("signs in with the right password, records the time and audits it", async () => {
    const admin = await createAdmin("alice@example.com");
    const before = Date.now();

    const outcome = await signIn("  Alice@Example.COM ", PASSWORD);

    expect(outcome).toEqual({ ok: true, admin: { id: admin.id, email: "alice@example.com", name: null, sessionGeneration: 0 } });
    const stored = await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } });
    expect(stored.lastSignInAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({
      action: "admin.sign_in",
      actor: admin.id,
      actorLabel: "alice@example.com",
      ip: IP,
      target: `admin:${admin.id}`,
      details: { method: "password" },
    });
  });

  it("refuses a wrong password with a generic message and audits the failure", async () => {
    const admin = await createAdmin("alice@example.com");

    expect(await signIn("alice@example.com", WRONG)).toEqual({ ok: false, error: INVALID_CREDENTIALS });

    expect((await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } })).lastSignInAt).toBeNull();
    const events = await t.db.auditEvent.findMany();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "admin.sign_in_failed", actor: admin.id, reason: "wrong password", ip: IP });
    // The attempted password never reaches the audit trail.
    expect(JSON.stringify(events, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value))).not.toContain(WRONG);
  });

  it("answers an unknown email exactly as it answers a wrong password", async () => {
    await createAdmin("alice@example.com");

    expect(await signIn("mallory@example.com", PASSWORD)).toEqual({ ok: false, error: INVALID_CREDENTIALS });
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "admin.sign_in_failed", actor: "anonymous", actorLabel: "mallory@example.com" });
  });

  it("refuses an invited admin who has not set a password yet", async () => {
    await createAdmin("invited@example.com", { password: false });
    expect(await signIn("invited@example.com", PASSWORD)).toEqual({ ok: false, error: INVALID_CREDENTIALS });
  });

  it("refuses a disabled admin, and says so only to someone who knows the password", async () => {
    const admin = await createAdmin("gone@example.com", { disabled: true });

    const right = await signIn("gone@example.com", PASSWORD);
    expect(right).toEqual({ ok: false, error: expect.stringMatching(/disabled/) });
    expect(await signIn("gone@example.com", WRONG)).toEqual({ ok: false, error: INVALID_CREDENTIALS });

    expect((await t.db.admin.findUniqueOrThrow({ where: { id: admin.id } })).lastSignInAt).toBeNull();
    expect(await auditActions()).toEqual(["admin.sign_in_failed", "admin.sign_in_failed"]);
  });

  it("locks an account after too many failures, even against the right password", async () => {
    const { maxFailures } = THROTTLE_RULES.account;
    await createAdmin("alice@example.com");

    for (let i = 0; i < maxFailures - 1; i++) {
      expect(await signIn("alice@example.com", WRONG)).toEqual({ ok: false, error: INVALID_CREDENTIALS });
    }
    // One short of the limit the account still works, and success wipes the slate.
    expect((await signIn("alice@example.com", PASSWORD)).ok).toBe(true);
    for (let i = 0; i < maxFailures - 1; i++) await signIn("alice@example.com", WRONG);
    expect((await signIn("alice@example.com", PASSWORD)).ok).toBe(true);

    for (let i = 0; i < maxFailures; i++) await signIn("alice@example.com", WRONG);
    const locked = await signIn("alice@example.com", PASSWORD);
    expect(locked.ok).toBe(false);
    expect(!locked.ok && locked.error).toMatch(LOCKED);
    // The lock is on the account, not the network: another IP is refused too.
    expect(await signIn("ALICE@example.com", PASSWORD, "198.51.100.1")).toMatchObject({ ok: false, error: expect.stringMatching(LOCKED) });
    expect((await auditActions()).at(-1)).toBe("admin.sign_in_refused");
  });

  it("locks an IP address that sprays passwords across many accounts, but not for its successful sign-ins", async () => {
    const { maxFailures } = THROTTLE_RULES.ip;
    await createAdmin("alice@example.com");

    for (let i = 0; i < maxFailures - 1; i++) await signIn(`user${i}@example.com`, WRONG);
    // Admins behind one office address keep signing in: successes do not use up the IP's allowance.
    expect((await signIn("alice@example.com", PASSWORD)).ok).toBe(true);
    expect((await signIn("alice@example.com", PASSWORD)).ok).toBe(true);
    expect(await signIn("one-more@example.com", WRONG)).toEqual({ ok: false, error: INVALID_CREDENTIALS });

    const fromSprayer = await signIn("alice@example.com", PASSWORD);
    expect(fromSprayer).toMatchObject({ ok: false, error: expect.stringMatching(LOCKED) });
    // The account itself is fine from anywhere else.
    expect((await signIn("alice@example.com", PASSWORD, "198.51.100.1")).ok).toBe(true);
  });

  it("checks no more passwords than the limit when guesses arrive all at once", async ({ skip }) => {
    // On PGlite every connection shares one session: nothing runs in parallel there to test.
    if (t.backend !== "postgresql") skip();
    const { maxFailures } = THROTTLE_RULES.account;
    await createAdmin("alice@example.com");

    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn("alice@example.com", `guess number ${i}`, null)));

    const checked = outcomes.filter((o) => !o.ok && o.error === INVALID_CREDENTIALS).length;
    const refused = outcomes.filter((o) => !o.ok && LOCKED.test(o.error)).length;
    expect({ checked, refused }).toEqual({ checked: maxFailures, refused: 20 - maxFailures });
    expect(await signIn("alice@example.com", PASSWORD, null)).toMatchObject({ ok: false, error: expect.stringMatching(LOCKED) });
  });
});

describeEachDatabase("single sign-on", (t) => {
  const identity = (subject: string, email: string | null, emailVerified = true) => ({
    subject,
    email,
    emailVerified,
    name: "Alice Example",
  });
  const adminCount = () => t.db.admin.count();

  it("links an invited admin by verified email, then recognises the subject even after the email changes", async () => {
    const invited = await t.db.admin.create({ data: { email: "alice@example.com", role: "ADMIN" } });

    const first = await signInWithOidc(t.db, SSO, identity("sub-1", "Alice@Example.com"), IP);
    expect(first).toEqual({ ok: true, admin: { id: invited.id, email: "alice@example.com", name: "Alice Example", sessionGeneration: 0 } });
    const linked = await t.db.admin.findUniqueOrThrow({ where: { id: invited.id } });
    expect(linked.oidcSubject).toBe("https://idp.example.com#sub-1");
    expect(linked.lastSignInAt).not.toBeNull();
    expect(linked.name).toBe("Alice Example");

    const renamed = await signInWithOidc(t.db, SSO, identity("sub-1", "alice@new-name.example"), IP);
    expect(renamed).toMatchObject({ ok: true, admin: { id: invited.id } });
    expect(await adminCount()).toBe(1);

    const events = await t.db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["admin.sign_in", "admin.sign_in"]);
    expect(events[0]!.details).toEqual({ method: "oidc", issuer: SSO.issuer });
  });

  it("does not match an invited admin by an unverified email", async () => {
    const invited = await t.db.admin.create({ data: { email: "alice@example.com", role: "ADMIN" } });

    const outcome = await signInWithOidc(t.db, SSO, identity("sub-1", "alice@example.com", false), IP);

    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/not been invited/) });
    expect((await t.db.admin.findUniqueOrThrow({ where: { id: invited.id } })).oidcSubject).toBeNull();
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "admin.sign_in_failed", actor: "anonymous" });
  });

  it("refuses someone who was never invited", async () => {
    const outcome = await signInWithOidc(t.db, SSO, identity("sub-9", "stranger@example.com"), IP);
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/not been invited/) });
    expect(await adminCount()).toBe(0);
  });

  it("lets a verified email from an allowed domain in as a new VIEWER, once", async () => {
    const settings = { ...SSO, allowedDomains: ["example.com"] };

    const outcome = await signInWithOidc(t.db, settings, identity("sub-2", "bob@Example.com"), IP);

    expect(outcome.ok).toBe(true);
    const created = await t.db.admin.findUniqueOrThrow({ where: { email: "bob@example.com" } });
    expect(created).toMatchObject({ role: "VIEWER", oidcSubject: "https://idp.example.com#sub-2" });
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "admin.created_by_sso", actor: created.id, details: { role: "VIEWER", domain: "example.com" } });

    expect(await signInWithOidc(t.db, settings, identity("sub-2", "bob@example.com"), IP)).toMatchObject({
      ok: true,
      admin: { id: created.id },
    });
    expect(await adminCount()).toBe(1);

    // Neither an unverified address nor another domain gets the same treatment.
    expect((await signInWithOidc(t.db, settings, identity("sub-3", "carol@example.com", false), IP)).ok).toBe(false);
    expect((await signInWithOidc(t.db, settings, identity("sub-4", "dave@example.org"), IP)).ok).toBe(false);
    expect(await adminCount()).toBe(1);
  });

  it("signs the same new person in twice at once (two tabs) without an error, creating one admin", async () => {
    const settings = { ...SSO, allowedDomains: ["example.com"] };
    const outcomes = await Promise.all([
      signInWithOidc(t.db, settings, identity("sub-twin", "twin@example.com"), IP),
      signInWithOidc(t.db, settings, identity("sub-twin", "twin@example.com"), IP),
    ]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
    expect(await adminCount()).toBe(1);
  });

  it("refuses, without an error page, a second SSO account claiming an email that is already linked", async () => {
    const settings = { ...SSO, allowedDomains: ["example.com"] };
    await signInWithOidc(t.db, settings, identity("sub-1", "alice@example.com"), IP);

    const outcome = await signInWithOidc(t.db, settings, identity("sub-other", "alice@example.com"), IP);

    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/already linked/) });
    const [alice] = await t.db.admin.findMany();
    expect(alice!.oidcSubject).toBe("https://idp.example.com#sub-1");
    expect(await adminCount()).toBe(1);
  });

  it("refuses a disabled admin, whether matched by email or by subject", async () => {
    await t.db.admin.create({ data: { email: "invited@example.com", role: "ADMIN", disabledAt: new Date() } });
    await t.db.admin.create({
      data: { email: "linked@example.com", role: "ADMIN", oidcSubject: "https://idp.example.com#sub-5", disabledAt: new Date() },
    });

    for (const who of [identity("sub-4", "invited@example.com"), identity("sub-5", "linked@example.com")]) {
      const outcome = await signInWithOidc(t.db, SSO, who, IP);
      expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/disabled/) });
    }
    const admins = await t.db.admin.findMany({ orderBy: { email: "asc" } });
    expect(admins.map((a) => [a.oidcSubject, a.lastSignInAt])).toEqual([
      [null, null],
      ["https://idp.example.com#sub-5", null],
    ]);
  });
});
