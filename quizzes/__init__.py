"""Quizzes: the item bank, seeded drawing of personalised sheets, renderers and LMS exports.

An item is one YAML file under ``quizzes/bank/`` (see ``docs/QUIZZES.md``). ``bank`` loads and
validates items, ``draw`` turns an item and a seed into a concrete variant, ``model`` holds the
one in-memory quiz every renderer in ``quizzes.render`` reads, so answers agree across formats.
"""
