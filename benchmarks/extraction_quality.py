"""Extraction quality on the shared corpus, beside pdfplumber and plain PDFium in the same run.

Usage: python benchmarks/extraction_quality.py [CORPUS] [--engine pdfium.v1] [--only tables,units,...]

Measures (see quality_truth.py for how each reference is found without mapping-review's layout):

- tables: rows of the ruled NICE tables (pdfplumber's table finder) whose cells stay together in one
  stretch of text (ours: one sentence segment) and in reading order; header cells made headings;
- units: speech bubbles, boxes, captions and paragraphs of illustrated pages (the labelled sample in
  data/illustrated_units.csv) kept as one unbroken stretch (ours: one paragraph segment); figure
  labels left inside sentences;
- furniture: lines standing at the same height near the top or bottom of three or more pages, left in
  the page text;
- contents: sentences from table-of-contents pages (ours), contents lines in the text (baselines);
- hyphens: words hyphenated at a line or page end given a form the corpus does not use mid-line;
- columns: pairs of consecutive lines of the three-column Federal Register kept in order.

Guides are split before tuning: DEV guides were looked at while the extractor was written, TEST
guides were not; both figures are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import quality_content as qc
import quality_truth as qt

from mapping_review.extract import extract_document
from mapping_review.segment import Segment, document_to_segments
from mapping_review.segment.nlp import load_nlp

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "corpus"
UNITS = HERE / "data" / "illustrated_units.csv"
SYSTEMS = ("mapping-review", "pdfplumber", "pdfium")
# Chosen before any tuning, so that each split holds guides of every kind (ruled tables, illustrated
# pages, chapter headers); every other guide is a test guide.
DEV_GUIDES = {
    "nice_ng222_depression_adults", "who_doing_what_matters", "who_thinking_healthy", "cdp_prolonged_exposure_handouts",
    "nice_autism-spectrum-disorder-in-adults-diagnosis-and-management",
    "nice_autism-spectrum-disorder-in-under-19s-support-and-management",
    "nice_care-and-support-of-people-growing-older-with-learning-disab",
    "nice_challenging-behaviour-and-learning-disabilities-prevention-a",
    "nice_developmental-followup-of-children-and-young-people-born-pre",
    "nice_head-injury-assessment-and-early-management", "nice_multiple-sclerosis-in-adults-management",
    "nice_parkinsons-disease-in-adults", "nice_social-and-emotional-wellbeing-early-years",
}
FEDERAL_REGISTER = "hard/pdfplumber_federal_register_3col.pdf"


@dataclass
class Output:
    """What one system made of one PDF: squashed page texts and, for ours, segments."""

    pages: list[str]
    raw_pages: list[str] = field(default_factory=list)  # the same, not squashed
    sentences: list[Segment] = field(default_factory=list)
    paragraphs: list[Segment] = field(default_factory=list)
    sections: list[Segment] = field(default_factory=list)  # their headings only
    headings: list[str] = field(default_factory=list)
    lines: list[list[qt.TextLine]] = field(default_factory=list)  # pdfplumber's text lines


def run_ours(path: Path, engine: str) -> Output:
    doc = extract_document(path, sha256="benchmark", engine=engine)
    segments = document_to_segments(doc, guide=path.stem, nlp=load_nlp("blank"))
    return Output(
        pages=[qt.squash(p.text) for p in doc.pages], raw_pages=[p.text for p in doc.pages],
        sentences=[s for s in segments if s.kind == "sentence"],
        paragraphs=[s for s in segments if s.kind == "paragraph"],
        sections=[replace(s, text=s.section[-1] if s.section else "") for s in segments if s.kind == "section"],
        headings=[b.text for p in doc.pages for b in p.blocks if b.kind == "heading"],
    )


def run_pdfplumber(path: Path, *, lines: bool = False) -> Output:
    """pdfplumber's ``extract_text`` per page; with ``lines``, also its text lines with positions."""
    texts, page_lines = [], []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            texts.append(page.extract_text() or "")
            if lines:
                tables = page.find_tables() if page.rects or page.lines or page.curves else []
                page_lines.append(qt.page_lines(page, leave_out=[t.bbox for t in tables]))
            page.close()
    return Output(pages=[qt.squash(t) for t in texts], raw_pages=texts, lines=page_lines)


