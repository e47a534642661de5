import { App } from "./app";

const root = document.getElementById("app");
if (root) {
  const app = new App(root);
  (window as unknown as { __bp: App }).__bp = app;
  void app.start();
}
