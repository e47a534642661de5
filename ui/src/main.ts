// The window's entry point: the app on #app, with the back end `backendFor` chooses (the core
// through Tauri, or the synthetic shoot), exposed as `window.__bp` for the end-to-end suite.

import { backendFor } from "./api/backend";
import { App } from "./app";

const root = document.getElementById("app");
if (root) {
  const app = new App(root, backendFor(location.hash));
  (window as unknown as { __bp: App }).__bp = app;
  void app.start();
}
