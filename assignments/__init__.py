"""Student and instructor notebooks, and their public checks, generated from ``solutions/``.

``optigrade assign`` (``assignments.cli``) writes, per language and assignment, a student bundle
(notebook with stubs + a numpy-only ``checks.py``) and an instructor copy (the same notebook with
the reference filled in). See ``docs/NOTEBOOKS.md``.
"""
