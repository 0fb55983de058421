/* The explorer's maps (docs/explore.md). Everything else on the pages works without this file.

   #explore-map: the basemap (offline GeoJSON), then the clusters of the page's filters for the
   map's zoom and box, fetched again after each move. A group zooms in when selected; a single
   observation opens a popup with its link. The map's view is kept in the URL's fragment
   (#map=zoom/lat/lon), so a shared or reloaded link opens on the same view.
   #observation-map: one observation's place on the basemap. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var KIND_LABELS = {
    violation: "violation",
    compliance: "compliance",
    incident: "incident",
    access_restricted: "access restricted",
    information: "information"
  };
  var KINDS = Object.keys(KIND_LABELS);
  // Türkiye and Ukraine, where the shipped boundaries are: the view when there is no data.
  var HOME = [[35.8, 22.1], [52.4, 44.8]];

  function baseLayer(map, url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var countries = data.features.filter(function (f) { return f.properties.kind === "country"; });
        var lines = data.features.filter(function (f) { return f.properties.kind !== "country"; });
        L.geoJSON(countries, {
          interactive: false,
          style: { color: "#455a64", weight: 1.4, fillColor: "#fbfaf6", fillOpacity: 1 }
        }).addTo(map);
        L.geoJSON(lines, {
          interactive: false,
          style: { color: "#90a4ae", weight: 0.7, fill: false }
        }).addTo(map);
        areaNames(map, lines);
      });
  }

  // The admin-1 areas' names, written inside them once the map is close enough to read them
  // (zoom 6 and nearer: a country's worth of provinces), so a reader knows where a mark is.
  var NAMES_FROM_ZOOM = 6;
  function areaNames(map, areas) {
    // Their own pane, under the marks (Leaflet's marker pane is at 600): a name never hides a count.
    map.createPane("areaNames").style.zIndex = 450;
    var names = L.layerGroup();
    areas.forEach(function (f) {
      var at = f.properties.label;
      if (!at) return;
      var text = document.createElement("span");
      text.textContent = f.properties.name.replace(/ (oblast|province)$/, "");
      names.addLayer(L.marker([at[1], at[0]], {
        icon: L.divIcon({ className: "area-name", html: text, iconSize: null }),
        interactive: false,
        keyboard: false,
        pane: "areaNames"
      }));
    });
    function show() {
      if (map.getZoom() >= NAMES_FROM_ZOOM) names.addTo(map);
      else names.remove();
    }
    map.on("zoomend", show);
    show();
  }

  function newMap(element) {
    element.hidden = false;
    var map = L.map(element, { zoomSnap: 1, minZoom: 2, maxZoom: 18, worldCopyJump: false });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(element.dataset.attribution);
    return map;
  }

  function plural(n, word) {
    return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s");
  }

  function dominant(kinds) {
    var best = KINDS[0], most = -1;
    KINDS.forEach(function (k) { if ((kinds[k] || 0) > most) { best = k; most = kinds[k] || 0; } });
    return best;
  }

  function describe(cluster) {
    var parts = KINDS.filter(function (k) { return cluster.kinds[k]; }).map(function (k) {
      return cluster.kinds[k].toLocaleString("en") + " " + KIND_LABELS[k];
    });
    return plural(cluster.count, "observation") + ": " + parts.join(", ");
  }

  function clusterIcon(cluster) {
    var size = Math.round(Math.min(46, 24 + 5 * Math.log10(cluster.count + 1)));
    var label = document.createElement("span");
    label.className = "cluster-count";
    label.textContent = cluster.count > 9999 ? Math.round(cluster.count / 1000) + "k" : String(cluster.count);
    return L.divIcon({
      className: "cluster kind-" + dominant(cluster.kinds),
      html: label,
      iconSize: [size, size]
    });
  }

  function setView(map, bounds) {
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
    else map.fitBounds(HOME);
  }

  function withParams(base, extra) {
    var url = new URL(base, window.location.href);
    Object.keys(extra).forEach(function (k) { url.searchParams.set(k, extra[k]); });
    return url.pathname + url.search;
  }

  function tableLink(bbox) {
    // The page's own filters plus the box, back to its first page.
    var url = new URL(window.location.href);
    var pad = 1e-6;
    url.searchParams.set("within", [bbox[0] - pad, bbox[1] - pad, bbox[2] + pad, bbox[3] + pad]
      .map(function (v) { return +v.toFixed(6); }).join(","));
    url.searchParams.delete("page");
    url.hash = "";
    return url.pathname + url.search + "#table-heading";
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function popupFor(cluster, observationUrl) {
    var box = document.createElement("div");
    var p = document.createElement("p");
    p.textContent = describe(cluster);
    box.appendChild(p);
    if (cluster.observation) {
      box.appendChild(link(observationUrl.replace(/0\/$/, cluster.observation + "/"), "Open the observation"));
    } else {
      box.appendChild(link(tableLink(cluster.bbox), "Show these " + cluster.count.toLocaleString("en") + " in the table"));
    }
    return box;
  }

  function viewFromHash() {
    var m = /#map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(window.location.hash);
    return m ? { zoom: +m[1], center: [+m[2], +m[3]] } : null;
  }

  function explorerMap(element) {
    var map = newMap(element);
    var status = document.getElementById("map-status");
    var noteBox = status ? status.querySelector(".map-note") : null;
    var countBox = status ? status.querySelector(".map-count") : null;
    var layer = L.layerGroup().addTo(map);
    var clustersUrl = element.dataset.clustersUrl;
    var observationUrl = element.dataset.observationUrl;
    var pending = null;
    document.querySelectorAll(".no-map").forEach(function (n) { n.hidden = true; });

    function say(text) { if (countBox) countBox.textContent = text; }

    function draw(data) {
      layer.clearLayers();
      data.clusters.forEach(function (cluster) {
        var marker = L.marker([cluster.lat, cluster.lon], {
          icon: clusterIcon(cluster),
          title: describe(cluster),
          keyboard: true,
          riseOnHover: true
        });
        marker.on("click", function () { selected(cluster, marker); });
        marker.on("keypress", function (e) {
          if (e.originalEvent.key === "Enter" || e.originalEvent.key === " ") selected(cluster, marker);
        });
        marker.addTo(layer);
      });
      say(plural(data.total, "observation") + " with coordinates in this view.");
    }

    function selected(cluster, marker) {
      var b = cluster.bbox;
      var flat = b[2] - b[0] < 1e-9 && b[3] - b[1] < 1e-9;
      if (cluster.observation || flat || map.getZoom() >= map.getMaxZoom()) {
        marker.bindPopup(popupFor(cluster, observationUrl)).openPopup();
        return;
      }
      if (noteBox) {
        noteBox.textContent = "Zoomed in to a group of " + plural(cluster.count, "observation") + ": ";
        noteBox.appendChild(link(tableLink(b), "show these " + cluster.count.toLocaleString("en") + " in the table"));
        noteBox.appendChild(document.createTextNode(". "));
      }
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [32, 32], maxZoom: Math.min(map.getZoom() + 6, 18) });
    }

    function load() {
      var bounds = map.getBounds();
      var bbox = [
        Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
        Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)
      ].map(function (v) { return v.toFixed(5); }).join(",");
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(withParams(clustersUrl, { zoom: map.getZoom(), bbox: bbox }), {
        credentials: "same-origin", signal: pending.signal, headers: { Accept: "application/json" }
      })
        .then(function (r) { if (!r.ok) throw new Error("clusters: " + r.status); return r.json(); })
        .then(function (data) {
          draw(data);
          element.dataset.loaded = "true";
        })
        .catch(function (err) { if (err.name !== "AbortError") say("The map's data could not be loaded: " + err.message); });
      var c = map.getCenter();
      history.replaceState(history.state, "", "#map=" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4));
    }

    baseLayer(map, element.dataset.basemapUrl);
    var kept = viewFromHash();
    if (kept) {
      map.setView(kept.center, kept.zoom);
      map.on("moveend", load);
      load();
      return;
    }
    // First the data's extent (the clusters at a coarse zoom, whatever the view), then the
    // clusters of the view it settles on.
    fetch(withParams(clustersUrl, { zoom: 3 }), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { clusters: [] }; })
      .then(function (data) {
        var bounds = null;
        data.clusters.forEach(function (c) {
          var b = L.latLngBounds([c.bbox[1], c.bbox[0]], [c.bbox[3], c.bbox[2]]);
          bounds = bounds ? bounds.extend(b) : b;
        });
        if (!data.clusters.length) say("No observation with coordinates matches these filters.");
        setView(map, bounds);
        map.on("moveend", load);
        load();
      });
  }

  function observationMap(element) {
    var map = newMap(element);
    var at = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    baseLayer(map, element.dataset.basemapUrl);
    map.setView(at, 7);
    var dot = document.createElement("span");
    dot.className = "cluster-count";
    L.marker(at, {
      icon: L.divIcon({ className: "cluster single kind-" + element.dataset.kind, html: dot, iconSize: [22, 22] }),
      title: element.dataset.label,
      keyboard: false
    }).addTo(map);
  }

  var explorer = document.getElementById("explore-map");
  if (explorer) explorerMap(explorer);
  var single = document.getElementById("observation-map");
  if (single) observationMap(single);
})();
