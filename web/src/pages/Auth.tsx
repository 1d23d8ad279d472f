import { useState } from "preact/hooks";
import { api } from "../api";
import { location$, navigate, queryParam } from "../router";
import { signIn } from "../session";
import { errorText } from "../util";

export function AuthPage({ mode }: { mode: "signin" | "register" }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const registering = mode === "register";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (registering) {
        await api.request("POST", "/auth/register", {
          body: { username, password, ...(email ? { email } : {}), ...(fullName ? { full_name: fullName } : {}) },
        });
      }
      await signIn(username, password);
      const next = queryParam(location$.get(), "next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/rooms", true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth" id="main">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <div class="brand big">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          <span>TaskSync</span>
        </div>
        <h1 id="auth-title">{registering ? "Create your account" : "Sign in"}</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            minLength={3}
            maxLength={40}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={registering ? "new-password" : "current-password"}
            required
            minLength={registering ? 8 : 1}
            maxLength={128}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {registering && (
          <>
            <label>
              E-mail <span class="hint">(optional)</span>
              <input name="email" type="email" autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
            </label>
            <label>
              Full name <span class="hint">(optional)</span>
              <input name="full_name" autoComplete="name" maxLength={200} value={fullName} onInput={(e) => setFullName(e.currentTarget.value)} />
            </label>
          </>
        )}
        {!registering && queryParam(location$.get(), "reset") === "done" && !error && (
          <p class="done" role="status">
            Your password is changed: sign in with the new one.
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {registering ? "Create account" : "Sign in"}
        </button>
        <p class="muted">
          {registering ? (
            <>
              Have an account? <a href="/signin">Sign in</a>
            </>
          ) : (
            <>
              New here? <a href="/register">Create an account</a> · <a href="/forgot-password">Forgot your password?</a>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
