// Management-port authentication: users and passwords, session keys with an idle timeout, bearer
// (JWT-style) tokens, Basic auth and the `splunkd_<port>` cookie (research §2).

import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface UserConfig {
  name: string;
  password: string;
  roles?: string[];
}

export interface TokenConfig {
  /** The token text clients send as `Authorization: Bearer <token>` (or `Splunk <token>`). */
  token: string;
  user: string;
}

export type AuthScheme = "Splunk" | "Bearer" | "Basic" | "Cookie";

export type AuthResult =
  | { ok: true; user: string; scheme: AuthScheme }
  | { ok: false; scheme: AuthScheme | undefined; reason: "missing" | "invalid" | "basic" };

interface Session {
  user: string;
  lastUsedMs: number;
}

export class Auth {
  private readonly users = new Map<string, UserConfig>();
  private readonly tokens = new Map<string, string>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    users: UserConfig[],
    tokens: TokenConfig[],
    /** Idle time after which a session key is refused (server.conf sessionTimeout, default 1h). */
    public sessionTimeoutMs: number,
    private readonly now: () => number,
  ) {
    for (const u of users) this.users.set(u.name, u);
    for (const t of tokens) this.tokens.set(t.token, t.user);
  }

  /** Checks a password and opens a session; returns its key, or undefined on bad credentials. */
  login(username: string, password: string): string | undefined {
    const u = this.users.get(username);
    if (!u || u.password !== password) return undefined;
    const key = randomBytes(48).toString("base64url");
    this.sessions.set(key, { user: username, lastUsedMs: this.now() });
    return key;
  }

  addToken(token: string, user: string): void {
    this.tokens.set(token, user);
  }

  /** Invalidates every session key now (the `expireSessions` fault). Tokens stay valid. */
  expireAll(): void {
    this.sessions.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private session(key: string): string | undefined {
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastUsedMs > this.sessionTimeoutMs) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastUsedMs = t;
    return s.user;
  }

  authenticate(headers: IncomingHttpHeaders): AuthResult {
    const h = headers.authorization;
    let scheme: AuthScheme | undefined;
    if (h) {
      const sp = h.indexOf(" ");
      const kind = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
      const cred = sp < 0 ? "" : h.slice(sp + 1).trim();
      if (kind === "splunk") {
        scheme = "Splunk";
        const user = this.session(cred) ?? this.tokens.get(cred);
        if (user) return { ok: true, user, scheme };
      } else if (kind === "bearer") {
        scheme = "Bearer";
        const user = this.tokens.get(cred) ?? this.session(cred);
        if (user) return { ok: true, user, scheme };
      } else if (kind === "basic") {
        const decoded = Buffer.from(cred, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        const u = this.users.get(decoded.slice(0, colon));
        if (colon > 0 && u && u.password === decoded.slice(colon + 1)) return { ok: true, user: u.name, scheme: "Basic" };
        return { ok: false, scheme: "Basic", reason: "basic" };
      }
    }
    const cookie = headers.cookie;
    if (cookie) {
      for (const part of cookie.split(";")) {
        const m = /^\s*splunkd_\d+=(.*)$/.exec(part);
        if (!m) continue;
        const user = this.session(decodeURIComponent(m[1].trim()));
        if (user) return { ok: true, user, scheme: "Cookie" };
        scheme ??= "Cookie";
      }
    }
    return { ok: false, scheme, reason: scheme ? "invalid" : "missing" };
  }
}
