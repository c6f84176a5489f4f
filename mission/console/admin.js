// The admin panel (admin role only): the grid-platform outbox (status, attempts, last error; dead
// messages can be retried), API tokens (list without secrets, issue — the new token shown once,
// copyable — and revoke) and the audit log, newest first. Loaded when the tab opens and on refresh,
// and kept live by the stream's `outbox` and `audit` messages (sent to admins only): a message's row
// is replaced or added, the dead-letter badge follows, an audit entry is added on top and a token's
// audit entry (another admin issued or revoked one) reloads the token list. Live changes re-render
// only the section they touch, so the token form keeps what is being typed.
import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { t, tv } from "./i18n.js";
import { fmtWhen, h } from "./panels.js";

const AUDIT_SHOWN = 100;
const OUTBOX_SHOWN = 200;

export class AdminPanel {
  // onCount(n): the number of dead outbox messages, for the tab's badge
  constructor(root, { me, toast, onCount = () => {} }) {
    this.root = root;
    this.me = me;
    this.toast = toast;
    this.onCount = onCount;
    this.outbox = [];
    this.tokens = [];
    this.audit = [];
    this.newToken = null; // {name, token}: shown once, until the next issue or reload of the page
    this.outboxFilter = "all";
    this.draft = { name: "", role: "viewer" }; // the token form's fields
    this.loading = null; // live messages that came while a load was on its way, applied after it
  }

  async load() {
    const during = [];
    this.loading = during;
    try {
      const [outbox, tokens, audit] = await Promise.all([api(`/outbox?limit=${OUTBOX_SHOWN}`), api("/tokens"), api(`/audit?limit=${AUDIT_SHOWN}`)]);
      Object.assign(this, { outbox, tokens, audit });
    } catch (err) {
      this.toast(`${t("failed")}: ${err.message}`, "error");
    }
    if (this.loading === during) this.loading = null;
    // in the order stored: what changed after the server read its rows wins over them
    for (const message of during) this.apply(message);
    this.render();
  }

  // a live `outbox` or `audit` message
  onLive(message) {
    if (this.loading) this.loading.push(message);
    const sections = this.apply(message);
    for (const name of sections) this.renderSection(name);
    if (message.type === "audit" && message.entry.action.startsWith("token.")) this.reloadTokens();
  }

  // apply a live message to the lists; returns the sections to redraw
  apply(message) {
    if (message.type === "outbox") {
      const m = message.message;
      const at = this.outbox.findIndex((x) => x.id === m.id);
      if (at >= 0) this.outbox[at] = m;
      else this.outbox = [m, ...this.outbox].slice(0, OUTBOX_SHOWN); // newest first
      return ["outbox"];
    }
    if (message.type === "audit") {
      const e = message.entry;
      if (!this.audit.some((x) => x.id === e.id)) this.audit = [e, ...this.audit].slice(0, AUDIT_SHOWN);
      return ["audit"];
    }
    return [];
  }

  async reloadTokens() {
    try {
      this.tokens = await api("/tokens");
    } catch (err) {
      this.toast(`${t("failed")}: ${err.message}`, "error");
      return;
    }
    this.renderSection("tokens");
  }

  render() {
    this.onCount(this.deadCount());
    this.root.replaceChildren(
      h("div", { class: "admin-bar" }, h("button", { type: "button", "data-action": "admin-refresh", onclick: () => this.load() }, t("refresh"))),
      this.outboxSection(), this.tokenSection(), this.auditSection());
  }

  // one section again (a live change), the others left as they are
  renderSection(name) {
    if (name === "outbox") this.onCount(this.deadCount());
    const old = this.root.querySelector(name === "tokens" ? "#admin-token-list" : `#admin-${name}`);
    if (!old) return; // not drawn yet: the next render() draws it
    old.replaceWith({ outbox: () => this.outboxSection(), audit: () => this.auditSection(), tokens: () => this.tokenTable() }[name]());
  }

  deadCount() {
    return this.outbox.filter((m) => m.status === "dead").length;
  }

  // --- outbox ----------------------------------------------------------------------------------

  outboxSection() {
    const dead = this.outbox.filter((m) => m.status === "dead").length;
    const shown = this.outboxFilter === "dead" ? this.outbox.filter((m) => m.status === "dead") : this.outbox;
    const filter = (value, label) => h("button", { type: "button", class: this.outboxFilter === value ? "active" : null,
      onclick: () => { this.outboxFilter = value; this.render(); } }, label);
    return h("section", { id: "admin-outbox" },
      h("h3", {}, `${t("outbox")} `, dead ? h("span", { class: "warn" }, `${dead} ${t("outbox_dead")}`) : null),
      h("div", { class: "filters" }, filter("all", t("all")), filter("dead", t("outbox_dead"))),
      shown.length ? h("table", { class: "admin" },
        h("thead", {}, h("tr", {}, [t("status_col"), t("topic"), t("attempts"), t("last_error")].map((c) => h("th", {}, c)))),
        h("tbody", {}, shown.map((m) => h("tr", { dataset: { id: m.id, status: m.status } },
          h("td", { class: "nowrap" }, h("span", { class: `status out-${m.status}` }, tv(m.status)),
            m.status === "dead" ? h("div", {}, h("button", { type: "button", class: "primary", "data-action": "retry", onclick: () => this.retry(m) }, t("retry"))) : null),
          h("td", {}, m.topic, h("div", { class: "muted small" }, fmtWhen(m.created_at), m.lead_id ? ` · ${t("lead")} ${m.lead_id.slice(0, 8)}` : "")),
          h("td", { class: "num" }, String(m.attempts)),
          h("td", { class: "error-text" }, m.last_error ?? "")))))
        : h("p", { class: "empty" }, t("outbox_empty")));
  }

