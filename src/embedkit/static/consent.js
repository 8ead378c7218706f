/*
 * embedkit consent loader: swap a consent placeholder for the real embed on click.
 *
 * A consent placeholder (rendered by embedkit in consent mode) is
 *   <figure class="embedkit ..." data-embedkit-consent="pending"
 *           data-embedkit-scripts='["https://platform.twitter.com/widgets.js"]'>
 *     ...static fallback... <button data-embedkit-load>Load post from X</button>
 *     <template class="embedkit-consent__embed">...the real embed...</template>
 *   </figure>
 * Nothing third-party is requested until the reader presses the button. Then the
 * template's content is cloned into the figure and each listed provider script
 * is loaded once per page, with this script's own nonce (CSP: script-src 'self'
 * 'nonce-...'), if this script's data-embedkit-allow list names it. No inline
 * script, no eval, no innerHTML.
 *
 * A consent manager can load every placeholder (or one provider's) at once:
 *   document.dispatchEvent(new CustomEvent("embedkit:consent",
 *                                          {detail: {provider: "Twitter"}}));
 * Each loaded figure fires a bubbling "embedkit:loaded" event.
 */
(function () {
  "use strict";

  var self = document.currentScript;
  var nonce = self ? self.nonce || self.getAttribute("nonce") || "" : "";
  var requested = Object.create(null);
  var allowed = allowList(self);

  /* The scripts this page may load: data-embedkit-allow on this script's own tag
     (a JSON list written by embedkit), so markup injected into the page cannot
     make us load anything else with the page's nonce. Without it, any http(s)
     script a placeholder lists. */
  function allowList(script) {
    var raw = script ? script.getAttribute("data-embedkit-allow") : null;
    if (raw === null) return null;
    var set = Object.create(null);
    try {
      JSON.parse(raw).forEach(function (src) {
        if (typeof src === "string") set[new URL(src, document.baseURI).href] = true;
      });
    } catch (e) {
      /* an unreadable list allows nothing */
    }
    return set;
  }

  function onPage(href) {
    var scripts = document.scripts;
    for (var i = 0; i < scripts.length; i++) {
      if (scripts[i].src === href) return true;
    }
    return false;
  }

  /* Load one provider script unless the page has it; true when newly requested. */
  function loadScript(src) {
    var url;
    try {
      url = new URL(src, document.baseURI);
    } catch (e) {
      return false;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    var href = url.href;
    if (allowed && !allowed[href]) {
      console.warn("embedkit: not loading " + href + ": not in data-embedkit-allow");
      return false;
    }
    if (requested[href] || onPage(href)) return false;
    requested[href] = true;
    var script = document.createElement("script");
    script.src = href;
    script.async = true;
    script.charset = "utf-8";
    if (nonce) script.nonce = nonce;
    (document.body || document.head).appendChild(script);
    return true;
  }

  /* Scripts that scan the page once when they load must be asked again. */
  function rescan(figure) {
    var twttr = window.twttr;
    if (twttr && twttr.widgets && typeof twttr.widgets.load === "function") {
      twttr.widgets.load(figure);
    }
    var instgrm = window.instgrm;
    if (instgrm && instgrm.Embeds && typeof instgrm.Embeds.process === "function") {
      instgrm.Embeds.process();
    }
  }

  function scriptsOf(figure) {
    var list;
    try {
      list = JSON.parse(figure.getAttribute("data-embedkit-scripts") || "[]");
    } catch (e) {
      return [];
    }
    if (!Array.isArray(list)) return [];
    return list.filter(function (item) {
      return typeof item === "string";
    });
  }

  function load(figure) {
    if (!figure || figure.getAttribute("data-embedkit-consent") !== "pending") return;
    var template = figure.querySelector("template");
    if (!template) return;
    var content = document.importNode(template.content, true);
    while (figure.firstChild) figure.removeChild(figure.firstChild);
    figure.appendChild(content);
    figure.setAttribute("data-embedkit-consent", "given");
    // The button is gone: keep keyboard focus on the embed instead of the page top.
    figure.setAttribute("tabindex", "-1");
    figure.focus({ preventScroll: true });
    var newScript = false;
    scriptsOf(figure).forEach(function (src) {
      if (loadScript(src)) newScript = true;
    });
    if (!newScript) rescan(figure);
    figure.dispatchEvent(new CustomEvent("embedkit:loaded", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || typeof target.closest !== "function") return;
    var button = target.closest("[data-embedkit-load]");
    if (!button) return;
    event.preventDefault();
    load(button.closest("figure.embedkit"));
  });

  document.addEventListener("embedkit:consent", function (event) {
    var provider = event.detail && event.detail.provider;
    var pending = document.querySelectorAll('figure.embedkit[data-embedkit-consent="pending"]');
    Array.prototype.forEach.call(pending, function (figure) {
      if (!provider || figure.getAttribute("data-embedkit-provider") === provider) load(figure);
    });
  });
})();
