import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { navigate } from "../router";
import { signOut, toast, user$ } from "../session";
import { useStore } from "../store";
import type { User } from "../types";
import { errorText } from "../util";

export function ProfilePage() {
  const user = useStore(user$)!;
  const [username, setUsername] = useState(user.username);
  const [fullName, setFullName] = useState(user.full_name ?? "");
  const [email, setEmail] = useState(user.email ?? "");
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirmDelete, setConfirmDelete] = useState("");
  // The address may have been verified in another tab (the link of the message) meanwhile.
  useEffect(() => void api.get<User>("/users/me").then((me) => user$.set(me), () => undefined), []);

  async function patch(body: Record<string, unknown>, done: string) {
    try {
      const { data } = await api.request<User>("PATCH", "/users/me", { body });
      const newAddress = data.email && data.email !== user.email;
      user$.set(data);
      toast(newAddress ? `${done} We sent a link to ${data.email}: open it to verify the address.` : done, "info");
      return true;
    } catch (e) {
      toast(errorText(e));
      return false;
    }
  }

  return (
    <main class="page narrow">
      <h1>Your account</h1>
      <form
        class="card stack"
        aria-labelledby="profile-title"
        onSubmit={(e) => {
          e.preventDefault();
          void patch({ username, full_name: fullName || null, email: email || null }, "Profile saved.");
        }}
      >
        <h2 id="profile-title">Profile</h2>
        <label>
          Username
          <input required minLength={3} maxLength={40} autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Full name
          <input maxLength={200} autoComplete="name" value={fullName} onInput={(e) => setFullName(e.currentTarget.value)} />
        </label>
        <label>
          E-mail
          <input type="email" autoComplete="email" aria-describedby="email-state" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <EmailState user={user} />
        <button type="submit" class="primary">
          Save profile
        </button>
      </form>
      <form
        class="card stack"
        aria-labelledby="password-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await patch({ password, current_password: current }, "Password changed; your other sessions are signed out.")) {
            setCurrent("");
            setPassword("");
          }
        }}
      >
        <h2 id="password-title">Password</h2>
        <label>
          Current password
          <input type="password" required autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          New password
          <input type="password" required minLength={8} maxLength={128} autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <button type="submit">Change password</button>
      </form>
      <form
        class="card stack danger-zone"
        aria-labelledby="delete-title"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!confirm("Delete your account? This cannot be undone.")) return;
          try {
            await api.request("DELETE", "/users/me", { body: { password: confirmDelete } });
            await signOut();
            navigate("/signin", true);
          } catch (err) {
            toast(errorText(err));
          }
        }}
      >
        <h2 id="delete-title">Delete the account</h2>
        <p class="muted">You leave every room; rooms you own pass to their longest-standing admin or member.</p>
        <label>
          Password
          <input type="password" required autoComplete="current-password" value={confirmDelete} onInput={(e) => setConfirmDelete(e.currentTarget.value)} />
        </label>
        <button type="submit" class="danger">
          Delete my account
        </button>
      </form>
    </main>
  );
}

function EmailState({ user }: { user: User }) {
  if (!user.email) return <p id="email-state" class="muted small">No address: you receive nothing by e-mail and cannot reset a forgotten password.</p>;
  if (user.email_verified) return <p id="email-state" class="small verified">✓ {user.email} is verified.</p>;
  return (
    <p id="email-state" class="small unverified">
      {user.email} is not verified yet: open the link we sent to it (it works for 24 hours).
    </p>
  );
}
