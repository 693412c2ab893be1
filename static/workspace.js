// The review workspace keeps what people type: every edit form (a text section, a new or
// edited timeline entry, surprise, follow-up...) is drafted in this browser's localStorage as
// it is typed, restored with a notice when the page opens again (a closed tab, an expired
// session, a section that htmx swapped after a neighbour's save), and forgotten once the
// server has saved it. Leaving the page with unsaved edits asks first; the publish page lists
// the drafts that publishing would leave out.
//
// A static file, because the Content-Security-Policy forbids inline scripts. Without
// JavaScript (or without localStorage) the workspace works as before, with no drafts.
(function () {
  "use strict";

  var root = document.querySelector("[data-draft-scope]");
  var store = (function () {
    try {
      var probe = "irt-draft-probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null; // private mode, storage full or disabled: no drafts, nothing else changes
    }
  })();
  if (!root) {
    return;
  }
  // One user's drafts of one review: another account in the same browser never sees them.
  var prefix = "irt-draft:" + root.getAttribute("data-draft-scope") + ":";
  var MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
  var SKIPPED = { csrfmiddlewaretoken: true };
  var leavingOnPurpose = false;
  var justSubmitted = null;

  function keyOf(form) {
    return prefix + form.getAttribute("action");
  }

  function read(key) {
    if (!store) {
      return null;
    }
    try {
      var draft = JSON.parse(store.getItem(key));
      if (draft && Date.now() - draft.saved < MAX_AGE_MS) {
        return draft;
      }
    } catch (error) {
      // A damaged entry is worth nothing: drop it below.
    }
    store.removeItem(key);
    return null;
  }

  function drafts() {
    var found = [];
    if (!store) {
      return found;
    }
    for (var index = store.length - 1; index >= 0; index -= 1) {
      var key = store.key(index);
      if (key && key.indexOf(prefix) === 0) {
        var draft = read(key);
        if (draft) {
          found.push(draft);
        }
      }
    }
    return found;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && !SKIPPED[element.name] && element.type !== "submit" &&
        element.type !== "button" && element.type !== "file";
    });
  }

  // [name, value] pairs, as the form would send them (useDefaults: as the server sent it).
  function values(form, useDefaults, withHidden) {
    var pairs = [];
    fields(form).forEach(function (element) {
      if (element.type === "hidden" && !withHidden) {
        return;
      }
      if (element.type === "checkbox" || element.type === "radio") {
        if (useDefaults ? element.defaultChecked : element.checked) {
          pairs.push([element.name, element.value]);
        }
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          if (useDefaults ? option.defaultSelected : option.selected) {
            pairs.push([element.name, option.value]);
          }
        });
      } else {
        pairs.push([element.name, useDefaults ? element.defaultValue : element.value]);
      }
    });
    return pairs;
  }

  function same(left, right) {
    return JSON.stringify(left) === JSON.stringify(right);
  }

  function isDirty(form) {
    return !same(values(form, false, false), values(form, true, false));
  }

  function remember(form) {
    if (!store) {
      return;
    }
    var key = keyOf(form);
    if (!isDirty(form)) {
      store.removeItem(key);
      return;
    }
    var draft = {
      label: form.getAttribute("data-draft"),
      anchor: (form.closest("section[id]") || {}).id || "",
      saved: Date.now(),
      // Hidden fields too: the version or change the form was loaded at travels with the
      // draft, so saving it later is checked against what others saved meanwhile.
      fields: values(form, false, true),
      visible: values(form, false, false),
    };
    try {
      store.setItem(key, JSON.stringify(draft));
    } catch (error) {
      // Storage full: the warning before leaving still protects the text.
    }
  }

  function restore(form, draft) {
    var remaining = draft.fields.slice();
    fields(form).forEach(function (element) {
      var mine = remaining.filter(function (pair) { return pair[0] === element.name; });
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = mine.some(function (pair) { return pair[1] === element.value; });
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = mine.some(function (pair) { return pair[1] === option.value; });
        });
      } else if (mine.length) {
        element.value = mine[0][1];
        remaining.splice(remaining.indexOf(mine[0]), 1); // repeated names fill in order
      }
    });
  }

  function when(timestamp) {
    return new Date(timestamp).toLocaleString(undefined, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
  }

  function notice(form, draft) {
    var box = document.createElement("p");
    box.className = "notice draft-restored";
    box.setAttribute("role", "status");
    box.appendChild(document.createTextNode(
      "Restored what you typed here on " + when(draft.saved) +
      " and had not saved. Save to keep it, or "));
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.textContent = "discard it";
    discard.addEventListener("click", function () {
      form.reset();
      if (store) {
        store.removeItem(keyOf(form));
      }
      box.remove();
      summarise();
    });
    box.appendChild(discard);
    box.appendChild(document.createTextNode("."));
    form.parentNode.insertBefore(box, form);
  }

  function reveal(form) {
    for (var node = form.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
  }

  function prepare(form) {
    if (form.draftReady) {
      return;
    }
    form.draftReady = true;
    var key = keyOf(form);
    var draft = read(key);
    if (!draft) {
      return;
    }
    if (form.hasAttribute("data-bound")) {
      return; // the server shows what was posted (an error, a preview, a conflict): keep it
    }
    if (same(draft.visible, values(form, true, false))) {
      store.removeItem(key); // what the server holds now: nothing left to keep
      return;
    }
    restore(form, draft);
    notice(form, draft);
    reveal(form);
  }

  // The list of restored drafts at the top of the workspace, each a link to its section.
  function summarise() {
    var summary = document.getElementById("draft-summary");
    if (!summary) {
      return;
    }
    var restored = document.querySelectorAll(".draft-restored");
    var list = summary.querySelector("ul");
    list.textContent = "";
    Array.prototype.forEach.call(restored, function (box) {
      var form = box.nextElementSibling;
      var section = box.closest("section[id]");
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + (section ? section.id : "");
      link.textContent = form ? form.getAttribute("data-draft") : "";
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = restored.length === 0;
  }

  function prepareAll() {
    document.querySelectorAll("form[data-draft]").forEach(prepare);
    summarise();
  }

  function dirtyForms() {
    return Array.prototype.filter.call(document.querySelectorAll("form[data-draft]"), isDirty);
  }

  // The publish page: what this browser holds that is not saved, and so not published.
  function listUnsaved() {
    var box = document.getElementById("unsaved-drafts");
    if (!box) {
      return;
    }
    var found = drafts();
    var list = box.querySelector("ul");
    found.forEach(function (draft) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = box.getAttribute("data-workspace") + (draft.anchor ? "#" + draft.anchor : "");
      link.textContent = draft.label;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" (typed " + when(draft.saved) + ")"));
      list.appendChild(item);
    });
    box.hidden = found.length === 0;
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft]");
    if (form) {
      remember(form);
    }
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft]");
    if (form) {
      remember(form);
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    justSubmitted = form && form.matches && form.matches("form[data-draft]") ? form : null;
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) {
      justSubmitted = null; // refused (403, 409, 500): nothing was saved, the draft stays
    }
  });

  // A login page that answered instead of the section (the session expired) must not replace
  // the section: the text stays where it is, and in the draft.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var asked = event.detail.requestConfig && event.detail.requestConfig.path;
    if (xhr && xhr.responseURL && asked &&
        new URL(xhr.responseURL).pathname !== new URL(asked, window.location.href).pathname) {
      event.detail.shouldSwap = false;
      justSubmitted = null;
      warn("session-lost");
    }
  });

  function warn(id, reason) {
    var warning = document.getElementById(id);
    if (!warning) {
      return;
    }
    var slot = warning.querySelector("[data-reason]");
    if (slot) {
      slot.textContent = reason;
    }
    warning.hidden = false;
    warning.focus();
  }

  // htmx swaps nothing on an error answer: say so, or the person believes it saved.
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    warn("save-failed", "the server answered " + xhr.status + (xhr.statusText ? " " + xhr.statusText : ""));
  });
  document.body.addEventListener("htmx:sendError", function () {
    warn("save-failed", "the server could not be reached");
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (justSubmitted && store) {
      var key = keyOf(justSubmitted);
      var action = justSubmitted.getAttribute("action");
      var now = Array.prototype.filter.call(
        document.querySelectorAll("form[data-draft]"),
        function (form) { return form.getAttribute("action") === action; });
      // Saved: the form is gone (the item was deleted) or shows the stored state again.
      if (!now.length || !now[0].hasAttribute("data-bound")) {
        store.removeItem(key);
      }
    }
    justSubmitted = null;
    prepareAll();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-publish-link]")) {
      leavingOnPurpose = true; // the publish page names every unsaved draft itself
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (leavingOnPurpose || !dirtyForms().length) {
      return;
    }
    event.preventDefault();
    event.returnValue = ""; // older browsers show their own wording only when this is set
  });
  window.addEventListener("pageshow", function () {
    leavingOnPurpose = false; // back from the publish page: warn again
  });

  prepareAll();
  listUnsaved();
})();
