/* finguard staff pages: the interactive flow graph (#5).
 *
 * Each element with data-graph="<id>" is drawn from the JSON in <script type="application/json"
 * id="<id>">, with Cytoscape.js at the positions the server computed (accounts by hop, left to
 * right). Hovering an account or an arrow shows its details in the panel named by data-panel;
 * tapping one keeps them there (tap the background to let go). Every text from the data is set
 * with textContent, never as HTML, and links only ever point back into this site.
 */
(function () {
  "use strict";

  var PAD = 30;
  var MIN_HEIGHT = 220;
  var MAX_FIT_ZOOM = 1.2;
  var KINDS = {
    customer: ["#e8eef7", "#4a6fa5"],
    merchant: ["#fde2c8", "#c96a00"],
    cash: ["#d9f2d9", "#2e7d32"],
    wallet: ["#e6dcf7", "#6a3fb5"],
    external: ["#eeeeee", "#666666"]
  };

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fact(list, label, value) {
    if (value === undefined || value === null || value === "") return;
    var item = make("div");
    item.appendChild(make("dt", null, label));
    item.appendChild(make("dd", null, value));
    list.appendChild(item);
  }

  function sameSite(href) {
    return typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/";
  }

  function action(href, text, id) {
    var a = make("a", "button button--small button--quiet", text);
    a.href = href;
    a.id = id;
    return a;
  }

  function clear(panel) {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
  }

  function showNode(panel, n, L) {
    clear(panel);
    panel.setAttribute("data-showing", "node");
    panel.setAttribute("data-account", n.id);
    panel.appendChild(make("h3", "flowpanel__title", n.name || n.id));
    var list = make("dl", "facts facts--panel");
    fact(list, L.account, n.id);
    fact(list, L.kind, n.kindLabel);
    fact(list, L.name, n.name);
    fact(list, L.bank, n.bank);
    fact(list, L.received, n.received);
    fact(list, L.sent, n.sent);
    fact(list, L.ended, n.ended);
    fact(list, L.first, n.first);
    fact(list, L.last, n.last);
    if (n.role === "root") fact(list, "", L.root);
    if (n.role === "subject") fact(list, "", L.subject);
    panel.appendChild(list);
    var actions = make("p", "flowpanel__actions");
    if (sameSite(n.traceHref)) actions.appendChild(action(n.traceHref, L.trace_here, "node-trace"));
    if (sameSite(n.accountHref)) actions.appendChild(action(n.accountHref, L.show_transfers, "node-transfers"));
    panel.appendChild(actions);
  }

  function showEdge(panel, e, names, L) {
    clear(panel);
    panel.setAttribute("data-showing", "edge");
    panel.setAttribute("data-account", "");
    panel.appendChild(make("h3", "flowpanel__title", e.amount));
    var list = make("dl", "facts facts--panel");
    fact(list, L.from, names[e.source] || e.source);
    fact(list, L.to, names[e.target] || e.target);
    fact(list, L.traced, e.amount);
    fact(list, L.transfers, e.count);
    fact(list, L.first, e.first);
    if (e.last !== e.first) fact(list, L.last, e.last);
    panel.appendChild(list);
    var table = make("table", "table table--compact");
    var head = make("tr");
    [L.transfer, L.first, L.traced, L.of_transfer, L.hop].forEach(function (h) { head.appendChild(make("th", null, h)); });
    table.appendChild(make("thead")).appendChild(head);
    var body = make("tbody");
    e.transfers.forEach(function (x) {
      var tr = make("tr");
      [x.id === null ? "—" : "#" + x.id, x.at, x.amount, x.of || "", x.hop === null ? "" : x.hop].forEach(function (v, i) {
        tr.appendChild(make("td", i === 2 || i === 3 ? "num" : null, v));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    panel.appendChild(table);
  }

  function styles() {
    var s = [
      {
        selector: "node",
        style: {
          "shape": "round-rectangle",
          "width": 180,
          "height": 50,
          "label": "data(label)",
          "text-wrap": "wrap",
          "text-max-width": 172,
          "text-valign": "center",
          "text-halign": "center",
          "font-size": 13,
          "font-family": "system-ui, sans-serif",
          "color": "#101828",
          "border-width": 1.5
        }
      },
      { selector: "node.terminal", style: { "shape": "cut-rectangle" } },
      { selector: "node.root, node.subject", style: { "border-width": 4, "font-weight": "bold" } },
      { selector: "node:selected", style: { "overlay-color": "#1849a9", "overlay-opacity": 0.15, "overlay-padding": 6 } },
      {
        selector: "edge",
        style: {
          "curve-style": "bezier",
          "width": "data(width)",
          "line-color": "#667085",
          "target-arrow-color": "#667085",
          "target-arrow-shape": "triangle",
          "arrow-scale": 1.1,
          "label": "data(label)",
          "font-size": 11,
          "font-weight": "bold",
          "color": "#101828",
          "text-rotation": "autorotate",
          "text-margin-y": -9,
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 1
        }
      },
      { selector: "edge.bend", style: { "curve-style": "unbundled-bezier", "control-point-distances": -70, "control-point-weights": 0.5 } },
      { selector: "edge:selected", style: { "line-color": "#1849a9", "target-arrow-color": "#1849a9" } }
    ];
    Object.keys(KINDS).forEach(function (kind) {
      s.push({ selector: "node." + kind, style: { "background-color": KINDS[kind][0], "border-color": KINDS[kind][1] } });
    });
    s.push({ selector: "node.external", style: { "border-style": "dashed" } });
    // After the kinds, so the alert's subject keeps its red border whatever its kind.
    s.push({ selector: "node.subject", style: { "border-color": "#d92d20" } });
    return s;
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-graph"));
    var panel = document.getElementById(container.getAttribute("data-panel"));
    if (!source || !panel || typeof window.cytoscape !== "function") return;
    var data = JSON.parse(source.textContent);
    var L = data.labels;
    var byId = {};
    var names = {};
    var elements = [];
    data.nodes.forEach(function (n) {
      byId[n.id] = n;
      names[n.id] = n.name || n.id;
      var classes = [n.kind, n.role];
      if (n.terminal) classes.push("terminal");
      elements.push({ group: "nodes", data: { id: n.id, label: n.label }, position: { x: n.x, y: n.y }, classes: classes });
    });
    var edgesById = {};
    data.edges.forEach(function (e) {
      edgesById[e.id] = e;
      elements.push({
        group: "edges",
        data: { id: e.id, source: e.source, target: e.target, label: e.label, width: e.width },
        classes: e.bend ? ["bend"] : []
      });
    });
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      style: styles(),
      layout: { name: "preset", fit: false },
      minZoom: 0.15,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autoungrabify: true
    });
    // A wide, shallow graph gets a shorter box (CSS sets the tallest); a small one is not blown up.
    function frame() {
      var box = cy.elements().boundingBox();
      var zoom = Math.min(MAX_FIT_ZOOM, (container.clientWidth - 2 * PAD) / Math.max(box.w, 1));
      var wanted = Math.round(Math.max(MIN_HEIGHT, box.h * zoom + 2 * PAD));
      if (wanted < tallest) {
        container.style.height = wanted + "px";
      } else {
        container.style.height = "";
      }
      cy.resize();
      cy.fit(undefined, PAD);
      if (cy.zoom() > MAX_FIT_ZOOM) {
        cy.zoom(MAX_FIT_ZOOM);
        cy.center();
      }
    }
    var tallest = container.clientHeight;
    frame();
    var pinned = false;
    function show(target) {
      if (target.isNode()) showNode(panel, byId[target.id()], L);
      else showEdge(panel, edgesById[target.id()], names, L);
    }
    cy.on("mouseover", "node, edge", function (evt) { if (!pinned) show(evt.target); });
    cy.on("tap", "node, edge", function (evt) { pinned = true; show(evt.target); });
    cy.on("tap", function (evt) { if (evt.target === cy) pinned = false; });
    var fit = document.querySelector('[data-fit="' + container.id + '"]');
    if (fit) {
      fit.hidden = false;
      fit.addEventListener("click", frame);
    }
    container.classList.add("flowgraph--live");
    window.finguardGraphs = window.finguardGraphs || {};
    window.finguardGraphs[container.id] = cy;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-graph]"), draw);
})();
