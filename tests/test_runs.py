"""Characters to runs: the one-loop builder against a plain reference, on generated characters."""

from hypothesis import given, settings
from hypothesis import strategies as st

from mapping_review.extract.model import Run
from mapping_review.extract.runs import BASELINE_SHIFT, RUN_GAP, WORD_GAP, chars_to_runs, upright_chars


def reference_runs(chars):
    """The rules of chars_to_runs written plainly, one character at a time."""
    runs, current = [], None

    def build(r):
        return Run(text="".join(r["parts"]), x0=round(r["x0"], 2), top=round(r["top"], 2), x1=round(r["x1"], 2),
                   bottom=round(r["bottom"], 2), size=round(r["best"], 2), bold=r["n_bold"] * 2 > r["n_chars"])

    for text, x0, top, x1, bottom, size_, bold in chars:
        if text in ("\r", "\n"):
            if current:
                runs.append(build(current))
            current = None
            continue
        if text.isspace():
            if current:
                current["space"] = True
            continue
        size = max(size_, 1.0)
        if current is not None:
            gap = x0 - current["x1"]
            same_line = abs(bottom - current["bottom"]) <= BASELINE_SHIFT * max(size, current["best"])
            forward = -0.3 * size <= gap or x0 >= current["last_x0"] - 0.1 * size
            if same_line and forward and gap <= RUN_GAP * size:
                if current["space"] or gap > WORD_GAP * size:
                    current["parts"].append(" ")
                current["space"] = False
                current["parts"].append(text)
                current["last_x0"] = x0
                current["x1"], current["top"] = max(current["x1"], x1), min(current["top"], top)
                current["bottom"] = max(current["bottom"], bottom)
                sizes = current["sizes"]
                sizes[size_] = sizes.get(size_, 0) + 1
                if sizes[size_] > sizes[current["best"]] or (sizes[size_] == sizes[current["best"]]
                                                              and size_ > current["best"]):
                    current["best"] = size_
                current["n_bold"] += bold
                current["n_chars"] += 1
                continue
            runs.append(build(current))
        current = {"parts": [text], "x0": x0, "top": top, "x1": x1, "bottom": bottom, "last_x0": x0,
                   "sizes": {size_: 1}, "best": size_, "n_bold": int(bold), "n_chars": 1, "space": False}
    if current:
        runs.append(build(current))
    return runs


@st.composite
def pages(draw):
    """Characters laid along a few lines, with spaces, gaps, steps back, size changes and line breaks."""
    chars, x, y = [], 0.0, 10.0
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.sampled_from(["glyph"] * 6 + ["space", "newline", "jump", "back", "line"]))
        size = draw(st.sampled_from([0.5, 8.0, 10.0, 10.0, 12.5]))
        if kind == "space":
            chars.append((" ", 0.0, 0.0, 0.0, 0.0, 0.0, False))
            continue
        if kind == "newline":
            chars.append(("\n", 0.0, 0.0, 0.0, 0.0, 0.0, False))
            continue
        if kind == "jump":
            x += draw(st.floats(0, 3)) * size
        elif kind == "back":
            x -= draw(st.floats(0, 2)) * size
        elif kind == "line":
            x, y = 0.0, y + draw(st.floats(0, 2)) * size
        width = 0.5 * size
        chars.append((draw(st.sampled_from("abcXYZ1.")), x, y - 0.8 * size, x + width, y + 0.2 * size, size,
                      draw(st.booleans())))
        x += width + draw(st.floats(-0.1, 0.3)) * size
    return chars


@settings(max_examples=300, deadline=None)
@given(pages())
def test_one_loop_builder_equals_the_plain_rules(chars):
    assert chars_to_runs(chars) == reference_runs(chars)


def test_text_in_one_direction_is_neither_sorted_nor_turned():
    chars = [("a", 1.0, 2.0, 3.0, 4.0, 10.0, False), (" ", 0.0, 0.0, 0.0, 0.0, 0.0, False)]
    assert upright_chars(chars, [0, 0], 100.0, 200.0) == (chars, 0, 100.0, 200.0)


def test_the_main_direction_wins_and_is_turned_upright():
    up = ("a", 10.0, 20.0, 15.0, 30.0, 10.0, False)
    chars = [up, ("b", 1.0, 1.0, 2.0, 2.0, 10.0, False), ("c", 3.0, 3.0, 4.0, 4.0, 10.0, False)]
    kept, rot, width, height = upright_chars(chars, [0, 90, 90], 100.0, 200.0)
    assert rot == 90 and (width, height) == (200.0, 100.0)
    assert [c[0] for c in kept] == ["b", "c"]
    assert kept[0][1:5] == (198.0, 1.0, 199.0, 2.0)  # turned: (height - bottom, x0, height - top, x1)
