"""Publishing: everything authors publish from the resolved review - the paper-shaped sheet, the
summary, coverage and references (``summary``), the networkx graph (``graph``), the evaluation
criteria (``criteria``), the matplotlib figures (``figures``) - written by ``outputs``."""