  async retry(message) {
    try {
      const updated = await api(`/outbox/${message.id}/retry`, { method: "POST" });
      this.outbox = this.outbox.map((m) => (m.id === updated.id ? updated : m));
      this.toast(`${t("retry")}: ${t("sent")}`);
    } catch (err) {
      this.toast(`${t("failed")}: ${err.message}`, "error");
    }
    await this.load();
  }

  // --- tokens ----------------------------------------------------------------------------------

  tokenSection() {
    // what is being typed survives a redraw (a reload, another admin's change)
    const name = h("input", { id: "token-name", placeholder: t("token_name"), required: true, pattern: "[A-Za-z0-9_.@\\-]+", maxlength: 64,
      oninput: () => { this.draft.name = name.value; } });
    name.value = this.draft.name;
    const role = h("select", { id: "token-role", onchange: () => { this.draft.role = role.value; } },
      ["viewer", "dispatcher", "admin"].map((r) => h("option", { value: r }, tv(r))));
    role.value = this.draft.role;
    const form = h("form", { class: "token-form", onsubmit: (e) => { e.preventDefault(); this.issue(name.value.trim(), role.value); } },
      name, role, h("button", { type: "submit", class: "primary", "data-action": "issue-token" }, t("token_issue")));
    const fresh = this.newToken ? h("div", { class: "new-token", role: "status" },
      h("p", {}, `${t("token_once")} (${this.newToken.name})`),
      h("code", { id: "new-token" }, this.newToken.token),
      h("button", { type: "button", "data-action": "copy-token", onclick: () => this.copy() }, t("copy"))) : null;
    return h("section", { id: "admin-tokens" }, h("h3", {}, t("tokens")), form, fresh, this.tokenTable());
  }

  tokenTable() {
    return h("table", { class: "admin", id: "admin-token-list" },
        h("thead", {}, h("tr", {}, [t("token_name"), t("role"), t("created"), t("status_col"), ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, this.tokens.map((tok) => {
          const own = tok.name === this.me.name && !tok.revoked_at; // a token may not revoke itself
          return h("tr", { dataset: { id: tok.id, name: tok.name }, class: tok.revoked_at ? "revoked" : null },
            h("td", {}, h("b", {}, tok.name), own ? h("span", { class: "muted small" }, ` (${t("token_yours")})`) : null),
            h("td", {}, tv(tok.role)),
            h("td", { class: "nowrap" }, fmtWhen(tok.created_at)),
            h("td", {}, tok.revoked_at ? `${t("revoked")} ${fmtWhen(tok.revoked_at)}` : t("active")),
            h("td", {}, tok.revoked_at || own ? null
              : h("button", { type: "button", class: "danger", "data-action": "revoke", onclick: () => this.revoke(tok) }, t("revoke"))));
        })));
  }

  async issue(name, role) {
    if (!name) return;
    try {
      const created = await api("/tokens", { method: "POST", body: { name, role } });
      this.newToken = { name, token: created.token };
      this.draft = { name: "", role: "viewer" };
      this.toast(`${t("token_issued")}: ${name}`);
    } catch (err) {
      this.toast(`${t("failed")}: ${err.message}`, "error");
    }
    await this.load();
  }

  async copy() {
    const code = this.root.querySelector("#new-token");
    try {
      await navigator.clipboard.writeText(this.newToken.token);
      this.toast(t("copied"));
    } catch {
      // no clipboard (plain http on another host): select the text for Ctrl+C
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      this.toast(t("copy_manually"));
    }
  }

  async revoke(token) {
    if (!(await confirmDialog(`${t("revoke")} ${token.name}?`, t("revoke_note")))) return;
    try {
      await api(`/tokens/${token.id}`, { method: "DELETE" });
      if (this.newToken?.name === token.name) this.newToken = null;
      this.toast(`${t("revoke")}: ${t("sent")}`);
    } catch (err) {
      this.toast(`${t("failed")}: ${err.message}`, "error");
    }
    await this.load();
  }

  // --- audit -----------------------------------------------------------------------------------

  auditSection() {
    const summary = (d) => Object.entries(d).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
    return h("section", { id: "admin-audit" },
      h("h3", {}, `${t("audit")} `, h("span", { class: "muted small" }, `(${t("newest_first")})`)),
      h("table", { class: "admin" },
        // the details under the action, across the widest column (a column of their own was too
        // narrow on a laptop: words broke in the middle)
        h("thead", {}, h("tr", {}, [t("time"), t("actor"), `${t("action")} · ${t("details")}`, t("target")].map((c) => h("th", {}, c)))),
        h("tbody", {}, this.audit.map((e) => h("tr", { dataset: { id: e.id, action: e.action } },
          h("td", { class: "nowrap" }, fmtWhen(e.at)),
          h("td", {}, e.actor, h("div", { class: "muted small" }, tv(e.role))),
          h("td", {}, e.action, h("div", { class: "small details" }, summary(e.details))),
          h("td", { title: e.target }, e.target.length > 12 ? e.target.slice(0, 8) : e.target))))));
  }
}
