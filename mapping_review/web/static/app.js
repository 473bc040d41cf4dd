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

  function typing(event) {
    return event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey;
  }

  function setStatus(element, status) {
    element.classList.remove("undecided", "accepted", "rejected");
    element.classList.add(status);
    const state = element.querySelector(".state");
    if (state) { state.textContent = status; }
  }

  function focusItem(item) {
    if (item) { item.focus(); item.scrollIntoView({block: "nearest"}); }
  }

  // Move within a list of items with j/k; the next undecided one after a decision.
  function step(items, current, delta) {
    const index = current ? items.indexOf(current) : -1;
    return items[Math.max(0, Math.min(items.length - 1, index + delta))];
  }

  // Keys over a list of decidable items (the one in focus is within `selector`): j/k move, a/r accept or
  // reject it through `decide(item, action)`, any other key goes to `more(key, item)`.
  function listKeys(selector, items, decide, more) {
    document.addEventListener("keydown", (event) => {
      if (typing(event)) { return; }
      const current = document.activeElement.closest(selector);
      if (event.key === "j" || event.key === "k") {
        focusItem(step(items(), current, event.key === "j" ? 1 : -1));
      } else if ((event.key === "a" || event.key === "r") && current) {
        decide(current, event.key === "a" ? "accept" : "reject");
      } else if (more && current) {
        more(event.key, current);
      }
    });
  }

  function nextUndecided(items, current) {
    const index = items.indexOf(current);
    return items.slice(index + 1).find((i) => i.classList.contains("undecided"))
      || items.find((i) => i.classList.contains("undecided") && i !== current) || step(items, current, 1);
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

  // ---- the guide view: one page with its sentences --------------------------------------------------
  const list = document.querySelector(".segments");
  if (list) {
    const guide = list.dataset.guide;
    const suggestions = () => Array.from(document.querySelectorAll(".segments .suggestion[data-code]"));
    const colourMarks = (segmentId) => {
      const states = Array.from(document.getElementById(segmentId).querySelectorAll(".suggestion"))
        .map((s) => ["accepted", "undecided", "rejected"].find((c) => s.classList.contains(c)));
      const best = ["accepted", "undecided", "rejected"].find((c) => states.includes(c)) || "undecided";
      document.querySelectorAll(`.page [data-segment="${CSS.escape(segmentId)}"].mark, .page [data-segment="${CSS.escape(segmentId)}"].word`)
        .forEach((m) => setStatus(m, best));
    };
    list.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) { return; }
      const segment = button.closest(".segment");
      const action = button.dataset.action;
      const box = button.closest(".suggestion");
      const select = segment.querySelector(".add-code");
      const code = box ? box.dataset.code : select.value;
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
          setStatus(box, result.status);
          colourMarks(segment.dataset.segment);
          focusItem(nextUndecided(suggestions(), box));
        } else {
          const added = document.createElement("div");
          added.className = "suggestion accepted added";
          const label = document.createElement("span");
          label.className = "code";
          label.textContent = result.label;
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
    listKeys(".suggestion[data-code]", suggestions,
             (current, action) => current.querySelector(action === "accept" ? "button.accept" : "button.reject").click());
    // Hovering a box on the page shows its sentence; clicking it brings the sentence into view.
    document.querySelectorAll(".page .box, .page .mark").forEach((box) => box.addEventListener("mouseenter", () => {
      document.querySelectorAll(".segment.hover").forEach((s) => s.classList.remove("hover"));
      const target = document.getElementById(box.dataset.segment);
      if (target) { target.classList.add("hover"); }
    }));
    const focus = list.dataset.focus && document.getElementById(list.dataset.focus);
    if (focus) {
      focus.scrollIntoView({block: "center"});
      focusItem(focus.querySelector(".suggestion[data-code]"));
    }
  }

  // ---- code-first review: every code of a guide --------------------------------------------------
  const codes = document.querySelector("ol.codes");
  if (codes) {
    const guide = codes.dataset.guide;
    const cards = () => Array.from(codes.querySelectorAll(".code-card"));
    const card = () => document.activeElement.closest(".code-card");
    const progress = document.querySelector("#progress strong");
    const nextCard = (from) => {
      const all = cards();
      const index = all.indexOf(from);
      return all.slice(index + 1).find((c) => !c.classList.contains("decided"))
        || all.find((c) => !c.classList.contains("decided") && c !== from);
    };
    async function answer(target, value) {
      try {
        const result = await post("/api/answer", {guide, code: target.dataset.code, answer: value});
        if (value !== "undecided") {
          target.classList.add("decided");
          target.dataset.answer = value;
          target.querySelector(".answer").textContent = value;
        }
        progress.textContent = String(codes.querySelectorAll(".code-card.decided").length);
        const following = nextCard(target);
        if (following) { focusItem(following); } else if (result.next) { window.location.assign(result.next.url); } else {
          window.location.assign("/?done=1");
        }
      } catch (error) {
        alert("Not recorded: " + error.message);
      }
    }
    async function decide(quote, action) {
      const target = quote.closest(".code-card");
      try {
        const result = await post("/api/decide", {guide, segment: quote.dataset.segment, code: target.dataset.code,
                                                  action, origin: "web:code-first"});
        setStatus(quote, result.status);
        if (result.status === "accepted" && !target.classList.contains("decided")) {
          target.classList.add("decided");
          target.querySelector(".answer").textContent = "present (an accepted quote)";
          progress.textContent = String(codes.querySelectorAll(".code-card.decided").length);
        }
        const quotes = Array.from(target.querySelectorAll(".quote"));
        focusItem(quotes.slice(quotes.indexOf(quote) + 1).find((q) => q.classList.contains("undecided")) || target);
      } catch (error) {
        alert("Not recorded: " + error.message);
      }
    }
    codes.addEventListener("click", (event) => {
      const choice = event.target.closest("button.choice");
      if (choice) { answer(choice.closest(".code-card"), choice.dataset.answer); return; }
      const button = event.target.closest(".quote button[data-action]");
      if (button) { decide(button.closest(".quote"), button.dataset.action); }
    });
    document.addEventListener("keydown", (event) => {
      if (typing(event)) { return; }
      const focused = card();  // an answer goes to the code in focus only, never to the first one by default
      const current = focused || cards()[0];
      const quote = document.activeElement.closest(".quote");
      const keys = {y: "present", n: "absent", u: "undecided"};
      if (keys[event.key] && focused) {
        event.preventDefault();
        answer(current, keys[event.key]);
      } else if (event.key === "j" || event.key === "k") {
        const quotes = Array.from(current.querySelectorAll(".quote"));
        if (quotes.length) { focusItem(quote ? step(quotes, quote, event.key === "j" ? 1 : -1) : quotes[0]); }
      } else if (event.key === "J" || event.key === "K") {
        focusItem(step(cards(), current, event.key === "J" ? 1 : -1));
      } else if ((event.key === "a" || event.key === "r") && quote) {
        decide(quote, event.key === "a" ? "accept" : "reject");
      } else if ((event.key === "o" || event.key === "Enter") && quote) {
        window.location.assign(quote.dataset.href);
      } else if (event.key === "N") {
        window.location.assign(codes.dataset.nextUrl);
      }
    });
    const wanted = cards().find((c) => c.dataset.code === codes.dataset.focus);
    focusItem(wanted || cards().find((c) => !c.classList.contains("decided")) || cards()[0]);
  }

  // ---- the queue across guides --------------------------------------------------
  const queue = document.querySelector("ol.queue");
  if (queue) {
    const items = () => Array.from(queue.querySelectorAll(".quote"));
    function render(data) {
      queue.replaceChildren();
      for (const item of data.items) {
        const li = document.createElement("li");
        li.className = "quote undecided";
        li.tabIndex = 0;
        Object.assign(li.dataset, {guide: item.guide, code: item.code, segment: item.segment, href: item.url});
        const where = document.createElement("a");
        where.className = "where";
        where.href = item.url;
        where.textContent = item.guide;
        const parts = [["code-label", item.label], ["text", item.text], ["evidence", "p " + item.probability.toFixed(2)],
                       ["state", "undecided"]].map(([cls, text]) => {
          const span = document.createElement("span");
          span.className = cls;
          span.textContent = text;
          return span;
        });
        const actions = document.createElement("span");
        actions.className = "actions";
        for (const [cls, label] of [["accept", "Accept (a)"], ["reject", "Reject (r)"]]) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = cls;
          b.dataset.action = cls;
          b.textContent = label;
          actions.append(b, " ");
        }
        li.append(where, ...parts, actions);
        queue.append(li);
      }
      document.querySelector("#queue-status .decided").textContent = String(data.decided);
      const hints = document.querySelector("#hints ul");
      hints.replaceChildren(...data.hints.map((h) => {
        const li = document.createElement("li");
        li.className = h.may_stop ? "may-stop" : "";
        const strong = document.createElement("strong");
        strong.textContent = h.label;
        li.append(strong, `: ${h.supporting} of ${h.decided} supported; ${h.message}`);
        return li;
      }));
      focusItem(items()[0]);
    }
    async function decide(item, action) {
      try {
        await post("/api/decide", {guide: item.dataset.guide, segment: item.dataset.segment, code: item.dataset.code,
                                   action, origin: "web:queue"});
        setStatus(item, action === "accept" ? "accepted" : "rejected");
        const params = new URLSearchParams({strategy: queue.dataset.strategy, code: queue.dataset.code});
        const response = await fetch("/api/queue?" + params, {credentials: "same-origin"});
        render(await response.json());
      } catch (error) {
        alert("Not recorded: " + error.message);
      }
    }
    queue.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) { decide(button.closest(".quote"), button.dataset.action); }
    });
    listKeys(".quote", items, decide, (key, current) => {
      if (key === "o") { window.location.assign(current.dataset.href); }
    });
    focusItem(items()[0]);
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

  // The sheet: the saved row comes back into view with its confirmation.
  const saved = document.querySelector("tr.just-saved");
  if (saved) { saved.scrollIntoView({block: "center"}); saved.querySelector(".saved-mark")?.focus?.(); }
})();
