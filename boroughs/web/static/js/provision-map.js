/* Boroughs inclusion map: digital support sites (clustered points, filter by kind, details on select) and
 * the gap between need and provision (a layer of the area map, and a section of the area profile).
 *
 * Reads its settings from the page's #map-config (provision_url, gap_url, kinds) and works through
 * window.boroughsMap (map.js). No inline script or style: colours are CSS classes (map.css).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var API = config.api;
  var KIND_COLOURS = {
    library: "#0072b2", digital_hub: "#d55e00", device_lending: "#009e73", data_bank: "#cc79a7",
    free_wifi: "#56b4e9", skills_course: "#e69f00", assisted_digital: "#0b0c0c",
  };
  var el = function (id) { return document.getElementById(id); };
  var all = null, markers = {}, popup = null;
  var state = { show: true, kinds: {}, when: "any" };

  function bm() { return window.boroughsMap; }

  function text(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (value !== undefined && value !== null) node.textContent = value;
    return node;
  }

  function openAt(f) {
    var p = f.properties;
    if (state.when === "evenings") return p.open_evenings === true;
    if (state.when === "weekends") return p.open_weekends === true;
    if (state.when === "evenings_or_weekends") return p.open_evenings === true || p.open_weekends === true;
    return true;
  }

  function shown() {
    if (!all || !state.show) return [];
    return all.features.filter(function (f) { return state.kinds[f.properties.kind] !== false && openAt(f); });
  }

  function refresh() {
    var map = bm().map, src = map.getSource("provision");
    if (!src) return;
    var features = shown();
    src.setData({ type: "FeatureCollection", features: features });
    var status = el("provision-status");
    var examples = features.filter(function (f) { return f.properties.example; }).length;
    status.textContent = state.show ? features.length + " digital support site" + (features.length === 1 ? "" : "s") +
      " shown" + (examples ? " (" + examples + " of them examples, not real places)" : "") + "." : "Digital support sites hidden.";
    document.body.dataset.provisionShown = String(features.length);
  }

  function updateClusterMarkers() {
    var map = bm().map, seen = {};
    if (!map.getSource("provision")) return;
    map.querySourceFeatures("provision").forEach(function (f) {
      var p = f.properties;
      if (!p.cluster) return;
      var id = p.cluster_id;
      seen[id] = true;
      if (!markers[id]) {
        var div = text("div", "map-cluster", String(p.point_count));
        div.setAttribute("aria-hidden", "true");
        markers[id] = new maplibregl.Marker({ element: div }).setLngLat(f.geometry.coordinates).addTo(map);
      }
    });
    Object.keys(markers).forEach(function (id) { if (!seen[id]) { markers[id].remove(); delete markers[id]; } });
  }

  function details(p) {
    var box = text("div", "map-site");
    box.appendChild(text("h3", "govuk-heading-s govuk-!-margin-bottom-1", p.name));
    var kind = text("p", "govuk-body-s govuk-!-margin-bottom-1", p.kind_label);
    if (p.example) { kind.appendChild(document.createTextNode(" ")); kind.appendChild(text("strong", "govuk-tag govuk-tag--grey", "example")); }
    box.appendChild(kind);
    if (p.example) box.appendChild(text("p", "govuk-body-s govuk-!-margin-bottom-1", "A made-up site for the demonstration, not a real place."));
    var dl = text("dl", "map-site__list");
    var add = function (k, v) { if (v) { dl.appendChild(text("dt", "", k)); dl.appendChild(text("dd", "", v)); } };
    add("Address", [p.address, p.postcode].filter(Boolean).join(", "));
    add("Opening hours", p.opening_hours || "Not given");
    var when = [];
    if (p.open_evenings) when.push("evenings");
    if (p.open_weekends) when.push("weekends");
    add("Open", when.length ? when.join(" and ") : (p.open_evenings === false || p.open_weekends === false ? "Not evenings or weekends" : ""));
    add("Who it serves", p.serves);
    add("Council", p.council);
    box.appendChild(dl);
    if (p.website) {
      var a = text("a", "govuk-link govuk-body-s", "Website");
      a.href = p.website; a.rel = "noopener";
      box.appendChild(a);
    }
    return box;
  }

  function addLayers() {
    var map = bm().map;
    var colour = ["match", ["get", "kind"]];
    Object.keys(KIND_COLOURS).forEach(function (k) { colour.push(k, KIND_COLOURS[k]); });
    colour.push("#505a5f");
    map.addSource("provision", { type: "geojson", data: { type: "FeatureCollection", features: shown() },
      cluster: true, clusterRadius: 36, clusterMaxZoom: 13 });
    map.addLayer({ id: "provision-clusters", type: "circle", source: "provision", filter: ["has", "point_count"],
      paint: { "circle-color": "#0b0c0c", "circle-opacity": 0.85, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2,
        "circle-radius": ["step", ["get", "point_count"], 13, 5, 16, 15, 20] } });
    map.addLayer({ id: "provision-points", type: "circle", source: "provision", filter: ["!", ["has", "point_count"]],
      paint: { "circle-color": colour, "circle-radius": 7, "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
    map.on("click", "provision-clusters", function (e) {
      var f = e.features[0];
      map.getSource("provision").getClusterExpansionZoom(f.properties.cluster_id).then(function (z) {
        map.easeTo({ center: f.geometry.coordinates, zoom: z, duration: 0 });
      });
    });
    map.on("click", "provision-points", function (e) {
      var f = e.features[0];
      if (popup) popup.remove();
      popup = new maplibregl.Popup({ closeButton: true, maxWidth: "300px" }).setLngLat(f.geometry.coordinates)
        .setDOMContent(details(f.properties)).addTo(map);
      el("map-status").textContent = "Showing the site " + f.properties.name + ".";
    });
    ["provision-clusters", "provision-points"].forEach(function (id) {
      map.on("mouseenter", id, function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", id, function () { map.getCanvas().style.cursor = ""; });
    });
    map.on("moveend", updateClusterMarkers);
    map.on("sourcedata", function (e) { if (e.sourceId === "provision" && e.isSourceLoaded) updateClusterMarkers(); });
  }

  function wire() {
    el("provision-show").addEventListener("change", function () { state.show = this.checked; refresh(); });
    document.querySelectorAll("[data-provision-kind]").forEach(function (box) {
      state.kinds[box.value] = box.checked;
      box.addEventListener("change", function () { state.kinds[box.value] = box.checked; refresh(); });
    });
    el("provision-when").addEventListener("change", function () {
      state.when = this.value;
      refresh();
      var info = bm().layers.gap;
      if (info) {
        info.values_url = config.gap_url + "?when=" + encodeURIComponent(state.when);
        bm().reloadLayer("gap");
      }
      if (bm().state.profile) renderGap(bm().state.profile);
    });
  }

  // ---- the gap in the area profile ------------------------------------------------------------
  var gapCache = {};

  function renderGap(p) {
    var body = el("profile-body");
    if (!body) return;
    var key = p.code + "|" + state.when;
    var draw = function (g) {
      if (!bm().state.profile || bm().state.profile.code !== p.code) return;
      var old = el("profile-gap");
      if (old) old.remove();
      var box = text("div", "map-profile__gap");
      box.id = "profile-gap";
      box.appendChild(text("h3", "govuk-heading-s govuk-!-margin-bottom-1", "Digital support nearby"));
      box.appendChild(text("p", "govuk-body-s govuk-!-margin-bottom-1", g.sentence));
      if (g.by_kind.length) {
        var ul = text("ul", "govuk-list govuk-body-s govuk-!-margin-bottom-1");
        g.by_kind.forEach(function (k) { ul.appendChild(text("li", "", k.label + ": " + k.km.toFixed(1) + " km, about " + k.minutes + " minutes' walk")); });
        box.appendChild(ul);
      }
      box.appendChild(text("p", "govuk-body-s", g.within_walk + " site" + (g.within_walk === 1 ? "" : "s") + " within " + g.walk_limit_minutes +
        " minutes' walk. Gap rank " + g.borough_rank.toLocaleString("en-GB") + " of " + g.areas_in_borough.toLocaleString("en-GB") +
        " in the borough (1 = the biggest gap)." + (g.nearest_is_example ? " The nearest site is an example, not a real place." : "")));
      var link = el("profile-link");
      if (link && link.parentNode) body.insertBefore(box, link.parentNode); else body.appendChild(box);
    };
    if (gapCache[key]) { draw(gapCache[key]); return; }
    fetch(API + "/gaps/areas/" + encodeURIComponent(p.code) + "?when=" + encodeURIComponent(state.when))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) { if (g) { gapCache[key] = g; draw(g); } });
  }

  document.addEventListener("boroughs:profile", function (e) { renderGap(e.detail); });

  function start() {
    var data = fetch(config.provision_url).then(function (r) { return r.json(); });
    var ready = function () {
      data.then(function (doc) {
        all = doc;
        addLayers();
        wire();
        refresh();
        document.body.dataset.provisionReady = "1";
      }).catch(function (err) { el("provision-status").textContent = "The digital support sites could not load (" + err.message + ")."; });
    };
    if (document.body.dataset.mapReady === "1") { ready(); return; }
    document.addEventListener("boroughs:map-ready", ready, { once: true });
  }

  start();
})();
