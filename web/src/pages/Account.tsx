// The pages an account e-mail links to, and the way to ask for one: open with or without a
// session. The links carry their token after `#` (`/reset-password#token=...`, built by the
// notifications service's mailing.py), which browsers never send to a server.

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { location$, navigate } from "../router";
import { signOut, user$ } from "../session";
import type { User } from "../types";
import { errorText } from "../util";
import "../notifications.css";

/** The token of an account link: in the fragment (`#token=`), or in the query of older links. */
export function linkToken(hash: string, search: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") || new URLSearchParams(search).get("token") || "";
}

/** Reads the page's token once and takes it out of the address bar (and so of the history). */
function useLinkToken(): string {
  const [token] = useState(() => linkToken(window.location.hash, window.location.search));
  useEffect(() => {
    const path = window.location.pathname;
    if (window.location.hash || window.location.search) {
      history.replaceState(null, "", path);
      location$.set(path);
    }
  }, []);
  return token;
}

function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <main class="auth" id="main">
      <div class="card auth-card">
        <a class="brand big" href="/" aria-label="TaskSync">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          <span>TaskSync</span>
        </a>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

function Problem({ text }: { text: string }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

export function ForgotPasswordPage() {
  const [login, setLogin] = useState("");
  const [sent, setSent] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const { data } = await api.request<{ detail: string }>("POST", "/auth/password-reset", { body: { login } });
      setSent(data.detail);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Forgot your password?">
      {sent ? (
        <p class="done" role="status">
          {sent}
        </p>
      ) : (
        <form class="auth-form" onSubmit={submit}>
          <p class="muted">We send a link to choose a new one to your account's verified e-mail address.</p>
          <label>
            Username or e-mail
            <input name="login" autoComplete="username" required maxLength={254} value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
          </label>
          <Problem text={error} />
          <button type="submit" class="primary" disabled={busy}>
            Send the link
          </button>
        </form>
      )}
      <p class="muted">
        <a href="/signin">Back to sign in</a>
      </p>
    </Card>
  );
}

export function ResetPasswordPage() {
  const token = useLinkToken();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (password !== again) return setError("The two passwords differ.");
    setBusy(true);
    setError("");
    try {
      await api.request("POST", "/auth/password-reset/confirm", { body: { token, new_password: password } });
      // Every session of the account was signed out, this one too.
      if (user$.get()) await signOut("/signin?reset=done");
      else navigate("/signin?reset=done", true);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  if (!token)
    return (
      <Card title="Choose a new password">
        <Problem text="This link has no token: open the link of the message again, or ask for a new one." />
        <a href="/forgot-password">Ask for a new link</a>
      </Card>
    );
  return (
    <Card title="Choose a new password">
      <form class="auth-form" onSubmit={submit}>
        <label>
          New password
          <input type="password" name="new-password" autoComplete="new-password" required minLength={8} maxLength={128} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          Repeat it
          <input type="password" name="again" autoComplete="new-password" required minLength={8} maxLength={128} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <Problem text={error} />
        <button type="submit" class="primary" disabled={busy}>
          Set the password
        </button>
      </form>
      {error && <a href="/forgot-password">Ask for a new link</a>}
    </Card>
  );
}

export function VerifyEmailPage() {
  const token = useLinkToken();
  const [state, setState] = useState<{ done?: User; error?: string }>({});

  useEffect(() => {
    if (!token) return setState({ error: "This link has no token: open the link of the message again." });
    api.request<User>("POST", "/auth/verify-email", { body: { token } }).then(
      ({ data }) => {
        if (user$.get()?.id === data.id) user$.set(data);
        setState({ done: data });
      },
      (err) => setState({ error: errorText(err) }),
    );
  }, [token]);

  return (
    <Card title="Verify your e-mail address">
      {state.done ? (
        <p class="done" role="status">
          {state.done.email} is verified: notifications you chose to receive by e-mail go there now.
        </p>
      ) : state.error ? (
        <>
          <Problem text={state.error} />
          <p class="muted">A new link is sent each time you set your address in your account.</p>
        </>
      ) : (
        <p class="muted">Checking the link…</p>
      )}
      <p>
        <a href={user$.get() ? "/profile" : "/signin"}>{user$.get() ? "Your account" : "Sign in"}</a>
      </p>
    </Card>
  );
}
