// The speak dialog: the stored loudspeaker messages (GET /speaker-messages; the ones meant for the
// mission's incident type first) or free text. Resolves to the command's body, or null.
import { api } from "./api.js";
import { confirmDialog } from "./dialogs.js";
import { currentLang, t } from "./i18n.js";

let stored = null; // the messages, fetched once (a promise)

function storedMessages() {
  if (!stored) stored = api("/speaker-messages").catch((err) => { stored = null; throw err; });
  return stored;
}

// messages meant for this incident type first, then the others in the file's order
export function orderFor(messages, incidentType) {
  const meant = (m) => (incidentType && m.incident_types.includes(incidentType) ? 0 : 1);
  return messages.map((m, i) => [m, i]).sort(([a, i], [b, j]) => meant(a) - meant(b) || i - j).map(([m]) => m);
}

function option(value, checked, ...content) {
  const label = document.createElement("label");
  label.className = "speak-option";
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "speak-choice", value, checked });
  label.append(input, ...content);
  return label;
}

export async function speakDialog(mission, incidentType) {
  const body = document.createElement("div");
  body.id = "speak-choices";
  let spokenLang = "zh";
  try {
    const answer = await storedMessages();
    spokenLang = answer.lang;
    const title = Object.assign(document.createElement("p"), { className: "muted small", textContent: `${t("speak_stored")} (${spokenLang === "zh" ? "中文" : "English"})` });
    body.append(title);
    orderFor(answer.messages, incidentType).forEach((m, i) => {
      const main = Object.assign(document.createElement("span"), { textContent: m[spokenLang] });
      const other = m[currentLang()] !== m[spokenLang] ? Object.assign(document.createElement("span"), { className: "muted small", textContent: m[currentLang()] }) : "";
      const tag = Object.assign(document.createElement("b"), { textContent: m.key.replaceAll("_", " ") });
      body.append(option(m.key, i === 0, tag, main, other));
    });
  } catch (err) {
    body.append(Object.assign(document.createElement("p"), { className: "warn", textContent: `${t("speak_no_stored")}: ${err.message}` }));
  }
  const text = Object.assign(document.createElement("input"), { id: "speak-text", placeholder: t("speak_prompt"), maxLength: 500 });
  const own = option("", !body.querySelector("input[type=radio]"), Object.assign(document.createElement("span"), { textContent: t("speak_own") }), text);
  text.addEventListener("input", () => { own.querySelector("input").checked = true; });
  body.append(own);
  if (!(await confirmDialog(`${t("speak")} · ${mission.drone_id ?? mission.id.slice(0, 8)}`, body))) return null;
  const chosen = body.querySelector("input[name=speak-choice]:checked");
  if (chosen && chosen.value) return { command: "speak", message: chosen.value };
  const said = text.value.trim();
  return said ? { command: "speak", text: said } : null;
}
