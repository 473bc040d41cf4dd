"""Extraction and build speed, and memory, against plain pdfplumber and plain PDFium in the same run.

Every measurement runs in a fresh process (cold: nothing imported, nothing cached) and reports its
wall time and peak memory (the process's own and its largest worker's):

- plain pdfplumber: ``page.extract_text()`` for every page; plain PDFium: ``get_text_range()``;
- mapping-review extract+segment (layout, furniture, headings, sentences) of a new project;
- mapping-review full build of a new project (extract, segment, code, resolve, tables, figures),
  then in the same project a build after one new reviewer decision (a suggestion accepted by a
  new reviewer: the heatmap shows who decided, so it is drawn again), after a second one on the
  same guide and code (no figure changes), and a build with nothing changed;
- memory: extract+segment, the full build and the baselines on the first folder (8 shared guides)
  and on all the folders together (26 guides).

CPU seconds (the process and its workers, and the build's figure process, which is read from
``/proc`` while it runs and waited for before the peak memory is read) are reported beside wall
seconds: other programs sharing the cores stretch the wall time, not the CPU time.

Each measurement but pdfplumber's is run ``--repeat`` times (3) and its smallest time kept: other
programs sharing the cores only ever add time.

Usage: python benchmarks/extract_speed.py [FOLDER ...] [--engine pdfium.v1] [--jobs 2] [--repeat 3]
(default folders: ../shared/corpus/guides and ../shared/corpus/scale)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT = [SHARED / "guides", SHARED / "scale"]


def pdf_files(folders: list[Path]) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.glob("*.pdf"))]


def peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest child (Linux: ru_maxrss in KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its children so far: unlike wall time, it does not
    grow when other programs share the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def figure_process_cpu() -> float:
    """CPU time (user + system) of the build's figure process and the writers it waited for, while it runs:
    ``RUSAGE_CHILDREN`` counts a process only once it has ended and been waited for."""
    import multiprocessing

    total = 0.0
    for child in multiprocessing.active_children():
        if child.name == "figures":
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return total


def child_pdfplumber(files: list[Path], _: argparse.Namespace) -> dict[str, Any]:
    import pdfplumber

    start, cpu, pages = time.perf_counter(), cpu_seconds(), 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()
                pages += 1
    return {"pages": pages, "seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu}


def child_pdfium(files: list[Path], _: argparse.Namespace) -> dict[str, Any]:
    import pypdfium2 as pdfium

    start, cpu, pages = time.perf_counter(), cpu_seconds(), 0
    for path in files:
        doc = pdfium.PdfDocument(str(path))
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        doc.close()
    return {"pages": pages, "seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu}


def _project(files: list[Path], tmp: str) -> Any:
    from mapping_review.project.corpus import add_guide
    from mapping_review.project.layout import init_project

    project = init_project(Path(tmp) / "review")
    for path in files:
        add_guide(project, path, key=path.stem, link=True)
    return project


def child_segment(files: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    from mapping_review import pipeline

    with tempfile.TemporaryDirectory() as tmp:
        project = _project(files, tmp)
        start, cpu = time.perf_counter(), cpu_seconds()
        extracted, _ = pipeline.extract_and_segment(project, engine=args.engine, nlp_name="blank", jobs=args.jobs)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return {"pages": sum(r.n_pages for r in extracted), "seconds": seconds, "cpu": cpu}


def _decide(project: Any, reviewer: str, nth: int, cell: tuple[str, str] | None = None) -> tuple[str, str]:
    """``reviewer`` accepts the ``nth`` suggestion (of guide and code ``cell``, if given) of the first guide
    that has one; the (guide, code) it was about."""
    from mapping_review.review.decisions import Decision, append_decisions, now

    for path in sorted((project.build_dir / "codings").glob("*.jsonl")):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        lines = [s for s in lines if cell is None or (s["guide"], s["code"]) == cell]
        if len(lines) > nth:
            s = lines[nth]
            append_decisions(project.reviews_dir, [Decision(
                reviewer=reviewer, time=now(), level="segment", guide=s["guide"], code=s["code"], value=True,
                action="accept", segment=s["segment"], text_hash=s["text_hash"])])
            return s["guide"], s["code"]
    sys.exit("no suggestion to decide on")


def child_build(files: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    from mapping_review import pipeline

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(files, tmp)
        start, cpu = time.perf_counter(), cpu_seconds() + figure_process_cpu()
        report = pipeline.build_project(project, engine=args.engine, nlp_name="blank", jobs=args.jobs)
        out["seconds"], out["cpu"] = time.perf_counter() - start, cpu_seconds() + figure_process_cpu() - cpu
        twin = Path(tmp) / "twin"  # for the same first decision in a new process, below
        shutil.copytree(project.root, twin, symlinks=True)
        out["pages"] = sum(r.n_pages for r in report.extract)
        out["failures"] = [r.message for r in report.failures]
        cell = None
        for label, nth in (("first_decision", 0), ("second_decision", 1)):
            cell = _decide(project, "bench", nth, cell)
            start, cpu = time.perf_counter(), cpu_seconds() + figure_process_cpu()
            pipeline.build_project(project, engine=args.engine, nlp_name="blank", jobs=args.jobs)
            out[label] = time.perf_counter() - start
            out[f"{label}_cpu"] = cpu_seconds() + figure_process_cpu() - cpu
        start = time.perf_counter()
        assert pipeline.build_project(project, engine=args.engine, nlp_name="blank", jobs=args.jobs).up_to_date
        out["unchanged"] = time.perf_counter() - start
        # the first decision as a reviewer at the command line has it: a new process (Python starting, the
        # CLI loading, matplotlib loading in the figure process)
        from mapping_review.project.layout import open_project

        _decide(open_project(twin), "bench", 0)
        command = [sys.executable, "-m", "mapping_review", "build", str(twin), "-q", "--nlp", "blank",
                   "--engine", args.engine, "-j", str(args.jobs)]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        out["cli_decision"] = time.perf_counter() - start
        out["imported"] = [m for m in ("spacy", "matplotlib") if m in sys.modules]
    from mapping_review.publish.figure_files import stop_drawing_process

    stop_drawing_process()  # waited for, so that its memory and its writers' count below
    return out


CHILDREN = {"pdfplumber": child_pdfplumber, "pdfium": child_pdfium, "segment": child_segment, "build": child_build}


def run_child(kind: str, folders: list[Path], args: argparse.Namespace, repeat: int = 1) -> dict[str, Any]:
    """Run one measurement ``repeat`` times, each in a fresh Python process; the least disturbed
    (smallest) time of each kind, and the largest peak memory."""
    command = [sys.executable, __file__, "--child", kind, "--engine", args.engine, "--jobs", str(args.jobs),
               *map(str, folders)]
    runs = []
    for _ in range(repeat):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{kind} failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    result: dict[str, Any] = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            pick = max if key.endswith("rss_mb") else min
            result[key] = pick(run[key] for run in runs)
    return result


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--engine", default="pdfium.v1")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each fast measurement, the smallest time kept (default 3)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](pdf_files(args.folders), args)
        result["rss_mb"], result["worker_rss_mb"] = peak_mb()
        print(json.dumps(result))
        return

    small, large = args.folders[:1], args.folders
    print(f"before: {load()}")
    rows: dict[str, dict[str, Any]] = {}
    for name, kind, folders in (("pdfplumber", "pdfplumber", small), ("pdfium", "pdfium", small),
                                ("extract+segment", "segment", small), ("full build", "build", small),
                                ("pdfplumber (all)", "pdfplumber", large), ("pdfium (all)", "pdfium", large),
                                ("extract+segment (all)", "segment", large), ("full build (all)", "build", large)):
        rows[name] = run_child(kind, folders, args, 1 if kind == "pdfplumber" else args.repeat)
    plumber, pdfium = rows["pdfplumber"], rows["pdfium"]

    def rate(row: dict[str, Any]) -> float:
        return float(row["pages"]) / float(row["seconds"])

    n_small = len(pdf_files(small))
    print(f"{n_small} files, {plumber['pages']} pages ({small[0]}); engine {args.engine}, {args.jobs} jobs")
    print(f"{'':20} {'seconds':>8} {'pages/s':>8} {'vs pdfplumber':>14} {'vs PDFium':>10} {'CPU s':>7} "
          f"{'pages/CPU s':>12}")
    for name in ("pdfplumber", "pdfium", "extract+segment", "full build"):
        row = rows[name]
        print(f"{name:20} {row['seconds']:8.2f} {rate(row):8.1f} {rate(row) / rate(plumber):13.1f}x "
              f"{rate(row) / rate(pdfium):9.2f}x {row['cpu']:7.2f} {row['pages'] / row['cpu']:12.1f}")
    build = rows["full build"]
    print(f"build after a new reviewer's first decision: {build['first_decision']:.3f} s "
          f"(CPU {build['first_decision_cpu']:.3f} s)")
    print(f"build after one more (same guide and code):  {build['second_decision']:.3f} s "
          f"(CPU {build['second_decision_cpu']:.3f} s)")
    print(f"build with nothing changed:                                        {build['unchanged']:.3f} s")
    print(f"the same first decision, `mapping-review build` in a new process:  {build['cli_decision']:.3f} s")
    print(f"(modules the last builds imported: {', '.join(build['imported']) or 'neither spaCy nor matplotlib'})")
    n_large = len(pdf_files(large))
    print(f"memory, peak MB (main process / largest worker): {n_small} guides -> {n_large} guides "
          f"({rows['full build (all)']['pages']} pages)")
    for name, big in (("pdfplumber", "pdfplumber (all)"), ("pdfium", "pdfium (all)"),
                      ("extract+segment", "extract+segment (all)"), ("full build", "full build (all)")):
        a, b = rows[name], rows[big]
        growth = max(b["rss_mb"], b["worker_rss_mb"]) / max(a["rss_mb"], a["worker_rss_mb"])
        print(f"  {name:26} {a['rss_mb']:6.0f} / {a['worker_rss_mb']:4.0f} -> {b['rss_mb']:6.0f} / "
              f"{b['worker_rss_mb']:4.0f}   x{growth:.2f}")
    for name in ("extract+segment (all)", "full build (all)"):
        print(f"{name}: {rows[name]['seconds']:.2f} s, {rate(rows[name]):.1f} pages/s, CPU {rows[name]['cpu']:.2f} s")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
