// The NHS.UK components' JavaScript, which only enhances: every page works without it.
import { initAll } from "./nhsuk-frontend.min.js";

initAll();
