"""The reviewer workbench (``mapping-review serve``)."""
