"""The review as a networkx graph: guides and codes (bipartite), the feature -> sub-value
hierarchy, and an edge wherever a guide has a code, with its source and evidence count; then the
evaluation: the criteria codes became, the items that test them and the judged results of each
item per model, so that one can walk from a failing result back to the guides behind it
(guides -> codes -> criteria -> items -> results)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx

from mapping_review.coding.codebook import Codebook
from mapping_review.files import replacing, write_atomic
from mapping_review.project.manifest import Guide
from mapping_review.publish.evaluation import Evaluation, criterion_title, polarity
from mapping_review.publish.results import Judgement
from mapping_review.review.consensus import GuideCode


def guide_node(key: str) -> str:
    return f"guide:{key}"


def code_node(code: str) -> str:
    return f"code:{code}"


def codings_to_graph(codebook: Codebook, guides: Sequence[Guide], rows: Sequence[GuideCode]) -> nx.Graph:
    """Guide nodes (bipartite=0) carry the manifest's facts, code nodes (bipartite=1) the codebook's;
    feature nodes hold the hierarchy; ``has_code`` edges carry ``source`` and ``n_evidence``."""
    G = nx.Graph(name=codebook.model.name)
    for g in guides:
        G.add_node(guide_node(g.key), kind="guide", bipartite=0, key=g.key, label=g.label or g.key, title=g.title,
                   year=g.year or 0, publisher=g.publisher, authors=g.authors, url=g.url)
    for f in codebook.features:
        G.add_node(f"feature:{f.id}", kind="feature", label=f.label, definition=f.definition)
    for c in codebook.codes:
        G.add_node(code_node(c.id), kind="code", bipartite=1, code=c.id, feature=c.feature,
                   feature_label=c.feature_label, label=c.label, definition=c.definition)
        if c.is_sub_value:
            G.add_edge(f"feature:{c.feature}", code_node(c.id), kind="has_value")
    for r in rows:
        if r.present:
            G.add_edge(guide_node(r.guide), code_node(r.code), kind="has_code", source=r.source,
                       n_evidence=r.n_evidence)
    return G


def add_evaluation(G: nx.Graph, ev: Evaluation, judgements: Sequence[Judgement] = ()) -> nx.Graph:
    """Criterion nodes joined to their code (``criterion_of``), item nodes to their criterion
    (``tested_by``), and a result node per item and model (``judged``: ``n``, ``n_appropriate``,
    ``share``). ``G`` is changed in place and returned."""
    tested = ev.tested()
    for c in ev.criteria:
        G.add_node(f"criterion:{c.id}", kind="criterion", code=c.id, label=criterion_title(c), polarity=polarity(c),
                   n_support=c.n_support, tested=c.id in tested)
        G.add_edge(code_node(c.id), f"criterion:{c.id}", kind="criterion_of")
    for item in ev.items.items if ev.items else ():
        G.add_node(f"item:{item.id}", kind="item", item=item.id, criterion=item.criterion, condition=item.condition,
                   question=item.question, appropriate=item.appropriate, pass_if=item.pass_if)
        G.add_edge(f"criterion:{item.criterion}", f"item:{item.id}", kind="tested_by")
    counts: dict[tuple[str, str], list[int]] = {}
    for j in judgements:
        n = counts.setdefault((j.item, j.model), [0, 0])
        n[0] += 1
        n[1] += int(j.appropriate)
    for (item_id, model), (n_all, n_ok) in sorted(counts.items()):
        node = f"result:{item_id}:{model}"
        G.add_node(node, kind="result", item=item_id, model=model, n=n_all, n_appropriate=n_ok, share=n_ok / n_all)
        G.add_edge(f"item:{item_id}", node, kind="judged")
    return G


def guides_behind(G: nx.Graph, node: str) -> list[str]:
    """The keys of the guides that support the criterion behind ``node`` - a result, an item, a
    criterion or a code node - in sorted order."""
    kind = G.nodes[node]["kind"]
    if kind == "result":
        node = f"item:{G.nodes[node]['item']}"
        kind = "item"
    if kind == "item":
        node = f"criterion:{G.nodes[node]['criterion']}"
        kind = "criterion"
    if kind == "criterion":
        node = code_node(G.nodes[node]["code"])
    return sorted(G.nodes[g]["key"] for g in G[node] if G.nodes[g]["kind"] == "guide")


def _codes_of(G: nx.Graph, guide: str) -> set[str]:
    return {n for n in G[guide] if G.nodes[n]["kind"] == "code"}


def guide_similarity(G: nx.Graph) -> list[tuple[str, str, int, float]]:
    """Every pair of guides: shared codes and Jaccard similarity of their code sets."""
    guides = sorted(n for n, d in G.nodes(data=True) if d["kind"] == "guide")
    out = []
    for a, b in combinations(guides, 2):
        ca, cb = _codes_of(G, a), _codes_of(G, b)
        union = ca | cb
        out.append((G.nodes[a]["key"], G.nodes[b]["key"], len(ca & cb), len(ca & cb) / len(union) if union else 0.0))
    return out


def code_cooccurrence(G: nx.Graph) -> nx.Graph:
    """Codes joined by how many guides have both (the bipartite projection, weighted)."""
    guides = [n for n, d in G.nodes(data=True) if d["kind"] == "guide"]
    P = nx.Graph()
    P.add_nodes_from(sorted(n for n, d in G.nodes(data=True) if d["kind"] == "code"))
    for g in guides:
        for a, b in combinations(sorted(_codes_of(G, g)), 2):
            weight = P[a][b]["weight"] + 1 if P.has_edge(a, b) else 1
            P.add_edge(a, b, weight=weight)
    return P


def write_graph(G: nx.Graph, folder: Path) -> list[Path]:
    """``review.graphml`` and ``review.json`` (node-link), both with a stable order."""
    folder.mkdir(parents=True, exist_ok=True)
    ordered = nx.Graph(name=G.graph.get("name", ""))
    ordered.add_nodes_from(sorted(G.nodes(data=True)))
    ordered.add_edges_from(sorted((min(u, v), max(u, v), d) for u, v, d in G.edges(data=True)))
    graphml = folder / "review.graphml"
    with replacing(graphml) as tmp:
        nx.write_graphml_xml(ordered, tmp)  # the standard library's writer: the same bytes with or without lxml
    data: dict[str, Any] = nx.node_link_data(ordered, edges="links")
    node_link = folder / "review.json"
    write_atomic(node_link, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return [graphml, node_link]
