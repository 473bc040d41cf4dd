// The workbench's only script: send decisions, keyboard shortcuts. Text is only ever set with textContent.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({error: "the server did not answer"}));
    if (!response.ok || data.error) { throw new Error(data.error || response.statusText); }
    return data;
  }

  function selectionIn(textElement) {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !textElement.contains(sel.anchorNode) || !textElement.contains(sel.focusNode)) {
      return null;
    }
    const range = sel.getRangeAt(0);
    const before = document.createRange();
    before.setStart(textElement, 0);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    const end = start + range.toString().length;
    return end > start ? {start, end} : null;
  }

  const list = document.querySelector(".segments");
  if (list) {
    const guide = list.dataset.guide;
    list.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) { return; }
      const segment = button.closest(".segment");
      const action = button.dataset.action;
      const box = button.closest(".suggestion");
      let code = box ? box.dataset.code : segment.querySelector(".add-code").value;
      if (!code) { return; }
      const body = {guide, segment: segment.dataset.segment, code, action,
                    note: (box ? box.querySelector(".note") : null)?.value || ""};
      if (action === "add") {
        const span = selectionIn(segment.querySelector(".text"));
        if (span) { Object.assign(body, span); }
      }
      try {
        const result = await post("/api/decide", body);
        if (box) {
          box.classList.remove("undecided", "accepted", "rejected");
          box.classList.add(result.status);
          box.querySelector(".state").textContent = result.status;
        } else {
          const added = document.createElement("div");
          added.className = "suggestion accepted added";
          const label = document.createElement("span");
          label.className = "code";
          label.textContent = code;
          const state = document.createElement("span");
          state.className = "state";
          state.textContent = body.start !== undefined ? "added to selection" : "added";
          added.append(label, " ", state);
          segment.querySelector(".add").before(added);
        }
      } catch (error) {
        alert("Not recorded: " + error.message);
      }
    });
    // Keyboard: j/k move between suggestions, a accepts, r rejects.
    const boxes = () => Array.from(document.querySelectorAll(".suggestion[data-code]"));
    document.addEventListener("keydown", (event) => {
      if (event.target.matches("input, select, textarea")) { return; }
      const all = boxes();
      const current = document.activeElement.closest(".suggestion[data-code]");
      const index = current ? all.indexOf(current) : -1;
      if (event.key === "j" || event.key === "k") {
        const next = all[Math.max(0, Math.min(all.length - 1, index + (event.key === "j" ? 1 : -1)))];
        if (next) { next.focus(); next.scrollIntoView({block: "center"}); }
      } else if ((event.key === "a" || event.key === "r") && current) {
        current.querySelector(event.key === "a" ? "button.accept" : "button.reject").click();
      }
    });
    // Hovering a box on the page shows its sentence.
    document.querySelectorAll(".box").forEach((box) => box.addEventListener("mouseenter", () => {
      document.querySelectorAll(".segment.hover").forEach((s) => s.classList.remove("hover"));
      const target = document.getElementById(box.dataset.segment);
      if (target) { target.classList.add("hover"); }
    }));
  }

  const table = document.querySelector("#disagreements");
  if (table) {
    table.addEventListener("click", async (event) => {
      const button = event.target.closest("button.settle");
      if (!button) { return; }
      const row = button.closest("tr");
      try {
        await post("/api/adjudicate", {guide: row.dataset.guide, code: row.dataset.code, segment: row.dataset.segment,
                                       value: button.dataset.value === "1", note: row.querySelector(".note").value});
        row.querySelector(".state").textContent = "settled: " + (button.dataset.value === "1" ? "yes" : "no");
        row.classList.add("settled");
      } catch (error) {
        alert("Not recorded: " + error.message);
      }
    });
  }
})();
