// Usul "today so far": keeps the list of developing stories current from server-sent events.
// Builds every node with textContent and setAttribute (never innerHTML), so nothing a story
// contains can become markup; links only ever point at Usul's own /stories/ pages.
(function () {
  "use strict";
  var list = document.getElementById("live-stories");
  var status = document.getElementById("live-status");
  var empty = document.getElementById("live-empty");
  if (!list || !window.EventSource) { return; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function utc(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return "time unknown"; }
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function badges(story) {
    var p = el("p", "badges");
    var conf = ["high", "medium", "low"].indexOf(story.confidence) >= 0 ? story.confidence : "low";
    p.appendChild(el("span", "badge conf conf-" + conf,
      conf.charAt(0).toUpperCase() + conf.slice(1) + " confidence"));
    if (story.category) {
      var words = String(story.category).replace(/[-_]+/g, " ").trim();
      p.appendChild(el("span", "badge cat", words.charAt(0).toUpperCase() + words.slice(1)));
    }
    if (story.developing_since) { p.appendChild(el("span", "badge dev", "Developing since " + story.developing_since)); }
    return p;
  }

  function card(story) {
    var li = el("li");
    li.setAttribute("data-story-id", story.story_id);
    li.setAttribute("data-score", String(story.score));
    var article = el("article", "story");
    var h3 = el("h3");
    var a = el("a", null, story.headline);
    var href = "/stories/" + encodeURIComponent(story.lens) + "/" + encodeURIComponent(story.day) + "/" +
      encodeURIComponent(story.story_id);
    a.setAttribute("href", href);
    h3.appendChild(a);
    article.appendChild(h3);
    article.appendChild(badges(story));
    var outlets = story.outlets.slice(0, 4).join(", ");
    if (story.outlets.length > 4) { outlets += " and " + (story.outlets.length - 4) + " more"; }
    var noun = story.members === 1 ? "source" : "sources";
    article.appendChild(el("p", "meta", story.members + " " + noun + ": " + outlets + " · updated " +
      utc(story.last_updated)));
    li.appendChild(article);
    return li;
  }

  function place(li) {
    var score = parseFloat(li.getAttribute("data-score"));
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i] !== li && parseFloat(items[i].getAttribute("data-score")) < score) {
        list.insertBefore(li, items[i]);
        return;
      }
    }
    list.appendChild(li);
  }

  function count() {
    var n = list.children.length;
    return n + (n === 1 ? " story." : " stories.");
  }

  function upsert(story) {
    var old = null;
    for (var i = 0; i < list.children.length; i++) {
      if (list.children[i].getAttribute("data-story-id") === story.story_id) { old = list.children[i]; }
    }
    var li = card(story);
    if (old) {
      var keepFocus = old.contains(document.activeElement);
      list.replaceChild(li, old);
      if (keepFocus) { li.querySelector("a").focus(); }
    }
    place(li);
    if (!old || old.getAttribute("data-score") !== li.getAttribute("data-score")) { li.className = "fresh"; }
    if (empty) { empty.hidden = true; }
    return !old;
  }

  var ready = false;
  var source = new EventSource(list.getAttribute("data-events"));
  source.addEventListener("story", function (event) {
    var isNew = upsert(JSON.parse(event.data));
    if (ready) {
      status.textContent = count() + (isNew ? " A new story arrived" : " A story was updated") +
        " at " + utc(new Date().toISOString()) + ".";
    }
  });
  source.addEventListener("ready", function () {
    ready = true;
    status.textContent = count() + " Live: updates appear here as they happen.";
    list.setAttribute("data-live", "connected");
  });
  source.addEventListener("error", function () {
    list.setAttribute("data-live", "reconnecting");
  });
}());
