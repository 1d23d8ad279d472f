import { useEffect } from "preact/hooks";
import { Layout } from "./components/Layout";
import { location$, match, navigate } from "./router";
import { booted$, user$ } from "./session";
import { useStore } from "./store";
import { ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage } from "./pages/Account";
import { AuthPage } from "./pages/Auth";
import { BoardPage } from "./pages/Board";
import { InboxPage } from "./pages/Inbox";
import { MembersPage } from "./pages/Members";
import { NotificationPreferencesPage } from "./pages/NotificationPreferences";
import { ProfilePage } from "./pages/Profile";
import { ReportsPage } from "./pages/Reports";
import { RoomActivityPage } from "./pages/RoomActivity";
import { RoomsPage } from "./pages/Rooms";
import { TaskPage } from "./pages/Task";
import { WebhooksPage } from "./pages/Webhooks";

const PUBLIC = new Set(["signin", "register"]);
// The pages of the account e-mails' links: the same with or without a session.
const OPEN = new Set(["forgot-password", "reset-password", "verify-email"]);

export function App() {
  const path = useStore(location$);
  const user = useStore(user$);
  const booted = useStore(booted$);
  const route = match(path);

  useEffect(() => {
    if (booted && user && PUBLIC.has(route.name)) navigate("/rooms", true);
    if (booted && !user && !PUBLIC.has(route.name) && !OPEN.has(route.name)) {
      const next = path === "/" || path.startsWith("/signin") ? "" : `?next=${encodeURIComponent(path)}`;
      navigate(`/signin${next}`, true);
    }
  }, [booted, user, route.name, path]);

  useEffect(() => {
    document.title = `${TITLES[route.name] ?? "TaskSync"} · TaskSync`;
  }, [route.name]);

  if (!booted) return <p class="muted boot">Loading…</p>;
  if (PUBLIC.has(route.name)) return <AuthPage mode={route.name as "signin" | "register"} />;
  if (route.name === "forgot-password") return <ForgotPasswordPage />;
  if (route.name === "reset-password") return <ResetPasswordPage />;
  if (route.name === "verify-email") return <VerifyEmailPage />;
  if (!user) return null;
  return <Layout route={route}>{page(route.name, route.params)}</Layout>;
}

const TITLES: Record<string, string> = {
  rooms: "Rooms",
  board: "Board",
  members: "Members",
  activity: "Activity",
  reports: "Reports",
  webhooks: "Webhooks",
  task: "Task",
  profile: "Profile",
  notifications: "Notifications",
  "notification-preferences": "Notification preferences",
  "forgot-password": "Forgot password",
  "reset-password": "New password",
  "verify-email": "Verify e-mail",
};

function page(name: string, params: Record<string, string>) {
  switch (name) {
    case "rooms":
      return <RoomsPage />;
    case "board":
      return <BoardPage key={params.room} roomId={params.room} />;
    case "members":
      return <MembersPage key={params.room} roomId={params.room} />;
    case "activity":
      return <RoomActivityPage key={params.room} roomId={params.room} />;
    case "reports":
      return <ReportsPage key={params.room} roomId={params.room} />;
    case "webhooks":
      return <WebhooksPage key={params.room} roomId={params.room} />;
    case "task":
      return <TaskPage key={params.task} taskId={params.task} />;
    case "profile":
      return <ProfilePage />;
    case "notifications":
      return <InboxPage />;
    case "notification-preferences":
      return <NotificationPreferencesPage />;
    default:
      return (
        <main class="page">
          <h1>Not found</h1>
          <p>
            No page here. <a href="/rooms">Back to your rooms</a>.
          </p>
        </main>
      );
  }
}
