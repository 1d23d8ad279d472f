import { useEffect, useRef, useState } from "preact/hooks";
import { unread$, unreadLabel } from "../notifications";
import { useStore } from "../store";
import "../notifications.css";

/** The top bar's bell: the unread count, live, and the way to the inbox. */
export function Bell({ current }: { current: boolean }) {
  const unread = useStore(unread$);
  const label = unreadLabel(unread);
  // Screen readers hear of changes, not of the count the page starts with.
  const [news, setNews] = useState("");
  const known = useRef<number | null>(null);
  useEffect(() => {
    if (known.current !== null && unread !== null && unread !== known.current) setNews(label);
    known.current = unread;
  }, [unread]);

  return (
    <>
      <a class="bell" href="/notifications" aria-label={label} title={label} aria-current={current ? "page" : undefined}>
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        {!!unread && (
          <span class="bell-count" data-testid="unread-count" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </a>
      <span class="sr-only" role="status" aria-live="polite">
        {news}
      </span>
    </>
  );
}
