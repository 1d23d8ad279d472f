import { render } from "preact";
import { describe, expect, it } from "vitest";
import { mentionAt } from "../src/components/Comments";
import { Markdown } from "../src/markdown";

function html(source: string): HTMLElement {
  const root = document.createElement("div");
  render(<Markdown source={source} />, root);
  return root;
}

describe("Markdown preview", () => {
  it("renders headings, emphasis, code, lists and links", () => {
    const root = html("# Plan\n\nSome **bold** and _soft_ `code`\n\n- one\n- [x] two\n\n[site](https://example.com)");
    expect(root.querySelector("h3")?.textContent).toBe("Plan");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
    expect(root.querySelector("em")?.textContent).toBe("soft");
    expect(root.querySelector("code")?.textContent).toBe("code");
    expect(root.querySelectorAll("li")).toHaveLength(2);
    expect(root.querySelector<HTMLInputElement>("li input")?.checked).toBe(true);
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://example.com");
  });

  it("shows HTML as text and refuses script links", () => {
    const root = html('<img src=x onerror="alert(1)"> [click](javascript:alert(1))');
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("a")).toBeNull();
    expect(root.textContent).toContain("<img src=x");
  });
});

describe("mentions", () => {
  it("finds the name being typed after an @", () => {
    expect(mentionAt("hello @an", 9)).toEqual({ start: 6, query: "an" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionAt("mail a@b", 8)).toBeNull();
    expect(mentionAt("done", 4)).toBeNull();
  });
});
