/* Boroughs inclusion map (/map): MapLibre GL JS, TopoJSON boundaries, live re-weighting in the browser.
 *
 * Data: GET {api}/map-data (codes, names, places, overall and need-type scores); the areas are drawn from
 * the vector tiles {api}/tiles/lsoa21/{z}/{x}/{y}.mvt (a feature's id is its position in the codes), and
 * {api}/boundaries/lsoa21.topojson follows the first draw, for outlining and zooming to areas. Other
 * layers' values are fetched when chosen. Colours are feature state ("fill"), so re-colouring 4,994 areas
 * never restyles the layer or re-tiles it.
 * The overall score under new weights is combine() — the same formula as boroughs/inclusion/map/index.py.
 */
(function () {
  "use strict";

  // Inline style attributes are refused by the Content-Security-Policy: set them through the CSSOM.
  function applyDataStyles(root) {
    root.querySelectorAll("[data-style-background],[data-style-width],[data-style-left]").forEach(function (n) {
      if (n.dataset.styleBackground) n.style.background = n.dataset.styleBackground;
      if (n.dataset.styleWidth) n.style.width = n.dataset.styleWidth;
      if (n.dataset.styleLeft) n.style.left = n.dataset.styleLeft;
    });
  }

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var API = config.api;
  // ColorBrewer YlGnBu (5 classes): safe for colour-blind readers and in greyscale print.
  var SEQUENTIAL = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];
  var NO_DATA = "#d8d8d8";
  var CLASS_NAMES = { quantiles: "quantiles", equal: "equal intervals", jenks: "natural breaks" };

  var state = {
    layer: "score", classification: "quantiles", borough: "", area: null, weights: {},
    breaks: [], classes: null, values: null, ranks: null, lastUpdateMs: null, lastRecolourMs: null,
  };
  var data = null, geo = null, map = null, layerInfo = {}, layerCache = {}, profileCache = {};
  var defaultWeights = {}, needIndex = [], hovered = null, wardLabels = [], ready = false, coloured = false;
  var el = function (id) { return document.getElementById(id); };
  var status = el("map-status");

  // ---- numbers ----------------------------------------------------------------------------------
  function combine(weights) {
    // Weighted mean of need scores, shifted to equal the built score at the published weights.
    var n = data.count, k = needIndex.length, out = new Float64Array(n);
    var base = data.values.score;
    var w = needIndex.map(function (t) { return weights[t.id]; });
    var w0 = needIndex.map(function (t) { return t.weight; });
    var cols = needIndex.map(function (t) { return data.values["need:" + t.id]; });
    for (var i = 0; i < n; i++) {
      var s = 0, sw = 0, s0 = 0, sw0 = 0;
      for (var j = 0; j < k; j++) {
        var v = cols[j][i];
        if (v === null) continue;
        s += w[j] * v; sw += w[j]; s0 += w0[j] * v; sw0 += w0[j];
      }
      var b = base[i];
      out[i] = (sw > 0 && sw0 > 0 && b !== null) ? s / sw + (b - s0 / sw0) : NaN;
    }
    return out;
  }

  function isDefault(weights) {
    return needIndex.every(function (t) { return Math.abs(weights[t.id] - t.weight) < 1e-9; });
  }

  function evaluate() {
    // [scores, ranks] under state.weights: the build's own at the published weights.
    if (isDefault(state.weights)) {
      var base = Float64Array.from(data.values.score, function (v) { return v === null ? NaN : v; });
      return [base, data.values.rank ? Int32Array.from(data.values.rank) : rankOf(base)];
    }
    if (data.mode === "additive") {
      // Each need type's contribution to the raw score, times its weight (map/index.py, additive_raw).
      var n = data.count, raw = new Float64Array(n);
      needIndex.forEach(function (t) {
        var col = data.values["contrib:" + t.id], w = state.weights[t.id];
        for (var i = 0; i < n; i++) raw[i] = raw[i] + w * (col[i] === null ? 0 : col[i]);
      });
      return [percentile(raw), rankOf(raw)];
    }
    var s = combine(state.weights);
    return [s, rankOf(s)];
  }

  function percentile(raw) {
    // 0–100, ties sharing their average rank (map/index.py, percentile).
    var n = raw.length, order = new Array(n), out = new Float64Array(n);
    for (var i = 0; i < n; i++) order[i] = i;
    order.sort(function (a, b) { return raw[a] - raw[b]; });
    var start = 0;
    while (start < n) {
      var end = start;
      while (end + 1 < n && raw[order[end + 1]] === raw[order[start]]) end++;
      var avg = (start + end) / 2 + 1;
      for (var k = start; k <= end; k++) out[order[k]] = 100 * (avg - 0.5) / n;
      start = end + 1;
    }
    return out;
  }

  function rankOf(values) {
    // Rank 1 = the greatest risk; ties share the best rank (as the server's rank_desc).
    var n = values.length, order = new Array(n), ranks = new Int32Array(n);
    for (var i = 0; i < n; i++) order[i] = i;
    order.sort(function (a, b) {
      var x = values[a], y = values[b];
      if (isNaN(x)) return isNaN(y) ? 0 : 1;
      if (isNaN(y)) return -1;
      return y - x;
    });
    for (var r = 0; r < n; r++) {
      var idx = order[r];
      ranks[idx] = (r > 0 && values[order[r - 1]] === values[idx]) ? ranks[order[r - 1]] : r + 1;
    }
    return ranks;
  }

  function finiteSorted(values) {
    var out = [];
    for (var i = 0; i < values.length; i++) if (values[i] !== null && !isNaN(values[i])) out.push(values[i]);
    return out.sort(function (a, b) { return a - b; });
  }

  function jenks(sorted, k) {
    // Fisher–Jenks on at most 400 evenly spaced order statistics (fast enough for live re-weighting).
    var m = Math.min(sorted.length, 400), sample = [];
    for (var s = 0; s < m; s++) sample.push(sorted[Math.round(s * (sorted.length - 1) / Math.max(m - 1, 1))]);
    var n = sample.length, i, j, l;
    var lower = [], variance = [];
    for (i = 0; i <= n; i++) { lower.push(new Array(k + 1).fill(0)); variance.push(new Array(k + 1).fill(Infinity)); }
    for (j = 1; j <= k; j++) { lower[1][j] = 1; variance[1][j] = 0; }
    for (l = 2; l <= n; l++) {
      var s1 = 0, s2 = 0, w = 0, v = 0;
      for (var mm = 1; mm <= l; mm++) {
        var i3 = l - mm + 1, val = sample[i3 - 1];
        s2 += val * val; s1 += val; w++;
        v = s2 - (s1 * s1) / w;
        var i4 = i3 - 1;
        if (i4 !== 0) {
          for (j = 2; j <= k; j++) {
            if (variance[l][j] >= v + variance[i4][j - 1]) { lower[l][j] = i3; variance[l][j] = v + variance[i4][j - 1]; }
          }
        }
      }
      lower[l][1] = 1; variance[l][1] = v;
    }
    var breaks = [], kk = n;
    for (j = k; j >= 2; j--) { var id = lower[kk][j] - 2; breaks.unshift(sample[Math.max(id, 0)]); kk = lower[kk][j] - 1; }
    return breaks;
  }

  function computeBreaks(values, method, k) {
    var sorted = finiteSorted(values);
    if (!sorted.length) return [];
    var min = sorted[0], max = sorted[sorted.length - 1], out = [], i;
    if (method === "equal") {
      for (i = 1; i < k; i++) out.push(min + (max - min) * i / k);
    } else if (method === "jenks") {
      out = jenks(sorted, k);
    } else {
      for (i = 1; i < k; i++) out.push(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * i / k))]);
    }
    // Strictly increasing upper bounds (ties in quantiles collapse classes).
    var uniq = [];
    out.forEach(function (b) { if (!uniq.length || b > uniq[uniq.length - 1]) uniq.push(b); });
    return uniq.filter(function (b) { return b > min && b <= max; });
  }

  function classify(v, breaks) {
    if (v === null || isNaN(v)) return -1;
    var c = 0;
    while (c < breaks.length && v >= breaks[c]) c++;
    return c;
  }

  function fmt(v, unit) {
    if (v === null || v === undefined || isNaN(v)) return "no figure";
    if (unit === "%") return (Math.abs(v) <= 1.5 ? (v * 100).toFixed(1) : v.toFixed(1)) + "%";
    if (unit === "people") return Math.round(v).toLocaleString("en-GB");
    var a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString("en-GB");
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return v.toFixed(3);
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  // ---- TopoJSON -> GeoJSON ----------------------------------------------------------------------
  function topoToFeatures(topo) {
    var tf = topo.transform, arcs = topo.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (p) {
        if (tf) { x += p[0]; y += p[1]; return [x * tf.scale[0] + tf.translate[0], y * tf.scale[1] + tf.translate[1]]; }
        return p;
      });
    });
    function ring(ids) {
      var out = [];
      ids.forEach(function (id, n) {
        var arc = id < 0 ? arcs[~id].slice().reverse() : arcs[id];
        for (var i = n === 0 ? 0 : 1; i < arc.length; i++) out.push(arc[i]);
      });
      if (out.length && (out[0][0] !== out[out.length - 1][0] || out[0][1] !== out[out.length - 1][1])) out.push(out[0]);
      return out;
    }
    var object = topo.objects[Object.keys(topo.objects)[0]];
    return object.geometries.map(function (g, i) {
      var geometry = null;
      if (g.type === "Polygon") geometry = { type: "Polygon", coordinates: g.arcs.map(ring) };
      else if (g.type === "MultiPolygon") geometry = { type: "MultiPolygon", coordinates: g.arcs.map(function (p) { return p.map(ring); }) };
      return { type: "Feature", id: i, properties: {}, geometry: geometry };
    });
  }

  // The areas' own outlines (GeoJSON, from the TopoJSON), for outlining and zooming to areas: fetched after
  // the first draw (the map itself draws from tiles), or at once when something needs them sooner.
  var geoLoading = null;
  function withGeo(fn) {
    if (!geoLoading) {
      geoLoading = fetch(API + "/boundaries/lsoa21.topojson").then(function (r) { return r.json(); })
        .then(function (topo) { geo = topoToFeatures(topo); drawFocus(); });
    }
    return geoLoading.then(fn);
  }

  function bboxOf(features) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    features.forEach(function (f) {
      if (!f || !f.geometry) return;
      var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
      polys.forEach(function (p) { p[0].forEach(function (c) {
        if (c[0] < b[0]) b[0] = c[0]; if (c[1] < b[1]) b[1] = c[1]; if (c[0] > b[2]) b[2] = c[0]; if (c[1] > b[3]) b[3] = c[1];
      }); });
    });
    return b;
  }

  // ---- URL state ------------------------------------------------------------------------------
  function weightsText() {
    if (isDefault(state.weights)) return "";
    return needIndex.map(function (t) { return t.id + ":" + state.weights[t.id]; }).join(",");
  }

  function writeUrl() {
    var p = new URLSearchParams();
    if (state.layer !== "score") p.set("layer", state.layer);
    if (state.classification !== "quantiles") p.set("class", state.classification);
    if (state.borough) p.set("borough", state.borough);
    var w = weightsText();
    if (w) p.set("w", w);
    if (state.area) p.set("area", state.area);
    if (map) {
      var c = map.getCenter();
      p.set("at", c.lng.toFixed(4) + "," + c.lat.toFixed(4) + "," + map.getZoom().toFixed(2));
    }
    var qs = p.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs.replace(/%2C/g, ",").replace(/%3A/g, ":") : ""));
    var tq = new URLSearchParams();
    if (state.borough) tq.set("borough", state.borough);
    if (w) tq.set("w", w);
    el("table-link").href = "/map/table" + (tq.toString() ? "?" + tq.toString() : "");
    el("briefing-link").href = state.borough ? "/map/boroughs/" + state.borough + (w ? "?w=" + encodeURIComponent(w) : "") : "/map/boroughs";
  }

  function readUrl() {
    var p = new URLSearchParams(location.search);
    if (p.get("layer") && layerInfo[p.get("layer")]) state.layer = p.get("layer");
    if (CLASS_NAMES[p.get("class")]) state.classification = p.get("class");
    var b = p.get("borough");
    if (b && data.boroughs.some(function (x) { return x.code === b; })) state.borough = b;
    (p.get("w") || "").split(",").forEach(function (part) {
      var kv = part.split(":"), v = parseFloat(kv[1]);
      if (kv.length === 2 && kv[0] in state.weights && isFinite(v)) state.weights[kv[0]] = Math.min(Math.max(v, 0), 5);
    });
    var a = p.get("area");
    if (a && codeIndex[a] !== undefined) state.area = a;
  }

  function viewInUrl() {  // the view a shared link opens at (needs no data)
    var at = (new URLSearchParams(location.search).get("at") || "").split(",").map(parseFloat);
    return at.length === 3 && at.every(isFinite) ? { center: [at[0], at[1]], zoom: at[2] } : null;
  }

  // ---- colouring ------------------------------------------------------------------------------
  var codeIndex = {};

  function currentValues() {
    if (state.layer === "score") return state.scores;
    return layerCache[state.layer];
  }

  function colours(info) {
    if (info.palette === "categorical") return null;
    return info.higher_is_worse ? SEQUENTIAL : SEQUENTIAL.slice().reverse();
  }

  // The areas' colours are feature state ("fill", a colour): re-colouring sets the states that change and
  // never restyles the layer (a new data-driven paint value would make the map cut its tiles again).
  var FILL_COLOUR = ["to-color", ["coalesce", ["feature-state", "fill"], NO_DATA]];

  function applyColours(all) {
    var fills = state.fills, shown = state.shown || (state.shown = new Array(data.count));
    for (var f = 0; f < data.count; f++) {
      if (all || shown[f] !== fills[f]) {
        map.setFeatureState({ source: "lsoa", sourceLayer: "lsoa", id: f }, { fill: fills[f] });
        shown[f] = fills[f];
      }
    }
  }

  function recolour() {
    var t0 = performance.now();
    var info = layerInfo[state.layer], values = currentValues(), n = data.count, cls = new Int16Array(n), palette;
    // Grouping applies to numbers only: hide the control for a categorical layer (area types).
    var group = el("classification-group");
    if (group) group.hidden = info.palette === "categorical";
    if (info.palette === "categorical") {
      var types = Object.keys(data.area_types);
      palette = types.map(function (t) { return data.area_types[t].colour; });
      for (var i = 0; i < n; i++) cls[i] = values[i] === null ? -1 : types.indexOf(String(values[i]));
      state.breaks = types;
    } else {
      state.breaks = computeBreaks(values, state.classification, SEQUENTIAL.length);
      var base = colours(info);
      palette = base.slice(base.length - state.breaks.length - 1);
      if (!info.higher_is_worse) palette = base.slice(0, state.breaks.length + 1);
      for (var j = 0; j < n; j++) cls[j] = classify(values[j], state.breaks);
    }
    state.palette = palette;
    state.classes = cls;
    var fills = state.fills = new Array(n);
    for (var f = 0; f < n; f++) fills[f] = cls[f] < 0 ? NO_DATA : palette[cls[f]];
    if (coloured) applyColours(false);
    drawLegend(info, values);
    state.lastRecolourMs = performance.now() - t0;
  }

  function drawLegend(info, values) {
    el("legend-title").textContent = info.name;
    el("legend-description").textContent = info.description + (info.palette === "categorical" ? "" :
      " Grouped by " + CLASS_NAMES[state.classification] + ".");
    var counts = {}, n = data.count;
    for (var i = 0; i < n; i++) counts[state.classes[i]] = (counts[state.classes[i]] || 0) + 1;
    var items = [];
    if (info.palette === "categorical") {
      state.breaks.forEach(function (t, i) {
        items.push([state.palette[i], data.area_types[t].name, counts[i] || 0]);
      });
    } else {
      var sorted = finiteSorted(values), min = sorted[0], max = sorted[sorted.length - 1];
      var edges = [min].concat(state.breaks, [max]);
      for (var c = 0; c < edges.length - 1; c++) {
        items.push([state.palette[c], fmt(edges[c], info.unit) + " to " + fmt(edges[c + 1], info.unit) +
          (c === 0 ? (info.higher_is_worse ? " (lower risk)" : " (higher risk)") : "") +
          (c === edges.length - 2 ? (info.higher_is_worse ? " (higher risk)" : " (lower risk)") : ""),
          counts[c] || 0]);
      }
    }
    if (counts[-1]) items.push([NO_DATA, "No figure", counts[-1]]);
    el("legend-list").innerHTML = items.map(function (it) {
      return '<li><span class="map-swatch" data-style-background="' + it[0] + '" aria-hidden="true"></span>' + esc(it[1]) +
        ' <span class="govuk-body-s govuk-!-margin-0">(' + it[2].toLocaleString("en-GB") + " areas)</span></li>";
    }).join("");
    applyDataStyles(el("legend-list"));
  }

  function update() {
    // Re-weighting: scores, ranks, colours, legend and the open profile (measured for the benchmark).
    var t0 = performance.now();
    var ev = evaluate();
    state.scores = ev[0];
    state.ranks = ev[1];
    if (state.layer === "score") recolour();
    renderProfileFigures();
    writeUrl();
    state.lastUpdateMs = performance.now() - t0;
    document.body.dataset.mapUpdated = String(Date.now());
  }

  function ensureLayer(id) {
    if (id === "score" || layerCache[id]) return Promise.resolve();
    if (id.indexOf("need:") === 0 && data.values[id]) { layerCache[id] = data.values[id]; return Promise.resolve(); }
    var url = layerInfo[id] && layerInfo[id].values_url ? layerInfo[id].values_url : API + "/layers/" + encodeURIComponent(id) + "/values";
    return fetch(url).then(function (r) { return r.json(); })
      .then(function (doc) { layerCache[id] = doc.values; });
  }

  function setLayer(id) {
    state.layer = id;
    status.textContent = "Loading " + layerInfo[id].name + "…";
    return ensureLayer(id).then(function () {
      state.classes = null;
      recolour();
      writeUrl();
      status.textContent = "Showing " + layerInfo[id].name + ".";
    });
  }

  // ---- borough filter -------------------------------------------------------------------------
  function setBorough(code, fly) {
    state.borough = code;
    el("borough").value = code;
    var bi = code ? data.boroughs.findIndex(function (b) { return b.code === code; }) : -1;
    for (var i = 0; i < data.count; i++) {
      map.setFeatureState({ source: "lsoa", sourceLayer: "lsoa", id: i }, { out: bi >= 0 && data.borough[i] !== bi });
    }
    if (fly !== false) {
      var box = bi >= 0 ? data.boroughs[bi].bbox : londonBox;
      map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 20, duration: 0 });
    }
    writeUrl();
  }

  // ---- profile --------------------------------------------------------------------------------
  function select(code, zoom) {
    var i = codeIndex[code];
    if (i === undefined) return;
    state.area = code;
    drawFocus();
    if (zoom) {
      withGeo(function () {
        if (state.area !== code) return;
        var b = bboxOf([geo[i]]);
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 13.5, duration: 0 });
      });
    }
    el("profile").hidden = false;
    el("profile").parentNode.classList.add("map-layout--profile");
    el("profile-heading").textContent = data.names[i];
    el("profile-body").innerHTML = '<p class="govuk-body">Loading the profile…</p>';
    map.resize();
    var done = function (p) { if (state.area === code) { state.profile = p; renderProfile(); } };
    if (profileCache[code]) done(profileCache[code]);
    else fetch(API + "/areas/" + code).then(function (r) { return r.json(); }).then(function (p) { profileCache[code] = p; done(p); });
    writeUrl();
  }

  function drawFocus() {
    var src = map && map.getSource("focus");
    if (!src) return;
    if (!geo) { withGeo(function () {}); return; }  // drawn again once the outlines are in
    var feats = [];
    var add = function (i, kind) { if (i !== null && i !== undefined && geo[i]) feats.push({ type: "Feature", properties: { kind: kind }, geometry: geo[i].geometry }); };
    highlighted.forEach(function (i) { add(i, "hl"); });
    if (hovered !== null) add(hovered, "hover");
    if (state.area !== null) add(codeIndex[state.area], "sel");
    src.setData({ type: "FeatureCollection", features: feats });
  }

  function closeProfile() {
    state.area = null; state.profile = null;
    drawFocus();
    el("profile").hidden = true;
    el("profile").parentNode.classList.remove("map-layout--profile");
    map.resize();
    writeUrl();
    el("map").querySelector("canvas").focus();
  }

  function renderProfile() {
    var p = state.profile;
    var needMax = p.need_scale_max || 1;
    var pct = function (v) { return Math.max(0, Math.min(100, v / needMax * 100)).toFixed(1); };
    var bars = p.needs.map(function (t) {
      return '<div class="map-bar"><p class="govuk-body-s govuk-!-margin-bottom-1"><strong>' + esc(t.name) + "</strong>: " + fmt(t.value) +
        " (borough " + fmt(t.borough) + ", London " + fmt(t.london) + ")</p>" +
        '<div class="map-bar__track" aria-hidden="true"><span class="map-bar__fill" data-style-width="' + pct(t.value) + '%"></span>' +
        '<span class="map-bar__mark map-bar__mark--borough" data-style-left="' + pct(t.borough) + '%"></span>' +
        '<span class="map-bar__mark map-bar__mark--london" data-style-left="' + pct(t.london) + '%"></span></div></div>';
    }).join("");
    var r = p.residents || {}, type = p.area_type;
    var residents = r.estimate === null || r.estimate === undefined ? "No estimate" :
      fmt(r.estimate, "people") + (r.low !== null && r.high !== null ? " (90% interval " + fmt(r.low, "people") + " to " + fmt(r.high, "people") + ")" : "") +
      (r.rate !== null && r.rate !== undefined ? ", " + fmt(r.rate, "%") + " of adults" : "");
    var link = "/map/areas/" + p.code + (weightsText() ? "?w=" + encodeURIComponent(weightsText()) : "");
    el("profile-body").innerHTML =
      '<p class="govuk-body-s govuk-!-margin-bottom-2">' + esc(p.code) + (p.ward ? " · " + esc(p.ward.name) + " ward" : "") + " · " + esc(p.borough.name) + "</p>" +
      '<dl class="govuk-summary-list govuk-summary-list--no-border govuk-!-margin-bottom-3">' +
      '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Overall score</dt><dd class="govuk-summary-list__value" id="profile-score"></dd></div>' +
      '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Rank in London</dt><dd class="govuk-summary-list__value" id="profile-rank"></dd></div>' +
      '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Area type</dt><dd class="govuk-summary-list__value">' +
      (type ? esc(type.name) + (type.description ? '<br><span class="govuk-body-s">' + esc(type.description) + "</span>" : "") : "No type") + "</dd></div>" +
      '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Residents likely offline</dt><dd class="govuk-summary-list__value" id="profile-residents">' + residents + "</dd></div>" +
      "</dl>" +
      '<h3 class="govuk-heading-s govuk-!-margin-bottom-1">What raises its risk</h3><ul class="govuk-list govuk-list--bullet govuk-body-s" id="profile-reasons">' +
      p.reasons.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>" +
      ((p.lowers && p.lowers.length) ? '<h3 class="govuk-heading-s govuk-!-margin-bottom-1">What lowers its risk</h3><ul class="govuk-list govuk-list--bullet govuk-body-s" id="profile-lowers">' +
      p.lowers.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>" : "") +
      '<h3 class="govuk-heading-s govuk-!-margin-bottom-1">Types of need</h3>' +
      '<p class="govuk-body-s"><span class="map-key map-key--area"></span>this area <span class="map-key map-key--borough"></span>borough average <span class="map-key map-key--london"></span>London average. Higher means greater need.</p>' +
      '<div class="map-bars" id="profile-bars">' + bars + "</div>" +
      '<p class="govuk-body"><a class="govuk-link" id="profile-link" href="' + link + '">Printable profile of ' + esc(p.name) + "</a></p>";
    applyDataStyles(el("profile-body"));
    renderProfileFigures();
    document.dispatchEvent(new CustomEvent("boroughs:profile", { detail: p }));
  }

  function renderProfileFigures() {
    if (!state.profile || !el("profile-score")) return;
    var i = codeIndex[state.profile.code], rank = state.ranks[i];
    el("profile-score").textContent = fmt(state.scores[i]) + (isDefault(state.weights) ? "" : " (with your weights)");
    var interval = state.profile.rank_interval, text = rank.toLocaleString("en-GB") + " of " + data.count.toLocaleString("en-GB") + " (1 = greatest risk)";
    if (interval && isDefault(state.weights)) text += "; likely between " + interval[0].toLocaleString("en-GB") + " and " + interval[1].toLocaleString("en-GB");
    else if (interval) text += "; the uncertainty interval is for the published weights";
    el("profile-rank").textContent = text;
    var w = weightsText();
    el("profile-link").href = "/map/areas/" + state.profile.code + (w ? "?w=" + encodeURIComponent(w) : "");
  }

  // ---- search ---------------------------------------------------------------------------------
  function searchPlaces(q) {
    var box = el("search-results");
    if (q.trim().length < 2) { box.innerHTML = '<p class="govuk-body-s">Type at least 2 letters.</p>'; return; }
    fetch(API + "/search?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (doc) {
      if (!doc.items.length) { box.innerHTML = '<p class="govuk-body-s">No place matches “' + esc(q) + "”.</p>"; return; }
      box.innerHTML = '<p class="govuk-body-s govuk-!-margin-bottom-1">' + doc.items.length + " found:</p><ul>" + doc.items.map(function (it, n) {
        return '<li><button type="button" class="boroughs-link-button govuk-body-s" data-kind="' + it.kind + '" data-code="' + esc(it.code) + '" data-n="' + n + '">' + esc(it.label) + "</button></li>";
      }).join("") + "</ul>";
      if (doc.items.length === 1) goTo(doc.items[0].kind, doc.items[0].code);
    });
  }

  function goTo(kind, code) {
    clearHighlight();
    if (kind === "borough") { setBorough(code); status.textContent = "Zoomed to " + nameOfBorough(code) + "."; return; }
    if (kind === "ward") {
      var wi = data.wards.findIndex(function (w) { return w.code === code; }), members = [];
      for (var i = 0; i < data.count; i++) if (data.ward[i] === wi) members.push(i);
      highlighted = members;
      drawFocus();
      withGeo(function () {
        var b = bboxOf(members.map(function (m) { return geo[m]; }));
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 0 });
        status.textContent = "Zoomed to " + data.wards[wi].name + " ward (" + members.length + " areas, outlined).";
      });
      return;
    }
    select(code, true);
    status.textContent = "Showing " + data.names[codeIndex[code]] + ".";
    el("profile").focus();
  }

  var highlighted = [];
  function clearHighlight() {
    highlighted = [];
    drawFocus();
  }

  function nameOfBorough(code) {
    var b = data.boroughs.find(function (x) { return x.code === code; });
    return b ? b.name : code;
  }

  // ---- labels ---------------------------------------------------------------------------------
  function label(text, lngLat, cls) {
    var div = document.createElement("div");
    div.className = "map-label " + cls;
    div.textContent = text;
    div.setAttribute("aria-hidden", "true");
    return new maplibregl.Marker({ element: div }).setLngLat(lngLat);
  }

  function updateWardLabels() {
    var show = map.getZoom() >= 12.5, bounds = map.getBounds();
    wardLabels.forEach(function (m) { m.remove(); });
    wardLabels = [];
    if (!show) return;
    data.wards.forEach(function (w) {
      if (w.label && bounds.contains(w.label) && wardLabels.length < 120) wardLabels.push(label(w.name, w.label, "map-label--ward").addTo(map));
    });
  }

  // ---- PNG export -----------------------------------------------------------------------------
  function exportPng() {
    // The WebGL drawing buffer is only readable while a frame is drawn (it is not preserved, which keeps
    // every frame cheaper), so copy it from inside the next render.
    map.once("render", function () { composePng(map.getCanvas()); });
    map.triggerRepaint();
  }

  function composePng(src) {
    var ratio = src.width / src.clientWidth;
    var legendRows = el("legend-list").children.length, pad = 12 * ratio, line = 22 * ratio;
    var out = document.createElement("canvas");
    out.width = src.width; out.height = src.height + (legendRows + 3) * line + pad;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = "#f3f2f1"; ctx.fillRect(0, 0, src.width, src.height);  // the map's (CSS) background
    ctx.drawImage(src, 0, 0);
    ctx.fillStyle = "#0b0c0c"; ctx.font = "bold " + 18 * ratio + "px arial";
    var y = src.height + line;
    ctx.fillText(layerInfo[state.layer].name + (state.borough ? " – " + nameOfBorough(state.borough) : " – London"), pad, y);
    ctx.font = 15 * ratio + "px arial";
    Array.prototype.forEach.call(el("legend-list").children, function (li, n) {
      y += line;
      ctx.fillStyle = li.querySelector(".map-swatch").style.background;
      ctx.fillRect(pad, y - 14 * ratio, 22 * ratio, 15 * ratio);
      ctx.strokeStyle = "#505a5f"; ctx.strokeRect(pad, y - 14 * ratio, 22 * ratio, 15 * ratio);
      ctx.fillStyle = "#0b0c0c"; ctx.fillText(li.textContent, pad + 30 * ratio, y);
    });
    y += line;
    ctx.font = 12 * ratio + "px arial";
    ctx.fillText("Boroughs. Contains ONS, MHCLG and OS data © Crown copyright and database right, OGL v3." +
      (config.basemap_attribution ? " Basemap: " + config.basemap_attribution.replace(/<[^>]+>/g, "") : ""), pad, y);
    out.toBlob(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "digital-exclusion-" + state.layer.replace(/[^a-z0-9]+/gi, "-") + (state.borough ? "-" + state.borough : "") + ".png";
      document.body.appendChild(a); a.click(); a.remove();
      status.textContent = "The map was downloaded as a PNG image.";
    });
  }

  // ---- start ----------------------------------------------------------------------------------
  var londonBox = null;

  function style() {
    // The whole first view in one style: the map loads its sources and layers at once, with no second
    // round of addSource/addLayer. No background layer: the container's own (CSS) background shows
    // through the transparent canvas, which saves a shader program and a full-screen fill a frame.
    var attribution = "Contains ONS, MHCLG and OS data © Crown copyright and database right (OGL v3)";
    var hasBase = !!config.basemap_url, sources = {}, layers = [];
    if (hasBase) {
      sources.basemap = { type: "raster", tiles: [config.basemap_url], tileSize: 256, attribution: config.basemap_attribution || "" };
      layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    // The areas come as vector tiles made by the server (boroughs.inclusion.map.tiles): given GeoJSON, the
    // map's worker would first cut it into tiles itself. A feature's id is its position in data.codes.
    sources.lsoa = { type: "vector", tiles: [location.origin + API + "/tiles/lsoa21/{z}/{x}/{y}.mvt"],
      minzoom: 0, maxzoom: 12, bounds: config.london_bbox, attribution: attribution };
    // fill-antialias off: neighbouring areas share their edges exactly (one topology), so the fill needs no
    // anti-aliasing outline (a second shader program, and every area's outline drawn each frame). An area
    // is transparent until it has its colour (the tiles may arrive before the data that colours them).
    layers.push({ id: "lsoa-fill", type: "fill", source: "lsoa", "source-layer": "lsoa", paint: {
      "fill-antialias": false,
      "fill-color": FILL_COLOUR,
      "fill-opacity": ["case", ["!", ["to-boolean", ["feature-state", "fill"]]], 0,
        ["boolean", ["feature-state", "out"], false], 0.2, hasBase ? 0.75 : 0.9],
    } });
    layers.push({ id: "lsoa-line", type: "line", source: "lsoa", "source-layer": "lsoa", minzoom: 11, paint: { "line-color": "#ffffff", "line-width": 0.4, "line-opacity": 0.7 } });
    sources.borough = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
    layers.push({ id: "borough-line", type: "line", source: "borough", paint: { "line-color": "#0b0c0c", "line-width": 1.4 } });
    // Only the few outlined areas (selected, hovered, a found ward) are in this source: outlining all 4,994
    // and hiding most would cost the first draw dearly.
    sources.focus = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
    layers.push({ id: "focus-line", type: "line", source: "focus", paint: {
      "line-color": ["match", ["get", "kind"], "sel", "#d4351c", "#0b0c0c"],
      "line-width": ["match", ["get", "kind"], "sel", 4, "hl", 2.5, 2],
    } });
    // No transitions: each would keep the (software-rendered, in some browsers) map redrawing.
    return { version: 8, sources: sources, layers: layers, transition: { duration: 0, delay: 0 } };
  }

  function loadWards() {
    fetch(API + "/boundaries/ward.topojson").then(function (r) { return r.json(); }).then(function (topo) {
      map.addSource("ward", { type: "geojson", data: { type: "FeatureCollection", features: topoToFeatures(topo) } });
      map.addLayer({ id: "ward-line", type: "line", source: "ward", minzoom: 10.5,
        paint: { "line-color": "#505a5f", "line-width": 1, "line-dasharray": [2, 1] } }, "borough-line");
    });
  }

  function wireEvents() {
    map.on("mousemove", "lsoa-fill", function (e) {
      var f = e.features && e.features[0];
      if (!f) return;
      if (hovered !== f.id) { hovered = f.id; drawFocus(); }
      map.getCanvas().style.cursor = "pointer";
      var info = layerInfo[state.layer], v = currentValues()[f.id], tip = el("tooltip");
      var shown = info.palette === "categorical" ? (v === null ? "No type" : data.area_types[v].name) : fmt(v, info.unit);
      tip.innerHTML = "<strong>" + esc(data.names[f.id]) + "</strong><br>" + esc(info.name) + ": " + esc(shown) +
        "<br>Rank " + state.ranks[f.id].toLocaleString("en-GB") + " of " + data.count.toLocaleString("en-GB");
      tip.hidden = false;
      tip.style.left = Math.min(e.point.x + 14, el("map").clientWidth - 200) + "px";
      tip.style.top = (e.point.y + 14) + "px";
    });
    map.on("mouseleave", "lsoa-fill", function () {
      if (hovered !== null) { hovered = null; drawFocus(); }
      map.getCanvas().style.cursor = "";
      el("tooltip").hidden = true;
    });
    map.on("click", "lsoa-fill", function (e) {
      // A digital support site under the pointer takes the click (provision-map.js shows its details).
      var over = ["provision-points", "provision-clusters"].filter(function (id) { return map.getLayer(id); });
      if (over.length && map.queryRenderedFeatures(e.point, { layers: over }).length) return;
      if (e.features && e.features[0]) select(data.codes[e.features[0].id], false);
    });
    map.on("moveend", function () { updateWardLabels(); writeUrl(); });

    el("layer").addEventListener("change", function () { setLayer(this.value); });
    el("classification").addEventListener("change", function () { state.classification = this.value; state.classes = null; recolour(); writeUrl(); });
    el("borough").addEventListener("change", function () { setBorough(this.value); });
    var pending = false;
    document.querySelectorAll(".map-range").forEach(function (input) {
      input.addEventListener("input", function () {
        state.weights[input.dataset.need] = parseFloat(input.value);
        el(input.id + "-value").textContent = input.value;
        if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; update(); }); }
      });
    });
    el("reset-weights").addEventListener("click", function () {
      needIndex.forEach(function (t) { state.weights[t.id] = t.weight; });
      syncControls();
      update();
      status.textContent = "The weights are back to the published ones.";
    });
    el("search-form").addEventListener("submit", function (e) { e.preventDefault(); searchPlaces(el("search").value); });
    el("search-results").addEventListener("click", function (e) {
      var b = e.target.closest("button[data-code]");
      if (b) goTo(b.dataset.kind, b.dataset.code);
    });
    el("profile-close").addEventListener("click", closeProfile);
    el("export-png").addEventListener("click", exportPng);
  }

  function syncControls() {
    el("layer").value = state.layer;
    el("classification").value = state.classification;
    el("borough").value = state.borough;
    document.querySelectorAll(".map-range").forEach(function (input) {
      input.value = state.weights[input.dataset.need];
      el(input.id + "-value").textContent = String(state.weights[input.dataset.need]);
    });
  }

  function start() {
    // The map is made at once, while its data is fetched: its WebGL set-up and its tiles (which need no
    // data) overlap the download. The areas stay transparent until the data colours them; the map is ready
    // at its first idle after that. In software WebGL, each frame costs the page a full composite.
    var marks = window.__mapTimings = {};
    var mark = function (name) { marks[name] = Math.round(performance.now()); };
    mark("script");
    if (maplibregl.prewarm) maplibregl.prewarm();  // its worker starts (and parses its code) meanwhile
    var json = function (url) {
      return fetch(url).then(function (r) { if (!r.ok) throw new Error(url.split("/").pop() + " " + r.status); return r.json(); });
    };
    var loaded = Promise.all([json(API + "/map-data"), json(API + "/boundaries/borough.topojson")]);
    var view = viewInUrl();
    makeMap(view);
    var styled = new Promise(function (resolve) { map.once("styledata", resolve); });
    var boroughFeatures = null;
    loaded.then(function (res) {
      mark("fetched");
      data = res[0];
      boroughFeatures = topoToFeatures(res[1]);
      data.codes.forEach(function (c, i) { codeIndex[c] = i; });
      data.layers.forEach(function (l) { layerInfo[l.id] = l; });
      (config.extra_layers || []).forEach(function (l) { layerInfo[l.id] = l; });  // e.g. the provision gap
      needIndex = data.need_types;
      needIndex.forEach(function (t) { state.weights[t.id] = t.weight; defaultWeights[t.id] = t.weight; });
      londonBox = bboxOf(boroughFeatures);
      readUrl();
      syncControls();
      var ev = evaluate();
      state.scores = ev[0];
      state.ranks = ev[1];
      mark("decoded");
      return ensureLayer(state.layer);
    }).then(function () {
      recolour();
      return styled;
    }).then(function () {
      mark("styled");
      map.getSource("borough").setData({ type: "FeatureCollection", features: boroughFeatures });
      applyColours(true);
      coloured = true;
      if (state.borough) setBorough(state.borough, !view);
      if (state.area) select(state.area, !view);
      wireEvents();
      map.once("idle", function () {
        mark("idle");
        ready = true;
        window.__mapIdleMs = performance.now();
        // The borough names are HTML over the canvas (not part of the map's drawing): placed now, with the
        // first complete frame, rather than moved and repainted on each frame of the first draw.
        data.boroughs.forEach(function (b) { label(b.name, b.label, "map-label--borough").addTo(map); });
        updateWardLabels();
        document.body.dataset.mapReady = "1";
        document.dispatchEvent(new CustomEvent("boroughs:map-ready"));
        status.textContent = "The map shows " + data.count.toLocaleString("en-GB") + " areas: " + layerInfo[state.layer].name + ".";
        loadWards();
        withGeo(function () {});
        writeUrl();
      });
    }).catch(function (err) {
      status.textContent = "The map could not load (" + err.message + "). The table view has the same data.";
    });
  }

  function makeMap(view) {
    var marks = window.__mapTimings;
    var box = config.london_bbox;
    var options = {
      container: "map", style: style(), validateStyle: false, attributionControl: { compact: false },
      bounds: [[box[0], box[1]], [box[2], box[3]]], fitBoundsOptions: { padding: 10 },
      canvasContextAttributes: { preserveDrawingBuffer: false, antialias: false }, dragRotate: false, pitchWithRotate: false, maxZoom: 17,
      fadeDuration: 0, renderWorldCopies: false,
    };
    if (view) { options.center = view.center; options.zoom = view.zoom; delete options.bounds; }
    map = new maplibregl.Map(options);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    marks.frames = 0;
    map.on("render", function () { if (!ready) marks.frames++; });
  }

  window.boroughsMap = {
    state: state,
    get map() { return map; },
    get ready() { return ready; },
    get data() { return data; },
    colourOf: function (code) { return state.fills[codeIndex[code]]; },
    rankOf: function (code) { return state.ranks[codeIndex[code]]; },
    scoreOf: function (code) { return state.scores[codeIndex[code]]; },
    renderedCount: function () {
      var seen = {};
      map.queryRenderedFeatures({ layers: ["lsoa-fill"] }).forEach(function (f) { seen[f.id] = 1; });
      return Object.keys(seen).length;
    },
    sourceCount: function () {  // the areas in the tiles loaded
      var seen = {};
      map.querySourceFeatures("lsoa", { sourceLayer: "lsoa" }).forEach(function (f) { seen[f.id] = 1; });
      return Object.keys(seen).length;
    },
    get layers() { return layerInfo; },
    reloadLayer: function (id) { delete layerCache[id]; if (state.layer === id) setLayer(id); },
    select: select,
  };
  start();
})();
