// The coverage layer: GET /api/v1/coverage (geo's report for the docks available now), drawn on the
// map and summed up in the header. One request at a time (the server needs up to seconds);
// changes meanwhile ask again once it is done.
import { api } from "./api.js";
import { t } from "./i18n.js";

export class CoverageView {
  constructor(map, summary, state, onError) {
    this.map = map;
    this.summary = summary;
    this.state = state;
    this.onError = onError;
    this.timer = null;
    this.due = 0;
    this.lastStart = 0;
    this.spacingMs = 0;
    this.busy = false;
    this.dirty = false;
  }

  // Loads are spaced (at least 1 s, and 3× the last one's duration: the server computes the report
  // for each) and a load already due is never postponed: on a live fleet a dock reports a change
  // every few hundred ms, and postponing on each would never load again.
  schedule(delayMs) {
    const due = Math.max(Date.now() + delayMs, this.lastStart + this.spacingMs);
    if (this.timer !== null && this.due <= due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load();
    }, due - Date.now());
  }

  async load() {
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    this.lastStart = Date.now();
    try {
      this.state.coverage = await api("/coverage");
    } catch (err) {
      this.onError(err);
      return;
    } finally {
      this.spacingMs = Math.max(1000, 3 * (Date.now() - this.lastStart));
      this.busy = false;
      if (this.dirty) {
        this.dirty = false;
        this.schedule(0);
      }
    }
    this.map.setCoverage(this.state.coverage);
    this.renderSummary();
    // the report was computed from availability at request time; live messages carry the state at
    // send time, so a dock that flipped and flipped back in between shows no change: ask again
    // while the report and the dock list disagree
    const c = this.state.coverage;
    const planned = new Set([...c.available, ...Object.keys(c.unavailable)]);
    const grounded = new Set(c.grounded);
    const live = [...this.state.docks.values()].filter((d) => planned.has(d.id) && !grounded.has(d.id) && d.availability.available);
    const agree = live.map((d) => d.id).sort().join() === c.available.filter((id) => !grounded.has(id)).sort().join();
    this.retries = agree ? 0 : (this.retries ?? 0) + 1;
    if (!agree && this.retries <= 5) this.schedule(2000);
  }

  renderSummary() {
    const c = this.state.coverage;
    if (!c) return;
    const worst = c.worst_response_s === null ? t("never") : `${Math.round(c.worst_response_s)} s`;
    const docks = `${c.available.length}/${c.available.length + Object.keys(c.unavailable).length} ${t("tab_docks")}`;
    this.summary.className = `coverage-summary ${c.guarantee_holds ? "ok" : "broken"}`;
    this.summary.dataset.coveredFraction = c.covered_fraction.toFixed(4);
    this.summary.textContent = `${t("covered")} ${(c.covered_fraction * 100).toFixed(1)}% · ${t("worst")} ${worst} · ${docks} · ${c.guarantee_holds ? t("guarantee_ok") : t("guarantee_broken")}`;
  }
}