def pdfium_texts(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def run_pdfium(path: Path) -> Output:
    texts = pdfium_texts(path)
    return Output(pages=[qt.squash(t) for t in texts], raw_pages=texts)


@dataclass
class Tally:
    """Counts per system and per split (dev/test)."""

    counts: dict[tuple[str, str, str], int] = field(default_factory=Counter)

    def add(self, system: str, split: str, name: str, n: int = 1) -> None:
        self.counts[(system, split, name)] += n

    def get(self, system: str, split: str, name: str) -> int:
        if split == "all":
            return sum(self.counts.get((system, s, name), 0) for s in ("dev", "test"))
        return self.counts.get((system, split, name), 0)


def on_pages(segments: Iterable[Segment], page: int) -> list[str]:
    return [qt.squash(s.text) for s in segments if s.page <= page <= s.end_page]


def measure_tables(path: Path, outputs: dict[str, Output], split: str, tally: Tally) -> None:
    rows, n_tables = qc.ruled_table_rows(path)
    tally.add("truth", split, "tables", n_tables)
    headers = {qt.squash(h) for row in rows for h in row.header}
    for system, out in outputs.items():
        for row in rows:
            units = on_pages(out.sentences, row.page) if system == "mapping-review" else [out.pages[row.page - 1]]
            tally.add(system, split, "rows")
            tally.add(system, split, "together", int(qc.row_kept(row, units, ordered=False)))
            tally.add(system, split, "in order", int(qc.row_kept(row, units, ordered=True)))
        if system == "mapping-review":
            tally.add(system, split, "header headings", sum(1 for h in out.headings if qt.squash(h) in headers))


def measure_units(units: list[qc.Unit], outputs: dict[str, Output], split: str, tally: Tally) -> None:
    for unit in units:
        for system, out in outputs.items():
            if unit.kind == "label":
                if system == "mapping-review":
                    label = qt.squash(unit.first)
                    inside = any(label in s and s != label for s in on_pages(out.sentences, unit.page))
                    tally.add(system, split, "labels")
                    tally.add(system, split, "labels in sentences", int(inside))
                continue
            if system != "mapping-review" or unit.kind == "list":  # a list: its items one after another
                texts = [out.pages[unit.page - 1]]
            else:  # anything else: inside one paragraph (or heading)
                texts = on_pages(out.paragraphs + out.sections, unit.page)
            tally.add(system, split, "units")
            tally.add(system, split, "intact", int(any(qc.unit_intact(unit, t) for t in texts)))


def measure_furniture(raw: list[str], outputs: dict[str, Output], split: str, tally: Tally) -> None:
    running = qt.running_lines(outputs["pdfplumber"].lines)
    squashed_raw = [qt.squash(t) for t in raw]
    for system, out in outputs.items():
        left = [ln for ln in running if qt.leaked(ln, squashed_raw[ln.page - 1], out.pages[ln.page - 1])]
        tally.add(system, split, "running lines", len(running))
        tally.add(system, split, "left", len(left))
        tally.add(system, split, "pages with lines left", len({ln.page for ln in left}))


def measure_contents(raw: list[str], outputs: dict[str, Output], split: str, tally: Tally) -> None:
    pages = set(qt.contents_pages(raw))
    tally.add("truth", split, "contents pages", len(pages))
    for system, out in outputs.items():
        if system == "mapping-review":
            n = sum(1 for s in out.sentences if s.page in pages)
        else:
            n = sum(1 for p in pages for ln in out.raw_pages[p - 1].splitlines() if ln.strip())
        tally.add(system, split, "contents text", n)


def measure_hyphens(raw: list[str], usage: Counter[str], outputs: dict[str, Output], split: str, tally: Tally) -> None:
    splits = qc.hyphen_splits(raw, usage)
    for system, out in outputs.items():
        texts = [" ".join(t.replace("\ufffe", "-").split()) for t in out.raw_pages]
        for sp in splits:
            text = " ".join(texts[sp.page - 1 : sp.page + 1])
            form = qc.hyphen_form(sp, text)
            tally.add(system, split, "splits")
            if form is None:
                tally.add(system, split, "not found")
            elif form != sp.truth:
                tally.add(system, split, "wrong")


def measure_columns(path: Path, outputs: dict[str, Output], tally: Tally) -> None:
    with pdfplumber.open(path) as pdf:
        pairs = qt.column_pairs([qt.column_lines(page) for page in pdf.pages])
    for system, out in outputs.items():
        for page, earlier, later, slack in pairs:
            verdict = qt.pair_in_order(earlier, later, slack, out.pages[page - 1])
            if verdict is not None:
                tally.add(system, "test", "pairs")
                tally.add(system, "test", "pairs in order", int(verdict))


def split_of(path: Path) -> str:
    return "dev" if path.stem in DEV_GUIDES else "test"


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "  n/a"


def report(tally: Tally, lines: list[tuple[str, Callable[[str, str], str]]], title: str) -> None:
    print(f"\n## {title}\n")
    print("| measure | split | " + " | ".join(SYSTEMS) + " |")
    print("|---|---|" + "---|" * len(SYSTEMS))
    for name, cell in lines:
        for split in ("dev", "test", "all"):
            print(f"| {name} | {split} | " + " | ".join(cell(s, split) for s in SYSTEMS) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--engine", default="pdfium.v1")
    parser.add_argument("--only", default="tables,units,furniture,contents,hyphens,columns")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="leave baselines out while developing")
    parser.add_argument("--guides", default="", help="only guides whose file name contains one of these words")
    args = parser.parse_args()
    only = set(args.only.split(","))
    systems = set(args.systems.split(","))
    if "furniture" in only:
        systems.add("pdfplumber")  # its text lines are where running lines are found
    scale = sorted((args.corpus / "scale").glob("*.pdf"))
    files = [f for f in sorted((args.corpus / "guides").glob("*.pdf")) + scale
             if not args.guides or any(w in f.stem for w in args.guides.split(","))]
    units = qc.read_units(UNITS) if UNITS.exists() else []
    by_guide: dict[str, list[qc.Unit]] = defaultdict(list)
    for unit in units:
        by_guide[unit.guide].append(unit)
    raw_texts = {path: pdfium_texts(path) for path in files}
    usage: Counter[str] = Counter()
    for texts in raw_texts.values():
        usage.update(qc.midline_usage(texts))
    tally, seconds = Tally(), Counter[str]()
    for path in files:
        if only <= {"columns"}:
            break
        need_tables = "tables" in only and path.stem.startswith("nice")
        if not ({"furniture", "contents", "hyphens"} & only or need_tables or by_guide.get(path.stem)):
            continue
        split = split_of(path)
        outputs = {}
        for system, runner in (("mapping-review", lambda p: run_ours(p, args.engine)),
                               ("pdfplumber", lambda p: run_pdfplumber(p, lines="furniture" in only)),
                               ("pdfium", run_pdfium)):
            if system not in systems:
                continue
            start = time.perf_counter()
            outputs[system] = runner(path)
            seconds[system] += time.perf_counter() - start
        raw = raw_texts[path]
        if need_tables:
            measure_tables(path, outputs, split, tally)
        if "units" in only and by_guide.get(path.stem):
            measure_units(by_guide[path.stem], outputs, split, tally)
        if "furniture" in only:
            measure_furniture(raw, outputs, split, tally)
        if "contents" in only:
            measure_contents(raw, outputs, split, tally)
        if "hyphens" in only:
            measure_hyphens(raw, usage, outputs, split, tally)
        print(f"{path.name}: done", file=sys.stderr)
    if "columns" in only:
        fr = args.corpus / FEDERAL_REGISTER
        runners = {"mapping-review": lambda: run_ours(fr, args.engine), "pdfplumber": lambda: run_pdfplumber(fr),
                   "pdfium": lambda: run_pdfium(fr)}
        measure_columns(fr, {name: run() for name, run in runners.items() if name in systems}, tally)

    def ratio(num: str, den: str) -> Callable[[str, str], str]:
        return lambda system, split: f"{pct(tally.get(system, split, num), tally.get(system, split, den))} " \
                                     f"({tally.get(system, split, num)}/{tally.get(system, split, den)})"

    def count(name: str, only_ours: bool = False) -> Callable[[str, str], str]:
        return lambda system, split: "n/a" if only_ours and system != "mapping-review" \
            else str(tally.get(system, split, name))

    print(f"# Extraction quality ({args.engine}); seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    if "tables" in only:
        print(f"\nruled NICE tables: dev {tally.get('truth', 'dev', 'tables')}, test {tally.get('truth', 'test', 'tables')}")
        report(tally, [("rows together", ratio("together", "rows")), ("rows in order", ratio("in order", "rows")),
                       ("header cells made headings", count("header headings", True))], "Table rows")
    if "units" in only:
        report(tally, [("units intact", ratio("intact", "units")),
                       ("figure labels inside sentences", ratio("labels in sentences", "labels"))],
               "Illustrated pages (labelled sample)")
    if "furniture" in only:
        report(tally, [("running lines left", ratio("left", "running lines")),
                       ("pages with lines left", count("pages with lines left"))], "Running headers and footers")
    if "contents" in only:
        print(f"\ncontents pages: dev {tally.get('truth', 'dev', 'contents pages')}, "
              f"test {tally.get('truth', 'test', 'contents pages')}")
        report(tally, [("contents sentences (ours) / lines (baselines)", count("contents text"))], "Contents pages")
    if "hyphens" in only:
        report(tally, [("wrong forms", ratio("wrong", "splits")), ("not found", count("not found"))],
               "Words hyphenated at line and page ends")
    if "columns" in only:
        report(tally, [("line pairs in order", ratio("pairs in order", "pairs"))], "Federal Register column order (test)")


if __name__ == "__main__":
    main()
