import { render } from "preact";
import { App } from "./App";
import { interceptLinks } from "./router";
import { resumeSession } from "./session";
import "./styles.css";

const root = document.getElementById("app")!;
interceptLinks(root);
render(<App />, root);
void resumeSession();
