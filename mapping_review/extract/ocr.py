"""OCR for guides marked ``ocr: true``: OCRmyPDF with Tesseract on the pages that are only images.

A page is OCRed when it has images and fewer than ``MIN_PAGE_CHARS`` characters of text (what the
extractor calls image-only); the other pages are left as they are. The OCRed PDF is cached by the
original file's hash (``build/cache/ocr/``) with, beside it, the words Tesseract recognised on each
page it read (box in PDF points, and its confidence from 0 to 1), taken from OCRmyPDF's hOCR.
OCRmyPDF runs in its own process, so its logging and worker pools stay out of ours.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from mapping_review.errors import GuideError

OCR_ENGINE = "ocrmypdf-tesseract.v1"
INSTALL_TESSERACT = ("install Tesseract (Debian/Ubuntu: `apt-get install tesseract-ocr`; macOS: `brew install "
                     "tesseract`) or remove `ocr: true` from the guide's manifest entry")
OCRMYPDF_ARGS = ("--mode", "force", "--output-type", "pdf", "--rasterizer", "pypdfium", "--pdf-renderer", "hocr",
                 "--optimize", "0", "--keep-temporary-files", "--jobs", "1", "--quiet")
MIN_PAGE_CHARS = 20  # as the extractor: fewer characters than this and the page has no text layer
_WORD = re.compile(r"class=['\"]ocrx_word['\"][^>]*title=['\"]bbox (\d+) (\d+) (\d+) (\d+); x_wconf (\d+)")
_PAGE = re.compile(r"class=['\"]ocr_page['\"][^>]*?; bbox 0 0 (\d+) (\d+)")

Word = tuple[float, float, float, float, float]  # x0, top, x1, bottom (PDF points), confidence 0-1


@dataclass(frozen=True)
class OcrResult:
    """The OCRed PDF and, per page that was OCRed (1-based), the words recognised on it."""

    pdf: Path
    pages: dict[int, list[Word]]


def _paths(cache_dir: Path, sha256: str) -> tuple[Path, Path]:
    base = cache_dir / "ocr" / f"{sha256}.{OCR_ENGINE}"
    return base.with_name(base.name + ".pdf"), base.with_name(base.name + ".json")


def load_ocr(cache_dir: Path, sha256: str) -> OcrResult | None:
    """The cached OCR of the file with this hash, or None."""
    pdf, words = _paths(cache_dir, sha256)
    try:
        data = json.loads(words.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not pdf.is_file() or not isinstance(data, dict) or data.get("engine") != OCR_ENGINE:
        return None
    return OcrResult(pdf, {int(k): [tuple(w) for w in v] for k, v in data["pages"].items()})


def check_ocr_tools(path: Path) -> None:
    """Raise a :class:`GuideError` saying what to install when OCRmyPDF or Tesseract is missing."""
    if shutil.which("tesseract") is None:
        raise GuideError(f"{path}: `ocr: true` needs Tesseract, which is not installed; {INSTALL_TESSERACT}",
                         reason="ocr-missing")
    try:
        import ocrmypdf  # noqa: F401
    except ImportError as e:
        msg = f"{path}: `ocr: true` needs OCRmyPDF, which is not installed; run `pip install ocrmypdf`"
        raise GuideError(msg, reason="ocr-missing") from e


def ocr_pdf(path: Path, *, sha256: str, cache_dir: Path, password: str | None = None) -> OcrResult:
    """``path`` with its image-only pages OCRed (cached by ``sha256``); raises :class:`GuideError`."""
    cached = load_ocr(cache_dir, sha256)
    if cached is not None:
        return cached
    check_ocr_tools(path)
    if password:
        msg = f"{path}: OCRmyPDF cannot open password-protected PDFs; save a copy without the password to OCR it"
        raise GuideError(msg, reason="ocr-failed")
    pdf, words_path = _paths(cache_dir, sha256)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    todo = image_only_pages(path)
    if not todo:
        return OcrResult(path, {})  # nothing to OCR: the file itself, nothing cached
    with tempfile.TemporaryDirectory(dir=pdf.parent, prefix="work-") as work:
        out = Path(work) / "ocr.pdf"
        env = {**os.environ, "TMPDIR": work}  # OCRmyPDF keeps its hOCR files in a folder made here
        numbers = ",".join(map(str, todo))
        proc = subprocess.run([sys.executable, "-m", "ocrmypdf", *OCRMYPDF_ARGS, "--pages", numbers, str(path), str(out)],
                              capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise GuideError(f"{path}: OCRmyPDF failed (exit {proc.returncode}): {last}", reason="ocr-failed")
        pages = _words(Path(work).glob("ocrmypdf.io.*/*_ocr_hocr.hocr"), out)
        out.replace(pdf)
    data = {"engine": OCR_ENGINE, "pages": {str(k): v for k, v in sorted(pages.items())}}
    tmp = words_path.with_name(words_path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(words_path)
    return OcrResult(pdf, pages)


def image_only_pages(path: Path) -> list[int]:
    """The pages (1-based) with images and fewer than ``MIN_PAGE_CHARS`` characters of text."""
    import pypdfium2.raw as pdfium_c

    from mapping_review.files import open_pdfium

    doc = open_pdfium(path, password=None)  # a broken file is reported as the extractor reports it
    out = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            n_chars = len("".join(textpage.get_text_range().split()))
            textpage.close()
            if n_chars < MIN_PAGE_CHARS and any(True for _ in page.get_objects(
                    filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2)):
                out.append(index + 1)
            page.close()
    finally:
        doc.close()
    return out


def _words(hocr_files: Iterable[Path], pdf: Path) -> dict[int, list[Word]]:
    """The words of each hOCR page (``000003_ocr_hocr.hocr`` is page 3), scaled to PDF points."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        sizes = [doc[i].get_size() for i in range(len(doc))]
    finally:
        doc.close()
    pages: dict[int, list[Word]] = {}
    for hocr in hocr_files:
        number = int(hocr.name.split("_", 1)[0])
        text = hocr.read_text(encoding="utf-8", errors="replace")
        page = _PAGE.search(text)
        if page is None or not 1 <= number <= len(sizes):
            continue
        sx, sy = sizes[number - 1][0] / int(page.group(1)), sizes[number - 1][1] / int(page.group(2))
        pages[number] = [
            (round(int(x0) * sx, 2), round(int(top) * sy, 2), round(int(x1) * sx, 2), round(int(bottom) * sy, 2),
             int(conf) / 100)
            for x0, top, x1, bottom, conf in _WORD.findall(text)
        ]
    return pages


def words_confidence(ocr: OcrResult, boxes: Sequence[Sequence[float]]) -> float | None:
    """Mean confidence of the OCRed words whose centre lies in one of ``boxes`` ((page, x0, top, x1, bottom));
    None when no OCRed word is there."""
    confs = [
        w[4]
        for page, x0, top, x1, bottom in boxes
        for w in ocr.pages.get(int(page), ())
        if x0 <= (w[0] + w[2]) / 2 <= x1 and top <= (w[1] + w[3]) / 2 <= bottom
    ]
    return round(sum(confs) / len(confs), 2) if confs else None
