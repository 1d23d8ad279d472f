// A small history router: paths map to pages; links are plain <a href> intercepted here.

import { Store } from "./store";

export const location$ = new Store<string>(window.location.pathname + window.location.search);

export function navigate(to: string, replace = false): void {
  if (to === location$.get()) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  location$.set(to);
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => location$.set(window.location.pathname + window.location.search));

/** Follows same-origin links without a reload (plain clicks only). */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = (event.target as HTMLElement).closest("a");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

export interface Match {
  name: string;
  params: Record<string, string>;
}

const ROUTES: [string, RegExp][] = [
  ["signin", /^\/signin$/],
  ["register", /^\/register$/],
  ["forgot-password", /^\/forgot-password$/],
  ["reset-password", /^\/reset-password$/],
  ["verify-email", /^\/verify-email$/],
  ["notifications", /^\/notifications$/],
  ["notification-preferences", /^\/notifications\/preferences$/],
  ["rooms", /^\/(rooms)?$/],
  ["board", /^\/rooms\/(?<room>[^/]+)$/],
  ["members", /^\/rooms\/(?<room>[^/]+)\/members$/],
  ["activity", /^\/rooms\/(?<room>[^/]+)\/activity$/],
  ["reports", /^\/rooms\/(?<room>[^/]+)\/reports$/],
  ["webhooks", /^\/rooms\/(?<room>[^/]+)\/webhooks$/],
  ["task", /^\/tasks\/(?<task>[^/]+)$/],
  ["profile", /^\/profile$/],
];

export function match(path: string): Match {
  const pathname = path.split("?")[0];
  for (const [name, pattern] of ROUTES) {
    const found = pattern.exec(pathname);
    if (found) return { name, params: { ...(found.groups ?? {}) } };
  }
  return { name: "notfound", params: {} };
}

export function queryParam(path: string, name: string): string | null {
  return new URLSearchParams(path.split("?")[1] ?? "").get(name);
}
